"""`python -m improvise.solo.recalibrate --run RUN --wjd WJD`: calibrate a soloist run folder
in place (one trained before calibration existed, or the shipped one; `solo-train` calibrates
its own): `solo.calibrate` on the WJD solos its training split names, recorded in config.json."""

from __future__ import annotations

from pathlib import Path

from improvise.solo.calibrate import calibrate_biases, calibration_solos


def calibrate_run(run, wjd) -> dict:
    """Calibrate a soloist run folder (one trained before calibration, or the shipped one) on
    the WJD solos its training split names, and record the result in its config.json."""
    from improvise.core.runs import read_json, write_json
    from improvise.solo.runs import open_solo_run
    from improvise.solo.train import load_split

    run = Path(run)
    stepper, enc, _, cfg = open_solo_run(run)
    solos, split = load_split(Path(wjd), cfg.subset, cfg.grid)
    cal = calibrate_biases(
        stepper, enc, [solos[i].tune for i in calibration_solos(split)], cfg.seed, progress=True
    )
    doc = read_json(run / "config.json")
    doc["calibration"] = cal
    write_json(run / "config.json", doc)
    return cal


def main(argv=None) -> int:
    """`python -m improvise.solo.recalibrate --run RUN --wjd WJD`: (re)calibrate a soloist's
    sampling biases in place (solo-train does it after training)."""
    import argparse
    import json
    import sys

    from improvise.core.errors import UserError

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--run", required=True)
    p.add_argument("--wjd", required=True)
    a = p.parse_args(argv)
    try:
        cal = calibrate_run(a.run, a.wjd)
    except UserError as e:
        print(f"improvise: error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(cal, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
