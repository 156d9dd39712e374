"""Humdrum **kern: corpus preparation, a character-level grammar, grammar-masked sampling of a
character LSTM, finishing into complete files, and a validator that trusts neither parser alone."""
