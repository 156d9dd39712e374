"""Chord-conditioned melody inputs (issues 8 and 15): the melody's own past, where the predicted
step falls in the bar, and the chords, each as a root and its pitch classes relative to that root
(in the spirit of Johnson, Keller & Weintraut's chord expert), so that one chord quality looks
the same in every key; plus the last note's pitch, its relation to the chord, the time since it
started and the time left to the next change, so the network need not count them itself.

Input layout of `ChordConditionedEncoding`, index by index (`size` = 227 by default; row t
predicts the event of step t + 1):

    0   .. 38    the event of step t (MelodyEventEncoding ids, one-hot)
    39  .. 54    step t + 1's position in its bar (one-hot; counted modulo 16)
    55  .. 66    root of the chord at step t + 1 (one-hot; all zero for N.C.)
    67  .. 78    that chord's pitch classes, relative to its root (multi-hot)
    79  .. 90    root of the next different chord (one-hot; zero when none follows)
    91  .. 102   its pitch classes relative to its root
    103 .. 114   pitch classes of the chord at step t + 1, absolute (multi-hot)
    115 .. 151   pitch of the latest note started at or before step t (one-hot over the event
                 vocabulary's 37 pitches; zero before the first note)
    152 .. 163   that pitch's interval above the root of step t + 1's chord, mod 12 (one-hot;
                 zero under N.C. or before the first note)
    164 .. 180   steps from that note's start to step t + 1, at most 16 (one-hot; 16 before the
                 first note)
    181          a note sounds at step t (1) or silence (0)
    182 .. 198   steps from step t + 1 to the next chord change, at most 16 (one-hot; 16 when none)
    199 .. 223   motif memory (`MotifMemory`): the leap, -12 .. +12, that followed the latest earlier
                 place in this solo where its last intervals were played (one-hot; zero when
                 none, or wider than an octave)
    224 .. 226   how many intervals matched there: 1, 2 or 3 or more (one-hot; zero when none)

Everything after the previous event is a function of the events and the chord track, so the
chord-blind twin of the model (every chord N.C.) reads the same layout with the chord parts
zero. Targets are the melody events of the predicted steps. Transposing (`transpose_tune`, or
`shift` in `window`) moves the roots and the melody and nothing else: the 12-key augmentation,
drawn per training window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from improvise.core.music import Note, Tune
from improvise.encodings.events import MelodyEventEncoding

CAP = 16  # steps counted since a note's start / to the next change
MOTIF = 3  # longest run of intervals the motif memory matches
LEAP_RANGE = 12  # suggested leaps within an octave


class MotifMemory:
    """The solo's own past as a source of motifs: after each note, the leap that followed the
    latest earlier occurrence of its last k intervals (k = 3, else 2, else 1), so a network can
    learn how far players repeat and sequence their own shapes. Leaps are key-free."""

    def __init__(self):
        self.pitches: list[int] = []
        self.seen: list[dict] = [{} for _ in range(MOTIF)]  # k-1 -> {k intervals: note index}

    def add(self, pitch: int) -> tuple[int | None, int]:
        """Play `pitch`; the suggested next leap (None: none) and the match length (0: none)."""
        p = self.pitches
        p.append(int(pitch))
        i = len(p) - 1
        iv = [p[j] - p[j - 1] for j in range(max(1, i - MOTIF), i + 1)]  # the last MOTIF + 1 intervals
        for k in range(1, MOTIF + 1):  # the k intervals ending at note i - 1 now have a successor
            if len(iv) >= k + 1:
                self.seen[k - 1][tuple(iv[-k - 1 : -1])] = i - 1
        for k in range(MOTIF, 0, -1):
            j = self.seen[k - 1].get(tuple(iv[-k:])) if len(iv) >= k else None
            if j is not None and j + 1 < len(p):
                return p[j + 1] - p[j], k
        return None, 0


@dataclass
class EncodedSolo:
    """A melody and its chord track as per-step arrays, ready to be windowed in any key."""

    events: np.ndarray  # (T,) event ids
    root: np.ndarray  # (T,) chord root 0-11, -1 for N.C.
    rel: np.ndarray  # (T, 12) chord pitch classes relative to the root
    next_root: np.ndarray  # (T,) root of the next different chord, -1 for none
    next_rel: np.ndarray  # (T, 12)
    to_change: np.ndarray  # (T,) steps to the next change, at most CAP
    last_pitch: np.ndarray  # (T,) pitch index (0-36) of the latest onset at or before t, -1
    since: np.ndarray  # (T,) steps from that onset to t + 1, at most CAP
    sounding: np.ndarray  # (T,) a note sounds at t
    motif_leap: np.ndarray  # (T,) MotifMemory's suggested leap after the latest onset (0 with no match)
    motif_len: np.ndarray  # (T,) its match length, 0 for none
    steps_per_bar: int


@dataclass(frozen=True)
class ChordConditionedEncoding:
    events: MelodyEventEncoding = field(default_factory=MelodyEventEncoding)  # the melody vocabulary
    positions: int = 16  # sixteenths a bar, at most

    @property
    def n_pitches(self) -> int:
        return self.events.n_events - 2

    @property
    def pos_offset(self) -> int:
        return self.events.n_events

    @property
    def chord_offset(self) -> int:
        return self.events.n_events + self.positions

    @property
    def last_offset(self) -> int:  # the last note's pitch
        return self.chord_offset + 60

    @property
    def size(self) -> int:
        return self.motif_offset + 2 * LEAP_RANGE + 1 + MOTIF

    @property
    def motif_offset(self) -> int:
        return self.last_offset + self.n_pitches + 12 + (CAP + 1) + 1 + (CAP + 1)

    def encode(self, tune: Tune) -> EncodedSolo:
        return self.encode_events(self.events.tune_to_events(tune), list(tune.chords), tune.steps_per_bar)

    def encode_events(self, ev: np.ndarray, chords: list, steps_per_bar: int) -> EncodedSolo:
        T = len(ev)
        root, rel = self._chords(chords)
        change = np.flatnonzero([chords[t] != chords[t - 1] for t in range(1, T)]) + 1
        nxt = np.searchsorted(change, np.arange(T), side="right")  # the first change after t
        has = nxt < len(change)
        at = np.where(has, change[np.minimum(nxt, max(len(change) - 1, 0))] if len(change) else 0, 0)
        next_root = np.where(has, root[at] if T else 0, -1)
        next_rel = np.where(has[:, None], rel[at] if T else 0, 0).astype(np.float32)
        to_change = np.where(has, np.minimum(at - np.arange(T), CAP), CAP)
        t = np.arange(T)
        onset = np.maximum.accumulate(np.where(ev >= 2, t, -1)) if T else t
        last_pitch = np.where(onset >= 0, ev[np.maximum(onset, 0)] - 2, -1)
        since = np.where(onset >= 0, np.minimum(t + 1 - onset, CAP), CAP)
        change_ev = np.maximum.accumulate(np.where(ev != 0, t, -1)) if T else t
        sounding = (change_ev >= 0) & (ev[np.maximum(change_ev, 0)] >= 2)
        memory, leaps, lens = MotifMemory(), [0], [0]
        for e in ev[ev >= 2]:
            leap, k = memory.add(int(e))
            leaps.append(leap or 0)
            lens.append(k if leap is not None else 0)
        note = np.cumsum(ev >= 2)  # notes started up to t: index into leaps/lens
        return EncodedSolo(
            ev.astype(np.int64), root, rel, next_root, next_rel, to_change, last_pitch, since, sounding,
            np.array(leaps)[note], np.array(lens)[note], steps_per_bar,
        )  # fmt: skip

    @staticmethod
    def _chords(chords: list) -> tuple[np.ndarray, np.ndarray]:
        """Per-step root (-1 for N.C.) and pitch classes relative to it, one row a distinct chord."""
        cache: dict = {}
        root = np.full(len(chords), -1, dtype=np.int64)
        rel = np.zeros((len(chords), 12), dtype=np.float32)
        for t, c in enumerate(chords):
            if c not in cache:
                r = getattr(c, "root", None)
                f = np.zeros(12, dtype=np.float32)
                if r is not None:
                    f[[(pc - r) % 12 for pc in c.pitch_classes]] = 1.0
                cache[c] = (-1 if r is None else r, f)
            root[t], rel[t] = cache[c]
        return root, rel

    def _fold(self, p: np.ndarray, shift: int) -> np.ndarray:
        """Pitch indices moved by `shift`, folded by octaves into the vocabulary (-1 stays)."""
        q = p + shift
        n = self.n_pitches
        q = np.where(q < 0, q + 12 * ((-q + 11) // 12), q)
        q = np.where(q >= n, q - 12 * ((q - n) // 12 + 1), q)
        return np.where(p < 0, -1, q)

    def window(self, s: EncodedSolo, start: int, stop: int, shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (rows start..stop-1, predicting steps start+1..stop) and targets, in a key
        `shift` semitones away (see the module doc for the layout)."""
        t = np.arange(start, stop)
        u = t + 1
        n = len(t)
        ev = s.events[start : stop + 1].copy()
        on = ev >= 2
        ev[on] = self._fold(ev[on] - 2, shift) + 2
        x = np.zeros((n, self.size), dtype=np.float32)
        rows = np.arange(n)
        x[rows, ev[:n]] = 1.0
        x[rows, self.pos_offset + (u % s.steps_per_bar) % self.positions] = 1.0
        self._chord_part(x, s, u, shift)
        lp = self._fold(s.last_pitch[t], shift)
        k = lp >= 0
        o = self.last_offset
        x[rows[k], o + lp[k]] = 1.0
        root = np.where(s.root[u] >= 0, (s.root[u] + shift) % 12, -1)
        kk = k & (root >= 0)
        x[rows[kk], o + self.n_pitches + (lp[kk] + self.events.min_pitch - root[kk]) % 12] = 1.0
        o += self.n_pitches + 12
        x[rows, o + s.since[t]] = 1.0
        x[rows, o + CAP + 1] = s.sounding[t]
        x[rows, o + CAP + 2 + s.to_change[u]] = 1.0
        self._motif_part(x, s.motif_leap[t], s.motif_len[t])
        return x, ev[1:]

    def _motif_part(self, x: np.ndarray, leap: np.ndarray, length: np.ndarray) -> None:
        rows = np.arange(len(x))
        k = (length > 0) & (np.abs(leap) <= LEAP_RANGE)
        x[rows[k], self.motif_offset + LEAP_RANGE + leap[k]] = 1.0
        x[rows[k], self.motif_offset + 2 * LEAP_RANGE + length[k]] = 1.0

    def motif_columns(self, leap: int | None, length: int) -> list[int]:
        """The motif memory's input columns (as `window` sets them) for one step."""
        if not length or leap is None or abs(leap) > LEAP_RANGE:
            return []
        return [self.motif_offset + LEAP_RANGE + leap, self.motif_offset + 2 * LEAP_RANGE + length]

    def _chord_part(self, x: np.ndarray, s: EncodedSolo, u: np.ndarray, shift: int) -> None:
        """Columns chord_offset .. +60: the chord at the predicted steps and the next change."""
        o, rows = self.chord_offset, np.arange(len(u))
        for r, rel, off in ((s.root[u], s.rel[u], o), (s.next_root[u], s.next_rel[u], o + 24)):
            k = r >= 0
            r = (r + shift) % 12
            x[rows[k], off + r[k]] = 1.0
            x[:, off + 12 : off + 24] = rel
        r = (s.root[u] + shift) % 12
        absolute = rel_to_abs(s.rel[u], r)
        x[:, o + 48 : o + 60] = np.where((s.root[u] >= 0)[:, None], absolute, 0)

    def tune_to_tensors(self, tune: Tune):
        """Inputs (T-1, size) and next-event targets (T-1,) of a tune with a chord on every step,
        as torch tensors (torch is imported here only: sampling needs none)."""
        import torch

        s = self.encode(tune)
        x, y = self.window(s, 0, len(s.events) - 1)
        return torch.from_numpy(x), torch.from_numpy(y)


def rel_to_abs(rel: np.ndarray, root: np.ndarray) -> np.ndarray:
    """(n, 12) pitch classes relative to `root` (n,) -> absolute: out[i, (j + root[i]) % 12] = rel[i, j]."""
    idx = (np.arange(12)[None, :] - root[:, None]) % 12
    return np.take_along_axis(rel, idx, axis=1)


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
