"""`improvise compare` and `improvise likelihood`: the melody model zoo from the command line."""

from __future__ import annotations

import os
from pathlib import Path

from improvise.core.checks import (
    MAX_EPOCHS,
    MAX_HIDDEN,
    MAX_SECONDS,
    SEED,
    check_in_file,
    check_out_dir,
    float_flag,
    int_flag,
)
from improvise.core.errors import UserError


def add_zoo_parsers(sub, parser_class) -> None:
    from improvise.zoo.model import DEFAULT_MODELS, ZooConfig

    c = ZooConfig()
    p = sub.add_parser(
        "compare", help="train the melody model zoo on one corpus; leaderboard, table and plot"
    )
    p.add_argument(
        "--data",
        required=True,
        help="wjd:blues | wjd:all (with --wjd), music21:essen | music21:bach, "
        "or a file or folder of ABC, MusicXML, **kern or MIDI files",
    )
    p.add_argument(
        "--models",
        default=DEFAULT_MODELS,
        help=f"comma-separated (default {DEFAULT_MODELS}; also markovK for any K, gru, interval, lstm+chord)",
    )
    p.add_argument("--out", required=True, help="folder to write")
    p.add_argument("--wjd", default=None, help="the WJD folder for wjd:* (default: $IMPROVISE_WJD)")
    p.add_argument(
        "--on-bad-file",
        choices=["skip", "fail"],
        default="skip",
        help="a file that cannot be read: warn and skip it (default), or stop",
    )
    p.add_argument(
        "--grid", choices=["8th", "16th"], default="16th", help="quantise to eighths or sixteenths"
    )
    p.add_argument(
        "--epochs",
        type=int_flag(1, MAX_EPOCHS),
        default=c.epochs,
        help=f"most epochs of a neural model (1-{MAX_EPOCHS})",
    )
    p.add_argument(
        "--max-seconds",
        type=float_flag(0, MAX_SECONDS),
        default=c.max_seconds,
        help="training budget of a neural model in seconds (0: none)",
    )
    p.add_argument(
        "--hidden", type=int_flag(1, MAX_HIDDEN), default=c.hidden, help=f"recurrent units (1-{MAX_HIDDEN})"
    )
    p.add_argument(
        "--max-samples",
        type=int_flag(1, 100_000),
        default=40,
        help="held-out pieces to sample a melody over (1-100000)",
    )
    p.add_argument("--seed", type=SEED, default=c.seed)
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep the models already in --out/models and go on training one that was cut off",
    )
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_compare)
    _add_likelihood(sub)


def _add_likelihood(sub) -> None:
    p = sub.add_parser(
        "likelihood",
        help="how probable a zoo model or a soloist finds a melody, step by step or note by note",
    )
    p.add_argument(
        "run_dir",
        help="a model folder (DIR/models/NAME of 'improvise compare'), the compare DIR, or a soloist's "
        "run folder ('improvise solo-train'; 'shipped' for the one shipped with improvise)",
    )
    p.add_argument("file", nargs="?", default=None, help="an ABC, MusicXML, **kern or MIDI file")
    p.add_argument(
        "--solo",
        default=None,
        help="with a soloist: the solo to score (a MIDI, MusicXML, ABC or **kern file, an 'improvise "
        "solo' solo.json, or wjd:MELID with --wjd)",
    )
    p.add_argument(
        "--leadsheet",
        default=None,
        help="with a soloist: the changes under the solo (any lead sheet 'improvise solo' reads; "
        "wjd:MELID solos have their own)",
    )
    p.add_argument("--wjd", default=None, help="the WJD folder, for wjd:MELID")
    p.add_argument("--standards", default=None, help="JazzStandards.json to look --leadsheet titles up in")
    p.add_argument("--model", default=None, help="with a compare DIR: which model (default lstm)")
    p.add_argument(
        "--piece", type=int_flag(0, 10**6), default=0, help="which piece of a file holding several (from 0)"
    )
    p.add_argument(
        "--grid",
        choices=["8th", "16th"],
        default=None,
        help="quantisation (default: the grid the model was trained on)",
    )
    p.add_argument("--out", default=None, help="folder for likelihood.json and likelihood.png")
    p.add_argument("--all-steps", action="store_true", help="print holds too")
    p.add_argument("--json", action="store_true", help="print the JSON instead of the table")
    p.set_defaults(func=cmd_likelihood)


def _wjd(a) -> Path | None:
    if not a.data.startswith("wjd:"):
        return None
    w = a.wjd or os.environ.get("IMPROVISE_WJD")
    if not w:
        raise UserError(
            f"--data {a.data} needs --wjd DIR (the Weimar Jazz Database's CSV folder) or $IMPROVISE_WJD"
        )
    return Path(w)


def cmd_compare(a) -> int:
    from improvise.zoo.compare import compare, leaderboard_table
    from improvise.zoo.model import ZooConfig, valid_name

    check_out_dir(a.out)
    wjd = _wjd(a)
    if wjd is not None and not (wjd / "wjd_solos.csv").is_file():
        raise UserError(f"{wjd}: no Weimar Jazz Database here (give --wjd DIR)")
    models = [m.strip() for m in a.models.split(",") if m.strip()]
    if not models:
        raise UserError(f"--models: no model named in {a.models!r}")
    for m in models:
        valid_name(m)
    cfg = ZooConfig(epochs=a.epochs, max_seconds=a.max_seconds, hidden=a.hidden, seed=a.seed)
    cfg.validate()
    result = compare(
        a.data,
        models,
        Path(a.out),
        cfg,
        a.on_bad_file,
        wjd,
        2 if a.grid == "8th" else 4,
        a.max_samples,
        progress=not a.quiet,
        resume=a.resume,
    )
    if not a.quiet:
        print("\n".join(leaderboard_table(result)))
        print(f"wrote {a.out}/leaderboard.json, leaderboard.md, leaderboard.png and models/")
    return 0


def _solo_likelihood(a) -> int:
    import json

    from improvise.solo.likelihood import format_solo_likelihood, solo_likelihood
    from improvise.solo.runs import PRETRAINED

    solo = a.solo or a.file
    if solo is None:
        raise UserError("a soloist scores a solo: give --solo FILE (or wjd:MELID) and --leadsheet SHEET")
    if a.model is not None or a.grid is not None:
        raise UserError("--model and --grid are for zoo runs; a soloist has one model and its own grid")
    if a.out:
        check_out_dir(a.out)
    result = solo_likelihood(
        PRETRAINED if a.run_dir == "shipped" else Path(a.run_dir),
        solo,
        a.leadsheet,
        Path(a.out) if a.out else None,
        Path(a.wjd) if a.wjd else None,
        Path(a.standards) if a.standards else None,
    )
    print(json.dumps(result, indent=1) if a.json else "\n".join(format_solo_likelihood(result)))
    return 0


def cmd_likelihood(a) -> int:
    import json

    from improvise.solo.likelihood import is_solo_run
    from improvise.zoo.likelihood import format_likelihood, likelihood

    if a.run_dir == "shipped" or is_solo_run(Path(a.run_dir)):
        return _solo_likelihood(a)
    if a.solo or a.leadsheet:
        raise UserError(
            f"{a.run_dir}: --solo and --leadsheet are for a soloist's run folder (improvise solo-train)"
        )
    if a.file is None:
        raise UserError("give the melody FILE to score")
    check_in_file(a.file)
    if a.out:
        check_out_dir(a.out)
    result = likelihood(
        Path(a.run_dir),
        Path(a.file),
        a.model,
        a.piece,
        {"8th": 2, "16th": 4}.get(a.grid),
        Path(a.out) if a.out else None,
    )
    if a.json:
        print(json.dumps(result, indent=1))
    else:
        print("\n".join(format_likelihood(result, a.all_steps)))
    return 0
