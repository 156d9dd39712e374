"""Eck & Schmidhuber 2002's chromatic multi-hot representation (layout in `ChromaticEncoding`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from improvise.core.errors import ConfigError
from improvise.core.music import Chord, Tune


@dataclass(frozen=True)
class ChromaticEncoding:
    """Eck & Schmidhuber 2002's multi-hot representation, one eighth note a step.

    Input and target vector (`size` = 25 with melody, 12 chords only), index by index:

        0-11   chord tones, MIDI 48-59 (C3-B3): C7 = C E G Bb, F7 = C Eb F A, G7 = D F G B
        12-24  melody note, MIDI 60-72 (C4-C5), one unit on (absent when `melody` is False)
    """

    melody: bool = True  # experiment 2 (chords and melody) or experiment 1 (chords only)
    chord_low: int = 48
    melody_low: int = 60
    n_chord_units: int = 12
    n_melody_units: int = 13
    steps_per_bar: int = 8

    @property
    def size(self) -> int:
        return self.n_chord_units + (self.n_melody_units if self.melody else 0)

    def chord_vector(self, chord: Chord) -> np.ndarray:
        v = np.zeros(self.n_chord_units, dtype=np.float32)
        v[[p - self.chord_low for p in chord.voicing(self.chord_low)]] = 1.0
        return v

    def tune_to_array(self, tune: Tune) -> np.ndarray:
        """(steps, size) multi-hot array; a melody note outside C4-C5 is an error."""
        x = np.zeros((tune.steps, self.size), dtype=np.float32)
        for t, chord in enumerate(tune.chords):
            x[t, : self.n_chord_units] = self.chord_vector(chord)
        if self.melody:
            for note in tune.melody:
                k = note.pitch - self.melody_low
                if not 0 <= k < self.n_melody_units:
                    raise ConfigError(f"melody pitch {note.pitch} is outside MIDI 60-72")
                x[note.start : note.start + note.length, self.n_chord_units + k] = 1.0
        return x

    def chord_ids(self, chord_units: np.ndarray, chords: tuple[str, ...] = ("C7", "F7", "G7")) -> np.ndarray:
        """(T, 12) 0/1 chord units to ids in `chords`, -1 where the units spell none of them."""
        table = np.stack([self.chord_vector(Chord.parse(c)) for c in chords])
        match = (chord_units[:, None, :] == table[None]).all(-1)
        return np.where(match.any(1), match.argmax(1), -1)
