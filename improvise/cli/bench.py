"""`improvise bench polyphonic`: the 88-output LSTM on the piano-roll benchmarks, test NLL per step."""

from __future__ import annotations

import shlex
from pathlib import Path

from improvise.core.checks import (
    MAX_EPOCHS,
    MAX_HIDDEN,
    MAX_SECONDS,
    SEED,
    check_in_dir,
    check_out_dir,
    float_flag,
    int_flag,
)


def add_bench_parser(sub, parser_class) -> None:
    from improvise.data.pianoroll import DATASETS  # not polyphonic.task: that imports torch

    bench = sub.add_parser("bench", help="published benchmarks: train a model, report its test figure")
    bsub = bench.add_subparsers(dest="bench_command", required=True, parser_class=parser_class)
    p = bsub.add_parser(
        "polyphonic", help="88-output LSTM on a Boulanger-Lewandowski piano-roll set: test NLL per time step"
    )
    p.add_argument("--data", required=True, choices=list(DATASETS))
    p.add_argument("--data-dir", required=True, help="folder with the Boulanger-Lewandowski .mat files")
    p.add_argument(
        "--minutes",
        type=float_flag(0, MAX_SECONDS / 60),
        default=None,
        help="training time budget in minutes (default 25)",
    )
    p.add_argument("--out", default=None, help="run folder to write (default runs/polyphonic/DATA)")
    p.add_argument(
        "--docs", default=None, help="also write DOCS/DATA.json and DOCS/DATA.png (the committed figures)"
    )
    p.add_argument("--resume", action="store_true", help="go on from the run folder's last epoch")
    p.add_argument("--seed", type=SEED, default=None)
    p.add_argument(
        "--hidden",
        type=int_flag(1, MAX_HIDDEN),
        default=None,
        help=f"LSTM units (1-{MAX_HIDDEN}; default: preset)",
    )
    p.add_argument("--layers", type=int_flag(1, 16), default=None, help="stacked LSTM layers (1-16)")
    p.add_argument("--input-dropout", type=float_flag(0, 1, hi_open=True), default=None, help="in [0, 1)")
    p.add_argument(
        "--dropout",
        type=float_flag(0, 1, hi_open=True),
        default=None,
        help="between stacked layers, in [0, 1)",
    )
    p.add_argument("--output-dropout", type=float_flag(0, 1, hi_open=True), default=None, help="in [0, 1)")
    p.add_argument(
        "--transpose",
        type=int_flag(0, 24),
        default=None,
        help="augment: shift training pieces by up to K keys",
    )
    p.add_argument("--batch", type=int_flag(1, 4096), default=None, help="pieces an update (1-4096)")
    p.add_argument(
        "--window", type=int_flag(0, 100_000), default=None, help="truncated-BPTT steps (0: whole pieces)"
    )
    p.add_argument(
        "--lr", type=float_flag(0, 10, lo_open=True), default=None, help="Adam step size, in (0, 10]"
    )
    p.add_argument("--weight-decay", type=float_flag(0, 10), default=None, help="Adam L2 penalty, in [0, 10]")
    p.add_argument("--lr-decay", type=float_flag(0, 1, lo_open=True), default=None, help="in (0, 1]")
    p.add_argument(
        "--patience", type=int_flag(1, MAX_EPOCHS), default=None, help="stale epochs before stopping"
    )
    p.add_argument("--epochs", type=int_flag(1, MAX_EPOCHS), default=None, help=f"at most (1-{MAX_EPOCHS})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_bench_polyphonic)


def cmd_bench_polyphonic(a) -> int:
    from improvise.polyphonic.task import bench_polyphonic

    out = check_out_dir(a.out or f"runs/polyphonic/{a.data}")
    check_in_dir(a.data_dir, "data folder")
    if a.docs:
        check_out_dir(a.docs, "--docs")
    command = _command(a)
    m = bench_polyphonic(
        a.data,
        Path(a.data_dir),
        out,
        Path(a.docs) if a.docs else None,
        progress=not a.quiet,
        resume=a.resume,
        command=command,
        seed=a.seed,
        hidden=a.hidden,
        layers=a.layers,
        input_dropout=a.input_dropout,
        dropout=a.dropout,
        output_dropout=a.output_dropout,
        transpose=a.transpose,
        batch=a.batch,
        window=a.window,
        lr=a.lr,
        weight_decay=a.weight_decay,
        lr_decay=a.lr_decay,
        patience=a.patience,
        epochs=a.epochs,
        max_seconds=None if a.minutes is None else 60.0 * a.minutes,
    )
    pub = m["published"]
    ref = f" (published LSTM {pub['LSTM']}, TCN {pub['TCN']})" if pub else ""
    print(
        f"{m['name']}: test NLL {m['test_nll']:.3f} nats a time step{ref}; without first steps "
        f"{m['test_nll_without_first_step']:.3f}; valid {m['valid_nll']:.3f}; {m['train_minutes']:.1f} min, "
        f"{m['epochs_run']} epochs -> {out}"
    )
    return 0


def _command(a) -> str:
    """The command line that reproduces this run (the flags given, in a fixed order)."""
    words = ["improvise", "bench", "polyphonic", "--data", a.data]
    for flag in (
        "data_dir",
        "out",
        "docs",
        "minutes",
        "seed",
        "hidden",
        "layers",
        "input_dropout",
        "dropout",
        "output_dropout",
        "transpose",
        "batch",
        "window",
        "lr",
        "weight_decay",
        "lr_decay",
        "patience",
        "epochs",
    ):
        v = getattr(a, flag)
        if v is not None:
            words += ["--" + flag.replace("_", "-"), str(v)]
    return shlex.join(words + ["--quiet"] * a.quiet)
