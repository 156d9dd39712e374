"""`improvise gradcheck`: the numpy reference's hand-written BPTT checked by central differences
(a thin wrapper over improvise.blues.task.gradcheck_blues)."""

from __future__ import annotations

from improvise.cli.main import loading
from improvise.core.checks import SEED, float_flag, int_flag


def add_gradcheck_parser(sub, parser_class) -> None:
    """`improvise gradcheck`."""
    p = sub.add_parser(
        "gradcheck", help="check the numpy reference's hand-written BPTT by central differences"
    )
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument(
        "--per-tensor",
        type=int_flag(1, 1000),
        default=12,
        help="weights sampled from every parameter tensor (1-1000)",
    )
    p.add_argument(
        "--steps", type=int_flag(2, 1000), default=12, help="sequence length of the check (2-1000)"
    )
    p.add_argument(
        "--chord-hidden",
        type=int_flag(1, 256),
        default=4,
        help="chord-layer units (1-256; 32: the headline model)",
    )
    p.add_argument(
        "--melody-hidden",
        type=int_flag(1, 256),
        default=5,
        help="melody-layer units (1-256; 24: the headline model)",
    )
    p.add_argument(
        "--eps",
        type=float_flag(0, 1, lo_open=True, hi_open=True),
        default=1e-4,
        help="half-width of the central difference, in (0, 1)",
    )
    p.add_argument(
        "--tolerance", type=float_flag(0, 1e6), default=1e-6, help="largest relative error that passes"
    )
    p.set_defaults(func=cmd_gradcheck)


def cmd_gradcheck(a) -> int:
    with loading():
        from improvise.blues.task import gradcheck_blues

    report = gradcheck_blues(
        seed=a.seed,
        per_tensor=a.per_tensor,
        steps=a.steps,
        chord_hidden=a.chord_hidden,
        melody_hidden=a.melody_hidden,
        eps=a.eps,
    )
    for name, err in report["per_tensor"].items():
        print(f"{name:28s} max relative error {err:.2e}")
    ok = report["max_relative_error"] <= a.tolerance
    print(
        f"gradcheck: max relative error {report['max_relative_error']:.2e} "
        f"over {report['checked']} sampled weights "
        f"of {len(report['per_tensor'])} tensors (float64, central differences): {'ok' if ok else 'FAILED'} "
        f"(tolerance {a.tolerance:.0e})"
    )
    return 0 if ok else 1
