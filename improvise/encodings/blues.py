"""Encodings: each owns a vocabulary and turns music into arrays for a model and back.

`BluesEncoding` is seed 000's vocabulary: 3 chords (C7, F7, G7) and 8 pitch tokens (the
C blues scale over two octaves, MIDI 60-75, and REST), one token pair an eighth-note step.

Model input at step t (`input_size` = 17 with 8 steps a bar), index by index:

    0-2    form chord: one-hot C7, F7, G7. The chord the model believes the form is in at
           step t. In training it is the corpus chord; when generating it is the model's
           own most likely chord (see `improvise.blues.generate`). Only the chord layer reads it.
    3-5    played chord: one-hot C7, F7, G7, the chord that sounded at step t (the sampled
           one when generating). Only the melody layer reads it.
    6-13   pitch: one-hot over C4 Eb4 F4 G4 Bb4 C5 Eb5 REST, the melody token at step t.
    14-16  beat clock: bits of (t mod steps_per_bar), least significant first, as in
           Magenta's lookback encoding. All zeros on the first eighth of every bar.

Targets at step t are the (chord, pitch) token ids of step t + 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from improvise.core.errors import ConfigError
from improvise.core.music import Chord, Note, Tune, pitch_name
from improvise.data.blues_synth import BLUES_SCALE, PALETTES

REST = "REST"


@dataclass(frozen=True)
class BluesEncoding:
    """Seed 000's chord and pitch vocabularies on an eighth-note grid."""

    chords: tuple[str, ...] = ("C7", "F7", "G7")  # chord vocabulary, id = index
    pitches: tuple[int, ...] = BLUES_SCALE  # melody pitches (MIDI); id len(pitches) is REST
    steps_per_bar: int = 8  # eighth notes in 4/4

    # ---- vocabulary -------------------------------------------------------------
    @property
    def n_chords(self) -> int:
        return len(self.chords)

    @property
    def n_pitches(self) -> int:
        """Pitch tokens including REST."""
        return len(self.pitches) + 1

    @property
    def rest(self) -> int:
        return len(self.pitches)

    @property
    def clock_bits(self) -> int:
        return max(1, (self.steps_per_bar - 1).bit_length())

    @property
    def heads(self) -> tuple[int, int]:
        """Output classes of each head: (chord, pitch)."""
        return (self.n_chords, self.n_pitches)

    # ---- input layout (see module docstring) ---------------------------------------
    @property
    def form_chord_slice(self) -> slice:
        return slice(0, self.n_chords)

    @property
    def played_chord_slice(self) -> slice:
        return slice(self.n_chords, 2 * self.n_chords)

    @property
    def pitch_slice(self) -> slice:
        return slice(2 * self.n_chords, 2 * self.n_chords + self.n_pitches)

    @property
    def clock_slice(self) -> slice:
        start = 2 * self.n_chords + self.n_pitches
        return slice(start, start + self.clock_bits)

    @property
    def input_size(self) -> int:
        size = 2 * self.n_chords + self.n_pitches + self.clock_bits
        assert size == self.clock_slice.stop
        return size

    def chord_layer_inputs(self, clock: bool = True) -> list[int]:
        """Input indices the chord layer reads: the form chord, and the clock if `clock`."""
        idx = list(range(*self.form_chord_slice.indices(self.input_size)))
        return idx + (list(range(*self.clock_slice.indices(self.input_size))) if clock else [])

    def melody_layer_inputs(self, clock: bool = True) -> list[int]:
        """Input indices the melody layer reads: played chord, pitch, and the clock if `clock`."""
        idx = list(range(self.played_chord_slice.start, self.pitch_slice.stop))
        return idx + (list(range(*self.clock_slice.indices(self.input_size))) if clock else [])

    def all_music_inputs(self) -> list[int]:
        """Chord and pitch inputs without the clock: what seed 000's first layer reads."""
        return list(range(*self.form_chord_slice.indices(self.input_size))) + list(
            range(*self.pitch_slice.indices(self.input_size))
        )

    # ---- music <-> token ids ------------------------------------------------------
    def chord_id(self, chord: Chord) -> int:
        try:
            return self.chords.index(chord.symbol)
        except ValueError:
            raise ConfigError(f"chord {chord.symbol} is not in the vocabulary {self.chords}") from None

    def pitch_id(self, midi: int | None) -> int:
        if midi is None:
            return self.rest
        try:
            return self.pitches.index(midi)
        except ValueError:
            raise ConfigError(f"pitch {midi} is not in the vocabulary {self.pitches}") from None

    def tune_to_tokens(self, tune: Tune) -> tuple[np.ndarray, np.ndarray]:
        """(chord ids, pitch ids), one per step. A note longer than a step is cut to its onset."""
        chords = np.array([self.chord_id(c) for c in tune.chords], dtype=np.int64)
        pitches = np.full(tune.steps, self.rest, dtype=np.int64)
        for note in tune.melody:
            if 0 <= note.start < tune.steps:
                pitches[note.start] = self.pitch_id(note.pitch)
        return chords, pitches

    def tokens_to_tune(self, chords: np.ndarray, pitches: np.ndarray, tempo_bpm: float = 120.0) -> Tune:
        """Token ids back to a Tune; each non-REST pitch token is a one-step note."""
        if len(chords) != len(pitches):
            raise ConfigError("chord and pitch token sequences differ in length")
        chord_objs = [Chord.parse(self.chords[int(c)]) for c in chords]
        notes = [Note(self.pitches[int(p)], t, 1) for t, p in enumerate(pitches) if int(p) != self.rest]
        return Tune(chords=chord_objs, melody=notes, steps_per_bar=self.steps_per_bar, tempo_bpm=tempo_bpm)

    def pitch_name(self, pitch_id: int) -> str:
        """'C4', 'Eb5', ... or 'REST'."""
        return REST if pitch_id == self.rest else pitch_name(self.pitches[pitch_id])

    def palette_ids(self) -> list[frozenset[int]]:
        """Seed 000's palette of each chord id, as pitch ids."""
        return [frozenset(self.pitch_id(p) for p in PALETTES[name]) for name in self.chords]

    def chord_tone_ids(self) -> list[frozenset[int]]:
        """Pitch ids whose pitch class is a tone of each chord id (triad plus seventh)."""
        return [
            frozenset(i for i, p in enumerate(self.pitches) if p % 12 in Chord.parse(name).pitch_classes)
            for name in self.chords
        ]

    # ---- arrays for a model ---------------------------------------------------------
    def encode_inputs(
        self, form_chords: np.ndarray, played_chords: np.ndarray, pitches: np.ndarray, start_step: int = 0
    ) -> np.ndarray:
        """(T,) token ids to a (T, input_size) float32 array; step t's clock is start_step + t."""
        n = len(pitches)
        x = np.zeros((n, self.input_size), dtype=np.float32)
        rows = np.arange(n)
        x[rows, self.form_chord_slice.start + form_chords] = 1.0
        x[rows, self.played_chord_slice.start + played_chords] = 1.0
        x[rows, self.pitch_slice.start + pitches] = 1.0
        x[:, self.clock_slice] = self.clock(start_step + rows)
        return x

    def clock(self, steps: np.ndarray) -> np.ndarray:
        """(n,) absolute steps to (n, clock_bits) bits of the position in the bar."""
        pos = np.asarray(steps) % self.steps_per_bar
        return ((pos[:, None] >> np.arange(self.clock_bits)) & 1).astype(np.float32)
