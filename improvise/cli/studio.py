"""`improvise studio`: the local web app (improvise/studio/), a thin wrapper over
improvise.studio.start.run_studio."""

from __future__ import annotations

from pathlib import Path

from improvise.core.checks import int_flag
from improvise.core.errors import ConfigError


def add_studio_parser(sub, parser_class) -> None:
    p = sub.add_parser(
        "studio",
        help="a local web app: jam with the live engine, solo over lead sheets, train the blues model",
    )
    p.add_argument("--port", type=int_flag(1, 65535), default=8765, help="port on 127.0.0.1, 1-65535")
    p.add_argument(
        "--model",
        default=None,
        help="the machine's pitches in improv mode: a blues run folder or markov[:K] "
        "(default: train the headline blues model now, ~1 s)",
    )
    p.add_argument("--open", action="store_true", help="open the page in the system's browser")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    p.add_argument(
        "--out", default="runs/studio", help="folder for the sessions and runs (default runs/studio)"
    )
    p.add_argument(
        "--solo-model",
        default=None,
        help="the soloist's run folder (improvise solo-train; default: the soloist shipped with improvise)",
    )
    p.add_argument("--standards", default=None, help="JazzStandards.json: its titles in the Solo tab")
    p.add_argument(
        "--synth", choices=["auto", "fluidsynth", "numpy"], default="auto", help="instrument samples"
    )
    p.set_defaults(func=cmd_studio)


def cmd_studio(a) -> int:
    from improvise.cli.jam import model_arg
    from improvise.studio.start import run_studio

    if a.host not in ("127.0.0.1", "localhost", "::1") and not a.host.replace(".", "").isdigit():
        raise ConfigError(f"--host {a.host[:40]!r}: an IP address such as 127.0.0.1")
    run_studio(
        port=a.port,
        model=model_arg(a.model),
        open_browser=a.open,
        host=a.host,
        out=Path(a.out),
        solo_model=Path(a.solo_model) if a.solo_model else None,
        standards=Path(a.standards) if a.standards else None,
        synth=a.synth,
    )
    return 0
