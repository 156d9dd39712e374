"""Encodings: each owns a vocabulary and turns music into arrays for a model and back (index-by-index
layouts in each module's doc)."""
