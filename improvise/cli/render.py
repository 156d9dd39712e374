"""`improvise render`: audio, score, plots and report.html of any run folder that can be heard
(a thin wrapper over improvise.render.run.render_run)."""

from __future__ import annotations

from pathlib import Path

from improvise.cli.main import loading
from improvise.core.checks import TEMPO, float_flag, int_flag


def add_render_parser(sub, parser_class) -> None:
    """`improvise render`."""
    p = sub.add_parser("render", help="audio, score, plots, training GIF and report.html of a run folder")
    p.add_argument("run_dir", help="a run folder with tokens.json (after 'improvise blues generate')")
    p.add_argument(
        "--synth",
        choices=["auto", "fluidsynth", "numpy"],
        default="auto",
        help="auto: FluidSynth when it and a soundfont are found, else the numpy synthesizer",
    )
    p.add_argument("--soundfont", default=None, help="a General MIDI .sf2 file (default: the usual folders)")
    p.add_argument(
        "--swing",
        type=float_flag(0.5, 1, hi_open=True),
        default=0.5,
        help="share of a beat for its first eighth, in [0.5, 1); 0.67 swings",
    )
    p.add_argument("--tempo", type=TEMPO, default=120.0, help="quarter notes a minute (20-400)")
    p.add_argument(
        "--max-choruses",
        type=int_flag(1, 1000),
        default=8,
        help="choruses in the audio, score and piano roll (1-1000)",
    )
    p.set_defaults(func=cmd_render)


def cmd_render(a) -> int:
    with loading():
        from improvise.render.run import RenderConfig, render_run

    cfg = RenderConfig(
        synth=a.synth, soundfont=a.soundfont, swing=a.swing, tempo_bpm=a.tempo, max_choruses=a.max_choruses
    )
    result = render_run(Path(a.run_dir), cfg)
    if result.get("kind") == "jam":
        notes = ", ".join(f"{role} {n}" for role, n in result["notes"].items())
        print(f"rendered jam session {a.run_dir}: {', '.join(result['written'])} (notes: {notes})")
        print(f"open {Path(a.run_dir) / 'report.html'}")
        return 0
    audio = result["audio"]
    print(f"rendered {a.run_dir} in {sum(result['seconds'].values()):.1f} s: " + ", ".join(result["written"]))
    print(
        f"audio: {audio['synth']}"
        + (f" ({audio['soundfont']})" if audio["soundfont"] else "")
        + f", {audio['seconds']:.1f} s; score: {result['engraving']['notes']} notes engraved"
        + (
            f"; first {result['shown']} of {result['choruses']} choruses shown"
            if result["shown"] < result["choruses"]
            else ""
        )
    )
    print(f"open {Path(a.run_dir) / 'report.html'}")
    return 0
