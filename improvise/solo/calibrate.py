"""How far the soloist's sampler favours chord tones (issue 15): as far as the players do, and
no further. Drawn at temperature 1, the network plays chord tones a little less often than the
solos it learned from (on the WJD: 0.477 against 0.490 of the notes, 0.499 against 0.526 on beats
1 and 3), the usual cost of sampling from a smoothed distribution. `calibrate_chord_tones` finds
the two biases of `SoloControls` (`strong_tones` on beats 1 and 3, `other_tones` elsewhere; which
pitch is played changes, not when notes start: `generate.favour`) at which solos drawn over the
calibration solos' own changes match those players' per-solo means, and a run folder keeps them
(config.json "calibration"), so `improvise solo` plays as chordally as the players by default.

The calibration solos are the training run's validation solos and every third training solo:
the data the model was fit and chosen on, never the test solos."""

from __future__ import annotations

import math

import numpy as np

from improvise.core.errors import UserError
from improvise.solo.generate import SoloControls, events_to_tune, generate_solo
from improvise.solo.measures import chord_tone_rate, strong_beat_ctr

LIMIT = 3.0  # the largest bias a calibration may choose (a chord tone e^3 = 20 times as likely)
KEYS = ("strong_tones", "other_tones")
TARGETS = ("strong_beat_ctr", "chord_tone_rate")  # what each bias is fitted to, in order


def _rates(tunes: list) -> np.ndarray:
    strong = [r for r in (strong_beat_ctr(t) for t in tunes) if r is not None]
    return np.array([np.mean(strong) if strong else 0.0, np.mean([chord_tone_rate(t) for t in tunes])])


def _drawn(stepper, enc, tunes: list, bias: np.ndarray, seed: int) -> np.ndarray:
    """The two rates over solos drawn on every tune's changes with `bias`: the same seeds at
    every call, so that two biases are compared on the same random numbers."""
    out = []
    for k, tune in enumerate(tunes):
        c = SoloControls(
            low=enc.events.min_pitch,
            high=enc.events.max_pitch,
            seed=seed + k,
            strong_tones=float(bias[0]),
            other_tones=float(bias[1]),
        )
        chords = list(tune.chords)
        ev = generate_solo(stepper, enc, chords, tune.steps_per_bar, c, steps_per_beat=tune.steps_per_beat)
        out.append(events_to_tune(ev, chords, enc, tune.steps_per_bar, tune.tempo_bpm, tune.steps_per_beat))
    return _rates(out)


def calibrate_chord_tones(stepper, enc, tunes: list, seed: int = 0, step: float = 0.4) -> dict:
    """The biases at which solos drawn over `tunes`' changes (Tunes of players' solos) play
    chord tones on beats 1 and 3, and overall, as often per solo as the players: two finite
    differences for the slopes, then two Newton steps on that Jacobian. Five passes over the
    tunes."""
    target = _rates(tunes)
    bias = np.zeros(2)
    at0 = _drawn(stepper, enc, tunes, bias, seed)
    jac = np.empty((2, 2))
    for j in range(2):
        d = np.zeros(2)
        d[j] = step
        jac[:, j] = (_drawn(stepper, enc, tunes, d, seed) - at0) / step
    reached = at0
    if abs(np.linalg.det(jac)) > 1e-6:
        for _ in range(2):
            bias = np.clip(bias + np.linalg.solve(jac, target - reached), -LIMIT, LIMIT)
            reached = _drawn(stepper, enc, tunes, bias, seed)
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
    """The two biases of a run's config.json `doc` (0 where it has none), checked."""
    cal = doc.get("calibration")
    if cal is None:
        return dict.fromkeys(KEYS, 0.0)
    if not isinstance(cal, dict):
        raise UserError(f"{where}: calibration must be an object, not {type(cal).__name__}")
    out = {}
    for k in KEYS:
        v = cal.get(k, 0.0)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or abs(v) > 20:
            raise UserError(f"{where}: calibration.{k} must be a number in [-20, 20], not {str(v)[:40]}")
        out[k] = float(v)
    return out


def calibrate_run(run, wjd) -> dict:
    """Calibrate a soloist run folder (one trained before calibration, or the shipped one) on
    the WJD solos its training split names, and record the result in its config.json."""
    from pathlib import Path

    from improvise.core.runs import read_json, write_json
    from improvise.solo.runs import open_solo_run
    from improvise.solo.train import load_split

    run = Path(run)
    stepper, enc, _, cfg = open_solo_run(run)
    solos, split = load_split(Path(wjd), cfg.subset, cfg.grid)
    cal = calibrate_chord_tones(stepper, enc, [solos[i].tune for i in calibration_solos(split)], cfg.seed)
    doc = read_json(run / "config.json")
    doc["calibration"] = cal
    write_json(run / "config.json", doc)
    return cal


def main(argv=None) -> int:
    """`python -m improvise.solo.calibrate --run RUN --wjd WJD`: (re)calibrate a soloist's
    chord-tone biases in place (solo-train does it after training)."""
    import argparse
    import json

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--run", required=True)
    p.add_argument("--wjd", required=True)
    a = p.parse_args(argv)
    print(json.dumps(calibrate_run(a.run, a.wjd), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
