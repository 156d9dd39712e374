"""The lead-sheet soloist: a chord-conditioned event LSTM trained on the Weimar Jazz Database,
soloing over any lead sheet."""
