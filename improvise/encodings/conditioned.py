"""Chord-conditioned melody inputs (issue 8): the melody's own past, where the predicted step
falls in the bar, and the chords, each as a root and its pitch classes relative to that root
(in the spirit of Johnson, Keller & Weintraut's chord expert), so that one chord quality looks
the same in every key.

Input layout of `ChordConditionedEncoding`, index by index (`size` = 115 by default):

    0  .. 38    the previous step's melody event (MelodyEventEncoding ids, one-hot)
    39 .. 54    the predicted step's position in its bar, in sixteenths (one-hot; steps_per_bar
                of a bar at most 16 are counted modulo 16)
    55 .. 66    root of the chord at the predicted step (one-hot; all zero for N.C.)
    67 .. 78    that chord's pitch classes, relative to its root (multi-hot)
    79 .. 90    root of the next different chord (one-hot; zero when none follows)
    91 .. 102   its pitch classes relative to its root
    103 .. 114  pitch classes of the chord at the predicted step, absolute (multi-hot), so that a
                note's own pitch class can be matched to the chord directly (the relative view
                alone left generated solos short of chord tones: 0.41 against the players' 0.50)

Targets are the melody events of the predicted steps. Transposing a tune (`transpose_tune`)
moves the roots and the melody and nothing else: that is the 12-key augmentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from improvise.core.music import Note, Tune
from improvise.encodings.events import MelodyEventEncoding


@dataclass(frozen=True)
class ChordConditionedEncoding:
    events: MelodyEventEncoding = field(default_factory=MelodyEventEncoding)  # the melody vocabulary
    positions: int = 16  # sixteenths a bar, at most

    @property
    def size(self) -> int:
        return self.events.n_events + self.positions + 60

    @property
    def pos_offset(self) -> int:
        return self.events.n_events

    @property
    def chord_offset(self) -> int:
        return self.events.n_events + self.positions

    def chord_features(self, chord) -> np.ndarray:
        """24 numbers: root one-hot, then pitch classes relative to the root."""
        f = np.zeros(24, dtype=np.float32)
        if chord is not None and getattr(chord, "root", None) is not None:
            f[chord.root] = 1.0
            f[[12 + (pc - chord.root) % 12 for pc in chord.pitch_classes]] = 1.0
        return f

    def chord_track(self, chords: list) -> np.ndarray:
        """(T, 60): for every step, its chord's features, the next different chord's, and its
        chord's absolute pitch classes."""
        T = len(chords)
        out = np.zeros((T, 60), dtype=np.float32)
        nxt = None
        for t in range(T - 1, -1, -1):  # walk back, remembering the next change
            if t + 1 < T and chords[t + 1] != chords[t]:
                nxt = chords[t + 1]
            out[t, :24] = self.chord_features(chords[t])
            out[t, 24:48] = self.chord_features(nxt)
            if getattr(chords[t], "root", None) is not None:
                out[t, 48 + np.array(sorted(chords[t].pitch_classes))] = 1.0
        return out

    def inputs(self, events: np.ndarray, chords: list, steps_per_bar: int) -> np.ndarray:
        """(T, size): row t predicts the event of step t + 1 from event t and step t + 1's context."""
        T = len(events)
        x = np.zeros((T, self.size), dtype=np.float32)
        x[np.arange(T), events] = 1.0
        nxt = np.minimum(np.arange(1, T + 1), T - 1)
        x[np.arange(T), self.pos_offset + (np.arange(1, T + 1) % steps_per_bar) % self.positions] = 1.0
        x[:, self.chord_offset :] = self.chord_track(chords)[nxt]
        return x

    def tune_to_tensors(self, tune: Tune) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs (T-1, size) and next-event targets (T-1,) of a tune with a chord on every step."""
        ev = self.events.tune_to_events(tune)
        x = self.inputs(ev, list(tune.chords), tune.steps_per_bar)
        return torch.from_numpy(x[:-1]), torch.from_numpy(ev[1:])


def transpose_tune(tune: Tune, semitones: int) -> Tune:
    """The melody and every chord moved by `semitones` (N.C. stays N.C.)."""
    if semitones == 0:
        return tune
    return Tune(
        chords=[c if getattr(c, "root", None) is None else c.transpose(semitones) for c in tune.chords],
        melody=[Note(n.pitch + semitones, n.start, n.length) for n in tune.melody],
        steps_per_bar=tune.steps_per_bar,
        beats_per_bar=tune.beats_per_bar,
        tempo_bpm=tune.tempo_bpm,
    )
