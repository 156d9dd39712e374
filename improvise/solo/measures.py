"""What a jazz musician listens for in a solo over changes, as pure functions of a Tune (its
melody and the chord on every step), so that generated solos and the players' are measured the
same way (issue 15). Every measure is per solo:

    chord_tone_rate        notes whose pitch class is in the chord's triad plus seventh (N.C. left
                           out); the one chord-tone rate of the soloist and the WJD reader
    strong_beat_ctr        the same, over notes starting exactly on beats 1 and 3 (beat 1 in 3/4)
    phrase_end_ctr         the same, over the last note of each phrase
    repeated_note_rate     consecutive notes on the same pitch, over all intervals
    eighth_grid_rate       onsets on the beat or its (swung) off-beat eighth: steps 0 and 2 of a
                           beat of four steps (0 and 2 of three on a triplet grid; every step on
                           an eighth grid)
    silence_share          steps where no note sounds, over the solo's steps
    phrase_beats           mean phrase length in beats, first onset to last note's end; a phrase
                           ends at a rest of a beat or more
    motif_recurrence       5-note windows whose interval shape (4 intervals) occurs again
                           elsewhere in the same solo: motifs developed by transposition
    copy_rate              2-bar event fragments (with notes) found verbatim in the training solos
    pattern_rate           8-note windows whose interval sequence (7 intervals, rhythm aside) occurs
                           in the training solos: licks taken over, in any key

A phrase needs a rest of at least `PHRASE_REST_BEATS` beats between a note's end and the next
onset.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np

from improvise.core.music import Tune, is_chord_tone

PHRASE_REST_BEATS = 1.0
MEASURES = (
    "chord_tone_rate",
    "strong_beat_ctr",
    "phrase_end_ctr",
    "repeated_note_rate",
    "eighth_grid_rate",
    "silence_share",
    "phrase_beats",
    "motif_recurrence",
)
LABELS = {
    "chord_tone_rate": "chord-tone rate",
    "strong_beat_ctr": "chord tones on beats 1 and 3",
    "phrase_end_ctr": "phrase-final chord tones",
    "repeated_note_rate": "repeated notes (share of intervals)",
    "eighth_grid_rate": "onsets on the (swung) eighth grid",
    "silence_share": "silence share",
    "phrase_beats": "mean phrase length (beats)",
    "motif_recurrence": "5-note shapes recurring in the solo",
    "copy_rate": "2-bar fragments copied from training",
    "pattern_rate": "8-note interval patterns found in training",
}
PATTERN_NOTES = 8


def _rate(flags) -> float | None:
    flags = [f for f in flags if f is not None]
    return float(np.mean(flags)) if flags else None


def _notes(tune: Tune) -> list:
    return sorted((n for n in tune.melody if 0 <= n.start < tune.steps), key=lambda n: n.start)


def chord_tone_counts(tune: Tune) -> tuple[int, int]:
    """(chord tones, notes under a chord): data.wjd pools these over solos."""
    flags = [is_chord_tone(n.pitch, tune.chords[n.start]) for n in _notes(tune)]
    flags = [f for f in flags if f is not None]
    return sum(flags), len(flags)


def chord_tone_rate(tune: Tune) -> float:
    hits, total = chord_tone_counts(tune)
    return hits / total if total else 0.0


def strong_beat_ctr(tune: Tune) -> float | None:
    spb = tune.steps_per_beat
    strong = {0} if tune.beats_per_bar % 2 else set(range(0, tune.steps_per_bar, 2 * spb))
    return _rate(
        is_chord_tone(n.pitch, tune.chords[n.start])
        for n in _notes(tune)
        if n.start % tune.steps_per_bar in strong
    )


def phrases(tune: Tune) -> list[list]:
    """The melody cut at every rest of PHRASE_REST_BEATS beats or more."""
    gap = PHRASE_REST_BEATS * tune.steps_per_beat
    out: list[list] = []
    for n in _notes(tune):
        if out and n.start - (out[-1][-1].start + out[-1][-1].length) < gap:
            out[-1].append(n)
        else:
            out.append([n])
    return out


def phrase_end_ctr(tune: Tune) -> float | None:
    return _rate(is_chord_tone(p[-1].pitch, tune.chords[p[-1].start]) for p in phrases(tune))


def phrase_beats(tune: Tune) -> float | None:
    lengths = [(p[-1].start + p[-1].length - p[0].start) / tune.steps_per_beat for p in phrases(tune)]
    return float(np.mean(lengths)) if lengths else None


def repeated_note_rate(tune: Tune) -> float | None:
    p = [n.pitch for n in _notes(tune)]
    return float(np.mean(np.diff(p) == 0)) if len(p) > 1 else None


EIGHTH_STEPS = {4: (0, 2), 3: (0, 2), 2: (0, 1), 1: (0,)}


def eighth_grid_rate(tune: Tune) -> float | None:
    spb = tune.steps_per_beat
    ok = EIGHTH_STEPS.get(spb, tuple(range(0, spb, max(1, spb // 2))))
    return _rate(n.start % spb in ok for n in _notes(tune))


def silence_share(tune: Tune) -> float:
    sounding = np.zeros(tune.steps, dtype=bool)
    for n in _notes(tune):
        sounding[n.start : n.start + n.length] = True
    return float(1 - sounding.mean()) if tune.steps else 0.0


def motif_recurrence(tune: Tune, notes: int = 5) -> float | None:
    p = [n.pitch for n in _notes(tune)]
    iv = np.diff(p)
    shapes = [tuple(iv[i : i + notes - 1]) for i in range(len(iv) - notes + 2)]
    if not shapes:
        return None
    count = Counter(shapes)
    return float(np.mean([count[s] > 1 for s in shapes]))


def measure(tune: Tune) -> dict:
    """Every measure of MEASURES for one solo (None where it has no notes to measure)."""
    return {name: globals()[name](tune) for name in MEASURES}


def band(values, lo: float = 10, hi: float = 90) -> dict:
    """Mean and the lo-hi percentile band of per-solo values (None left out)."""
    v = np.array([x for x in values if x is not None], dtype=float)
    if not len(v):
        return {"mean": None, "p10": None, "p90": None, "n": 0}
    return {
        "mean": float(v.mean()),
        "p10": float(np.percentile(v, lo)),
        "p90": float(np.percentile(v, hi)),
        "n": int(len(v)),
    }


# ---- copying from the training solos ------------------------------------------------------
def interval_patterns(tune: Tune, notes: int = PATTERN_NOTES) -> list[tuple]:
    """The interval sequence of every `notes`-note window of the melody, in order."""
    steps = np.diff([n.pitch for n in _notes(tune)]).tolist()
    return [tuple(steps[i : i + notes - 1]) for i in range(len(steps) - notes + 2)]


def pattern_rate(tune: Tune, training: set, notes: int = PATTERN_NOTES) -> float | None:
    """Share of the melody's `notes`-note windows whose intervals are in `training` (a set of
    `interval_patterns` of the training solos); None for a melody shorter than a window."""
    windows = interval_patterns(tune, notes)
    return float(np.mean([w in training for w in windows])) if windows else None


def note_windows(events: np.ndarray, length: int = 32, hop: int = 16) -> list[tuple]:
    """Windows of `length` events (2 bars of sixteenths) every `hop` steps that hold a note-on."""
    return [
        tuple(events[s : s + length])
        for s in range(0, len(events) - length + 1, hop)
        if (events[s : s + length] >= 2).any()
    ]


def fragments(events: np.ndarray, length: int = 32, hop: int = 16) -> set[tuple]:
    """The distinct 2-bar windows with notes (`note_windows`), for `copy_rate`."""
    return set(note_windows(events, length, hop))


def copy_rate(events: np.ndarray, training: set[tuple], length: int = 32, hop: int = 16) -> float:
    """Share of the solo's 2-bar fragments (with notes) found verbatim in `training`."""
    frags = note_windows(events, length, hop)
    return float(np.mean([f in training for f in frags])) if frags else 0.0


def _hash(fragment: tuple) -> int:
    digest = hashlib.blake2b(np.asarray(fragment, dtype=np.int16).tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def fragment_hashes(event_seqs, length: int = 32, hop: int = 16) -> np.ndarray:
    """Sorted int64 hashes of every 2-bar fragment (with notes) of the sequences."""
    return np.array(
        sorted({_hash(f) for ev in event_seqs for f in fragments(np.asarray(ev), length, hop)}),
        dtype=np.int64,
    )


def copy_rate_hashed(events: np.ndarray, hashes: np.ndarray, length: int = 32, hop: int = 16) -> float:
    """`copy_rate` against hashed training fragments (a run folder's fragments.npy)."""
    frags = [_hash(f) for f in note_windows(events, length, hop)]
    return float(np.isin(np.array(frags, dtype=np.int64), hashes).mean()) if frags else 0.0
