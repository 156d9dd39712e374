"""Input layouts for the melody model zoo, over the event ids of `MelodyEventEncoding`
(0 hold, 1 note-off, 2 + k note-on of pitch min_pitch + k; V = n_events). Every layout turns
an event sequence e_0..e_{T-1} into one input row per step t, the row that predicts e_{t+1}.

one_hot(events, V) -> (T, V)
    index e_t is 1.

window(events, V, k) -> (T, k * (V + 1))          (linear and MLP next-event models)
    block j (j = 0..k-1) is the one-hot of e_{t-j} over V + 1 ids, id V meaning "before the
    start"; block j occupies indices j*(V+1) .. j*(V+1)+V.

lookback(events, V, steps_per_bar) -> (T, 3V + 2 + B)   (Magenta's lookback melody RNN inputs)
    0 .. V-1          one-hot of e_t, the current event
    V .. 2V-1         one-hot of e_{t+1-bar}: what a repeat of one bar ago would play next
                      (all zero before the first bar)
    2V .. 3V-1        one-hot of e_{t+1-2bar}: the same, two bars ago
    3V                1 if e_t == e_{t-bar} (the melody is repeating the last bar)
    3V + 1            1 if e_t == e_{t-2bar}
    3V + 2 .. 3V + 6  binary counter of the next step's position in the bar, bit i = +1/-1
                      (5 bits: bars of up to 32 steps)

chord_pcs(tune) -> (T, 12), appended when a model reads the chord: the pitch classes of the
chord sounding at step t + 1 (the step being predicted); zeros for N.C.

Todd's interval encoding (`IntervalEncoding`) is a different *output* vocabulary: a note-on is
the interval from the previous note-on, so a model learns motifs independent of their pitch.
    0 hold, 1 note-off, 2 + (i + max_interval) note-on at interval i in [-max_interval, +max_interval]
The first note-on of a piece is taken relative to `anchor` (C4 = 60); an interval beyond the
range is folded by octaves. `to_events(to_intervals(e)) == e` when no leap exceeds the range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from improvise.core.music import fold_into


def one_hot(events: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((len(events), n), dtype=np.float32)
    out[np.arange(len(events)), np.asarray(events)] = 1.0
    return out


def window(events: np.ndarray, n_events: int, k: int) -> np.ndarray:
    ev = np.asarray(events)
    padded = np.concatenate([np.full(k - 1, n_events), ev])
    out = np.zeros((len(ev), k * (n_events + 1)), dtype=np.float32)
    rows = np.arange(len(ev))
    for j in range(k):
        out[rows, j * (n_events + 1) + padded[k - 1 - j + rows]] = 1.0
    return out


COUNTER_BITS = 5  # the lookback bar counter: bars of up to 32 steps


def lookback(events: np.ndarray, n_events: int, steps_per_bar: int, offset: int = 0) -> np.ndarray:
    """Rows for steps offset .. offset+T-1 of a longer piece whose events from `offset` are given
    (rows needing events before `offset` see zeros); `offset` only moves the bar counter."""
    ev = np.asarray(events)
    t_len, v, bar = len(ev), n_events, steps_per_bar
    bits = COUNTER_BITS
    out = np.zeros((t_len, 3 * v + 2 + bits), dtype=np.float32)
    t = np.arange(t_len)
    out[t, ev] = 1.0
    for j, lag in enumerate((bar, 2 * bar)):
        src = t + 1 - lag
        ok = src >= 0
        out[t[ok], (j + 1) * v + ev[src[ok]]] = 1.0
        back = t - lag
        okb = back >= 0
        out[t[okb], 3 * v + j] = (ev[t[okb]] == ev[back[okb]]).astype(np.float32)
    pos = (t + offset + 1) % bar
    for i in range(bits):
        out[:, 3 * v + 2 + i] = np.where((pos >> i) & 1, 1.0, -1.0)
    return out


def chord_pcs(chords: list, steps: int) -> np.ndarray:
    """(steps, 12): the pitch classes of the chord at step t + 1 (the last row: the last chord)."""
    from improvise.core.music import QUALITIES

    out = np.zeros((steps, 12), dtype=np.float32)
    for t in range(steps):
        c = chords[min(t + 1, len(chords) - 1)]
        if getattr(c, "root", None) is not None:
            out[t, [(c.root + i) % 12 for i in QUALITIES[c.quality]]] = 1.0
    return out


@dataclass(frozen=True)
class IntervalEncoding:
    """Todd (1989): note-ons as intervals from the previous note-on (see the module doc)."""

    max_interval: int = 12  # largest leap kept as such; wider ones fold by octaves
    anchor: int = 60  # the pitch the first interval is taken from
    min_pitch: int = 48  # event-encoding range, to turn pitches back into event ids
    max_pitch: int = 84

    @property
    def n_events(self) -> int:
        return 2 + 2 * self.max_interval + 1

    def _fold(self, i: int) -> int:
        while i > self.max_interval:
            i -= 12
        while i < -self.max_interval:
            i += 12
        return i

    def to_intervals(self, events: np.ndarray) -> np.ndarray:
        out, prev = np.asarray(events).copy(), self.anchor
        for t, e in enumerate(events):
            if e >= 2:
                p = self.min_pitch + int(e) - 2
                out[t] = 2 + self._fold(p - prev) + self.max_interval
                prev = p
        return out

    def to_events(self, intervals: np.ndarray) -> np.ndarray:
        """Back to event ids; a pitch leaving [min_pitch, max_pitch] is moved by an octave."""
        out, prev = np.asarray(intervals).copy(), self.anchor
        for t, e in enumerate(intervals):
            if e >= 2:
                p = fold_into(prev + int(e) - 2 - self.max_interval, self.min_pitch, self.max_pitch)
                out[t] = 2 + p - self.min_pitch
                prev = p
        return out
