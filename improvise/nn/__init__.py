"""Models. Nothing here imports music code: models see index lists and class counts only."""

from improvise.nn.chord_melody import ChordMelodyConfig, ChordMelodyNet
from improvise.nn.reference import NumpyChordMelody

__all__ = ["ChordMelodyConfig", "ChordMelodyNet", "NumpyChordMelody"]
