"""Structure and style metrics: pure functions of token arrays.

Conventions: arrays are indexed by step, and index 0 is the primer, so the first token a
model generates is step 1 and chorus k covers steps `period*k .. period*k + period - 1`.
`form` is the chord id each step should have (one chorus long; it repeats).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _form_per_step(form: Sequence[int], n: int) -> np.ndarray:
    form = np.asarray(form)
    return np.resize(form, n)


def bar_onset_match(chords: np.ndarray, form: Sequence[int], steps_per_bar: int) -> float:
    """Share of bar onsets (steps 0, 8, 16, ...) whose chord is the form's chord there."""
    chords = np.asarray(chords)
    onsets = np.arange(0, len(chords), steps_per_bar)
    return float((chords[onsets] == _form_per_step(form, len(chords))[onsets]).mean())


def step_match(chords: np.ndarray, form: Sequence[int]) -> float:
    """Share of all steps whose chord is the form's chord there."""
    chords = np.asarray(chords)
    return float((chords == _form_per_step(form, len(chords))).mean())


def on_beat_rate(pitches: np.ndarray, rest: int, steps_per_bar: int, strong: Sequence[int] = (0, 4)) -> float:
    """Share of strong-beat steps (positions `strong` in the bar) that sound a note, not REST."""
    pitches = np.asarray(pitches)
    on = np.isin(np.arange(len(pitches)) % steps_per_bar, strong)
    return float((pitches[on] != rest).mean()) if on.any() else 0.0


def membership_rate(
    chords: np.ndarray, pitches: np.ndarray, members: Sequence[frozenset[int]], rest: int
) -> float:
    """Share of non-REST steps whose pitch id is in `members[chord id]` of that step's chord."""
    chords, pitches = np.asarray(chords), np.asarray(pitches)
    table = np.zeros((len(members), int(max(pitches.max(initial=0), rest)) + 1), dtype=bool)
    for c, ids in enumerate(members):
        table[c, list(ids)] = True
    sounding = pitches != rest
    if not sounding.any():
        return 0.0
    return float(table[chords[sounding], pitches[sounding]].mean())


def palette_rate(chords, pitches, palettes: Sequence[frozenset[int]], rest: int) -> float:
    """Seed 000's "chord-tone rate": non-REST pitches in the current chord's palette."""
    return membership_rate(chords, pitches, palettes, rest)


def chord_tone_rate(chords, pitches, chord_tones: Sequence[frozenset[int]], rest: int) -> float:
    """True chord-tone rate: non-REST pitches whose pitch class is in the current chord
    (triad plus seventh). The WJD blues solos score 0.486 by this measure."""
    return membership_rate(chords, pitches, chord_tones, rest)


def per_chorus(fn, period: int, *arrays: np.ndarray, **kwargs) -> list[float]:
    """`fn` applied to each chorus-long slice of `arrays` (a trailing partial chorus is dropped)."""
    n = len(arrays[0]) // period
    return [fn(*(a[k * period : (k + 1) * period] for a in arrays), **kwargs) for k in range(n)]


def rollout_metrics(
    chords: np.ndarray,
    pitches: np.ndarray,
    *,
    form: Sequence[int],
    steps_per_bar: int,
    rest: int,
    palettes,
    chord_tones,
    strong: Sequence[int] = (0, 4),
) -> dict:
    """Every rollout metric at once, overall and per chorus (bar-onset match)."""
    period = len(form)
    return {
        "choruses": len(chords) // period,
        "bar_onset_match": bar_onset_match(chords, form, steps_per_bar),
        "step_match": step_match(chords, form),
        "on_beat_rate": on_beat_rate(pitches, rest, steps_per_bar, strong),
        "palette_rate": palette_rate(chords, pitches, palettes, rest),
        "chord_tone_rate": chord_tone_rate(chords, pitches, chord_tones, rest),
        "per_chorus_bar_onset": per_chorus(
            bar_onset_match, period, np.asarray(chords), form=form, steps_per_bar=steps_per_bar
        ),
    }


def copy_rate(pitches: np.ndarray, corpus_pitches: np.ndarray, window: int, hop: int | None = None) -> float:
    """Share of the generated melody's `window`-step fragments (taken every `hop` steps, from
    step 0) that occur verbatim anywhere in the corpus melody, read as a loop. 1.0 means the
    model only replays its training material; the synthesized blues corpus itself, being
    random, almost never repeats a 2-bar fragment."""
    pitches, corpus = np.asarray(pitches), np.asarray(corpus_pitches)
    hop = hop or window
    loop = np.concatenate([corpus, corpus[: window - 1]])
    seen = {loop[i : i + window].tobytes() for i in range(len(corpus))}
    starts = range(0, len(pitches) - window + 1, hop)
    hits = [pitches[s : s + window].tobytes() in seen for s in starts]
    return float(np.mean(hits)) if hits else 0.0
