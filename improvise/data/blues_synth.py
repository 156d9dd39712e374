"""The synthesized 12-bar blues corpus of seed 000 (Eck & Schmidhuber 2002, as reproduced).

Every chorus plays `| C7 | C7 | C7 | C7 | F7 | F7 | C7 | C7 | G7 | F7 | C7 | C7 |` in eighth
notes (8 steps a bar, 96 a chorus). The melody is drawn step by step from the C blues scale
over two octaves (C4 Eb4 F4 G4 Bb4 C5 Eb5, MIDI 60-75, "middle C and up" as in seed 001):

- strong beats (steps 0 and 4 of a bar) take a tone of the chord's palette, weighted
  0.55 / 0.20 / 0.15 / 0.10 in palette order (the first entry is the chord's anchor tone);
- weak beats rest with probability 0.20, take a palette tone with 0.45, and any scale tone
  (a passing tone) with 0.35.

Palettes and weights follow seed 000's generator (its pitch indices moved up an octave).
"""

from __future__ import annotations

import numpy as np

from improvise.core.errors import ConfigError
from improvise.core.music import Note, Progression, Tune

BLUES_FORM = Progression.parse("| C7 | C7 | C7 | C7 | F7 | F7 | C7 | C7 | G7 | F7 | C7 | C7 |")
BLUES_SCALE = (60, 63, 65, 67, 70, 72, 75)  # C blues scale (no b5), two octaves from middle C
PALETTES: dict[str, tuple[int, ...]] = {
    "C7": (60, 72, 70, 75),
    "F7": (65, 63, 60, 70),
    "G7": (67, 65, 70, 63),
}
STRONG_WEIGHTS = (0.55, 0.20, 0.15, 0.10)
STRONG_STEPS = (0, 4)
REST_PROB_WEAK = 0.20
PALETTE_PROB_WEAK = 0.45


def synth_chorus(rng: np.random.Generator, form: Progression = BLUES_FORM) -> Tune:
    """One chorus of the synthesized corpus, drawn with `rng`."""
    notes: list[Note] = []
    for t in range(form.steps):
        palette = PALETTES[form.chord_at(t).symbol]
        if t % form.steps_per_bar in STRONG_STEPS:
            pitch = int(rng.choice(palette, p=STRONG_WEIGHTS))
        else:
            r = rng.random()
            if r < REST_PROB_WEAK:
                continue
            pool = palette if r < REST_PROB_WEAK + PALETTE_PROB_WEAK else BLUES_SCALE
            pitch = int(rng.choice(pool))
        notes.append(Note(pitch, t, 1))
    return Tune(chords=form.per_step(), melody=notes, steps_per_bar=form.steps_per_bar)


def synth_blues_corpus(n_choruses: int = 8, seed: int = 0) -> list[Tune]:
    """`n_choruses` choruses of the synthesized blues; the same seed gives the same corpus."""
    if n_choruses < 1:
        raise ConfigError("the corpus needs at least one chorus")
    rng = np.random.default_rng(seed)
    return [synth_chorus(rng) for _ in range(n_choruses)]
