"""`improvise bench polyphonic`: the 88-output LSTM on the piano-roll benchmarks, test NLL per step."""
from __future__ import annotations

import shlex
from pathlib import Path


def add_bench_parser(sub, parser_class) -> None:
    from improvise.polyphonic import DATASETS, DEFAULT_DATA_DIR

    bench = sub.add_parser("bench", help="published benchmarks: train a model, report its test figure")
    bsub = bench.add_subparsers(dest="bench_command", required=True, parser_class=parser_class)
    p = bsub.add_parser("polyphonic", help="88-output LSTM on a Boulanger-Lewandowski piano-roll set: "
                        "test NLL per time step")
    p.add_argument("--data", required=True, choices=list(DATASETS))
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help=f"folder with the .mat files (default "
                   f"{DEFAULT_DATA_DIR})")
    p.add_argument("--minutes", type=float, default=None, help="training time budget (default: the data set's preset)")
    p.add_argument("--out", default=None, help="run folder to write (default runs/polyphonic/DATA)")
    p.add_argument("--docs", default=None, help="also write DOCS/DATA.json and DOCS/DATA.png (the committed figures)")
    p.add_argument("--resume", action="store_true", help="go on from the run folder's last epoch")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--hidden", type=int, default=None, help="LSTM units (default: preset)")
    p.add_argument("--layers", type=int, default=None)
    p.add_argument("--input-dropout", type=float, default=None)
    p.add_argument("--dropout", type=float, default=None, help="between stacked layers")
    p.add_argument("--output-dropout", type=float, default=None)
    p.add_argument("--transpose", type=int, default=None, help="augment: shift training pieces by up to K keys")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--window", type=int, default=None, help="truncated-BPTT steps (0: whole pieces)")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--weight-decay", type=float, default=None)
    p.add_argument("--lr-decay", type=float, default=None)
    p.add_argument("--patience", type=int, default=None)
    p.add_argument("--epochs", type=int, default=None, help="at most")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_bench_polyphonic)


def cmd_bench_polyphonic(a) -> int:
    from improvise.polyphonic import bench_polyphonic

    out = Path(a.out or f"runs/polyphonic/{a.data}")
    command = _command(a)
    m = bench_polyphonic(a.data, Path(a.data_dir), out, Path(a.docs) if a.docs else None, progress=not a.quiet,
                         resume=a.resume, command=command, seed=a.seed, hidden=a.hidden, layers=a.layers,
                         input_dropout=a.input_dropout, dropout=a.dropout, output_dropout=a.output_dropout,
                         transpose=a.transpose, batch=a.batch, window=a.window, lr=a.lr, weight_decay=a.weight_decay,
                         lr_decay=a.lr_decay, patience=a.patience, epochs=a.epochs, minutes=a.minutes)
    pub = m["published"]
    ref = f" (published LSTM {pub['LSTM']}, TCN {pub['TCN']})" if pub else ""
    print(f"{m['name']}: test NLL {m['test_nll']:.3f} nats a time step{ref}; without first steps "
          f"{m['test_nll_without_first_step']:.3f}; valid {m['valid_nll']:.3f}; {m['train_minutes']:.1f} min, "
          f"{m['epochs_run']} epochs -> {out}")
    return 0


def _command(a) -> str:
    """The command line that reproduces this run (the flags given, in a fixed order)."""
    words = ["improvise", "bench", "polyphonic", "--data", a.data]
    from improvise.polyphonic import DEFAULT_DATA_DIR

    for flag in ("data_dir", "out", "docs", "minutes", "seed", "hidden", "layers", "input_dropout", "dropout",
                 "output_dropout", "transpose", "batch", "window", "lr", "weight_decay", "lr_decay", "patience",
                 "epochs"):
        v = getattr(a, flag)
        if v is not None and not (flag == "data_dir" and v == DEFAULT_DATA_DIR):
            words += ["--" + flag.replace("_", "-"), str(v)]
    return shlex.join(words + ["--quiet"] * a.quiet)
