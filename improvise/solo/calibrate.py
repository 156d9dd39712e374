"""How far the soloist's sampler favours chord tones, its own motifs and notes (issue 15): as far
as the players do, and no further. Drawn at temperature 1, one step at a time from a smoothed
distribution, the network plays chord tones a little less often than the solos it learned from
(the shipped soloist on its calibration solos: 0.481 against 0.495 of the notes, 0.499 against
0.526 on beats 1 and 3; docs/solo.md) and develops its own shapes half as often (5-note shapes
that recur within a solo: 0.10 against 0.21). `calibrate_biases` finds four controls of
`SoloControls`: `strong_tones` on beats 1 and 3 and `other_tones` elsewhere (the chord tones'
log-odds), `motif` (the log-odds of the pitch the motif memory suggests) and `density` (every
note-on's), at which solos drawn over the calibration solos' own changes match those players'
per-solo means of chord tones on beats 1 and 3, chord tones, recurring shapes and phrase length.
The first three move probability between pitches only, not when notes start (`generate.favour`);
density is there because following one's motifs lengthens phrases. A run folder keeps them
(config.json "calibration"), so `improvise solo` plays as its players do by default.

The calibration solos are the training run's validation solos and every third training solo:
the data the model was fit and chosen on, never the test solos."""

from __future__ import annotations

import math

import numpy as np

from improvise.core.errors import UserError
from improvise.solo.generate import SoloControls, events_to_tune, generate_solo
from improvise.solo.measures import chord_tone_rate, motif_recurrence, phrase_beats, strong_beat_ctr

LIMIT = 3.0  # the largest bias a calibration may choose (a chord tone e^3 = 20 times as likely)
KEYS = ("strong_tones", "other_tones", "motif", "density")
TARGETS = ("strong_beat_ctr", "chord_tone_rate", "motif_recurrence", "phrase_beats")  # fitted to, in order
MEASURE = (strong_beat_ctr, chord_tone_rate, motif_recurrence, phrase_beats)
NEWTON_STEPS = 3  # after the Jacobian: 1 + 4 + 3 = 8 passes over the calibration solos


def _mean(values) -> float:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else 0.0


def _rates(tunes: list) -> np.ndarray:
    return np.array([_mean(f(t) for t in tunes) for f in MEASURE])


def draw_over(model, enc, tunes: list, seed: int = 0, **biases) -> list[tuple[np.ndarray, object]]:
    """A solo over each of `tunes`' changes (temperature 1, the model's whole register, seed
    `seed + i` for the i-th, `biases` as in `SoloControls`): its events and its Tune."""
    out = []
    for i, tune in enumerate(tunes):
        c = SoloControls(low=enc.events.min_pitch, high=enc.events.max_pitch, seed=seed + i, **biases)
        chords = list(tune.chords)
        ev = generate_solo(model, enc, chords, tune.steps_per_bar, c, steps_per_beat=tune.steps_per_beat)
        out.append(
            (ev, events_to_tune(ev, chords, enc, tune.steps_per_bar, tune.tempo_bpm, tune.steps_per_beat))
        )
    return out


def _drawn(stepper, enc, tunes: list, bias: np.ndarray, seed: int) -> np.ndarray:
    """`TARGETS` over solos drawn on every tune's changes with `bias`: the same seeds at every
    call, so that two biases are compared on the same random numbers."""
    biases = {name: float(b) for name, b in zip(KEYS, bias)}
    return _rates([tune for _, tune in draw_over(stepper, enc, tunes, seed, **biases)])


def calibrate_biases(
    stepper, enc, tunes: list, seed: int = 0, step: float = 0.4, progress: bool = False
) -> dict:
    """The biases at which solos drawn over `tunes`' changes (Tunes of players' solos) match
    the players' per-solo means of `TARGETS`: a finite difference for each bias, then
    `NEWTON_STEPS` Gauss-Newton steps on that Jacobian (a bar over the passes with `progress`,
    where stderr is a terminal)."""
    from tqdm import tqdm

    n = len(KEYS)
    bar = tqdm(
        total=1 + n + NEWTON_STEPS, desc="calibrating", unit="pass", leave=False, disable=not progress or None
    )

    def drawn(bias: np.ndarray) -> np.ndarray:
        bar.update()
        return _drawn(stepper, enc, tunes, bias, seed)

    target = _rates(tunes)
    bias = np.zeros(n)
    at0 = drawn(bias)
    jac = np.empty((n, n))
    for j in range(n):
        d = np.zeros(n)
        d[j] = step
        jac[:, j] = (drawn(d) - at0) / step
    reached = at0
    scale = 1 / np.maximum(np.abs(target), 1e-3)  # relative errors: rates and beats alike
    for _ in range(NEWTON_STEPS):  # least squares: a bias that moves nothing stays put
        move = np.linalg.lstsq(jac * scale[:, None], (target - reached) * scale, rcond=1e-6)[0]
        bias = np.clip(bias + move, -LIMIT, LIMIT)
        reached = drawn(bias)
    bar.close()
    return {
        **{k: round(float(b), 4) for k, b in zip(KEYS, bias)},
        "solos": len(tunes),
        "players": dict(zip(TARGETS, map(float, target))),
        "unbiased": dict(zip(TARGETS, map(float, at0))),
        "reached": dict(zip(TARGETS, map(float, reached))),
    }


def calibration_solos(split: dict, every: int = 3) -> list:
    """The ids a calibration draws over: the validation solos and every `every`-th training solo."""
    return list(split["valid"]) + list(split["train"][::every])


def read_calibration(doc: dict, where) -> dict:
    """The biases (`KEYS`) of a run's config.json `doc` (0 where it has none), checked."""
    cal = doc.get("calibration")
    if cal is None:
        return dict.fromkeys(KEYS, 0.0)
    if not isinstance(cal, dict):
        raise UserError(f"{where}: calibration must be an object, not {type(cal).__name__}")
    out = {}
    for k in KEYS:
        v = cal.get(k, 0.0)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or abs(v) > LIMIT:
            raise UserError(
                f"{where}: calibration.{k} must be a number in [-{LIMIT:g}, {LIMIT:g}], not {str(v)[:40]}"
            )
        out[k] = float(v)
    return out
