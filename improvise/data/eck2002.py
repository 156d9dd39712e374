"""The training set of Eck & Schmidhuber 2002, reconstructed (seed 001, IDSIA-07-02).

What is certain: a 12-bar blues in C (`| C7 | C7 | C7 | C7 | F7 | F7 | C7 | C7 | G7 | F7 | C7 | C7 |`),
eighth-note steps (96 a chorus), chords voiced in the octave below middle C, melodies on the
pentatonic scale in the octave from middle C, and choruses built "by choosing randomly from
melodic segments that fit the blues form", so that "only one or two bars are changed at a time".

What is reconstructed: Eck's segments were "worked out on the piano" and are not published.
Ours are four one-bar segments a chord on C major pentatonic (C D E G A C), each leaning on the
chord's tones that the scale holds (C7: C E G; F7: C A; G7: G D) on the strong beats. A corpus
draws a base chorus bar by bar, then every further chorus copies the previous one and redraws
one or two of its bars.
"""

from __future__ import annotations

import numpy as np

from improvise.core.errors import ConfigError
from improvise.core.music import Note, Tune
from improvise.data.blues_synth import BLUES_FORM

PENTATONIC = (60, 62, 64, 67, 69, 72)  # C4 D4 E4 G4 A4 C5
SEGMENTS: dict[str, tuple[tuple[int, ...], ...]] = {
    "C7": (
        (60, 64, 67, 64, 60, 64, 67, 72),
        (72, 69, 67, 64, 67, 64, 62, 60),
        (64, 67, 69, 67, 64, 62, 60, 62),
        (60, 60, 64, 64, 67, 67, 64, 64),
    ),
    "F7": (
        (69, 67, 69, 72, 69, 67, 64, 62),
        (72, 72, 69, 69, 67, 69, 72, 69),
        (60, 69, 67, 69, 60, 62, 64, 67),
        (69, 69, 72, 72, 69, 67, 64, 67),
    ),
    "G7": (
        (67, 69, 67, 62, 67, 64, 62, 60),
        (62, 64, 67, 69, 67, 64, 62, 64),
        (67, 67, 62, 62, 67, 69, 72, 69),
        (62, 60, 62, 64, 67, 64, 62, 67),
    ),
}


def _tune(bars: list[int]) -> Tune:
    notes = []
    for b, seg in enumerate(bars):
        chord = BLUES_FORM.bars[b].symbol
        for k, pitch in enumerate(SEGMENTS[chord][seg]):
            notes.append(Note(pitch, b * BLUES_FORM.steps_per_bar + k, 1))
    return Tune(chords=BLUES_FORM.per_step(), melody=notes, steps_per_bar=BLUES_FORM.steps_per_bar)


def eck2002_corpus(n_choruses: int = 8, seed: int = 0) -> list[Tune]:
    """`n_choruses` choruses; each differs from the one before in one or two bars."""
    if n_choruses < 1:
        raise ConfigError("the corpus needs at least one chorus")
    rng = np.random.default_rng(seed)
    n_bars = len(BLUES_FORM.bars)
    bars = [int(rng.integers(len(SEGMENTS[c.symbol]))) for c in BLUES_FORM.bars]
    tunes = [_tune(bars)]
    for _ in range(n_choruses - 1):
        bars = list(bars)
        for b in rng.choice(n_bars, size=int(rng.integers(1, 3)), replace=False):
            options = [s for s in range(len(SEGMENTS[BLUES_FORM.bars[b].symbol])) if s != bars[b]]
            bars[b] = int(rng.choice(options))
        tunes.append(_tune(bars))
    return tunes
