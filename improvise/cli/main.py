"""The `improvise` command: argparse subcommands, each a thin wrapper over a package function.

User errors (bad flags, impossible values, missing or corrupt files) print one line and exit
with status 2; `dispatch(argv)` returns the exit status so tests can call it directly.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import sys
import warnings
from pathlib import Path

from improvise.core.checks import MAX_STEPS_PER_BEAT, SEED, TEMPO, float_flag, int_flag
from improvise.core.errors import UserError

EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug, not the user's input


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UserError(f"{self.prog}: {message}")

    def _get_values(self, action, arg_strings):
        # argparse drops a '--' given as a flag's value (`--epochs=--`) and hands the flag an
        # empty list, skipping its type check: refuse it instead
        if action.nargs is None and action.option_strings and arg_strings == ["--"]:
            raise argparse.ArgumentError(action, "expected a value, not '--'")
        return super()._get_values(action, arg_strings)


# ---- commands -----------------------------------------------------------------------------


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


def cmd_leadsheet_show(a) -> int:
    from improvise.leadsheet.load import load_leadsheet
    from improvise.leadsheet.model import format_bars

    sheet = load_leadsheet(
        a.source, Path(a.standards) if a.standards else None, Path(a.wjd) if a.wjd else None
    )
    if a.key:
        sheet = sheet.to_key(a.key)
    if a.json:
        print(
            json.dumps(
                {
                    "title": sheet.title,
                    "key": sheet.key,
                    "beats_per_bar": sheet.beats_per_bar,
                    "bars": [[c.symbol for c in bar] for bar in sheet.bars],
                    "unparsed": sheet.unparsed,
                    "sections": [[k + 1, label] for k, label in sheet.sections],
                    "warnings": sheet.warnings,
                    "melody": [[n.pitch, str(n.start), str(n.length)] for n in sheet.melody],
                }
            )
        )
        return 0
    print(
        f"{sheet.title}  (key {sheet.key or '?'}, {sheet.beats_per_bar} beats a bar, {len(sheet.bars)} bars)"
    )
    print(format_bars(sheet))
    if sheet.melody:
        end = float(max(n.start + n.length for n in sheet.melody))
        print(f"melody: {len(sheet.melody)} notes over {end:g} beats")
    for text in sheet.warnings:
        print(f"note: {text}")
    if sheet.unparsed:
        print(f"could not read {len(sheet.unparsed)} chord(s): {', '.join(sheet.unparsed)}")
    return 0


def cmd_leadsheet_check(a) -> int:
    from improvise.leadsheet.sources import load_standards, parse_rate

    r = parse_rate(load_standards(Path(a.standards)))
    print(
        f"{r['tunes']} tunes, {r['tokens']} chord tokens in the played forms, {r['unparsed']} unparsed "
        f"({100 * r['parsed_rate']:.2f}% parsed)"
    )
    for title, tok in r["examples"]:
        print(f"  {title}: {tok!r}")
    return 0 if r["unparsed"] == 0 else 1


def cmd_corpus_wjd(a) -> int:
    from improvise.data.wjd import chord_tone_rate, read_wjd, split_by_piece

    solos = read_wjd(Path(a.path), a.subset, a.steps_per_beat, a.to_c)
    notes = sum(s.notes_read for s in solos)
    dropped = sum(s.notes_dropped for s in solos)
    split = split_by_piece([s.melid for s in solos])
    print(
        f"{len(solos)} solos ({a.subset}), {notes} notes, "
        f"{dropped} ({100 * dropped / max(notes, 1):.1f}%) dropped "
        f"by a {a.steps_per_beat}-steps-a-beat grid; chord-tone rate {chord_tone_rate(solos):.3f}; "
        f"split by solo: {len(split['train'])} train, {len(split['valid'])} valid, {len(split['test'])} test"
    )
    for s in solos[: a.show]:
        bars = s.tune.steps // s.tune.steps_per_bar
        print(f"  {s.melid:4d}  {s.performer} - {s.title} ({s.key}, {bars} bars)")
    return 0


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


# ---- parser -------------------------------------------------------------------------------


# The command groups in --help's order: the commands each adds and where its builder lives.
# `build_parser(only)` builds the group of the command being run and, for the others, only a
# name and a line of help (HELP), so `improvise --help` and `improvise blues train ...` import
# no other group's modules, and none imports torch (issue 14). tests/test_imports.py checks
# that HELP says what each group's own builder says.
GROUPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("blues",), "improvise.cli.blues:add_blues_parser"),
    (("render",), "improvise.cli.main:_add_render_parser"),
    (("corpus",), "improvise.cli.main:_add_corpus_parser"),
    (("kern",), "improvise.cli.kern:add_kern_parser"),
    (("leadsheet",), "improvise.cli.main:_add_leadsheet_parser"),
    (("jam",), "improvise.cli.jam:add_jam_parser"),
    (("compare", "likelihood"), "improvise.cli.zoo:add_zoo_parsers"),
    (("solo-train", "solo"), "improvise.cli.solo:add_solo_parser"),
    (("bench",), "improvise.cli.bench:add_bench_parser"),
    (("studio",), "improvise.cli.studio:add_studio_parser"),
    (("gradcheck",), "improvise.cli.main:_add_gradcheck_parser"),
)
HELP = {
    "blues": "the Eck & Schmidhuber 12-bar blues (seed 000)",
    "render": "audio, score, plots, training GIF and report.html of a run folder",
    "corpus": "read real corpora into the package's data model",
    "kern": "Humdrum **kern corpora: prepare, train a character LSTM, sample, validate",
    "leadsheet": "read lead sheets: text, MusicXML, Impro-Visor, iReal Pro, the jazz-standards JSON, "
    "WJD changes",
    "jam": "the live looper and call-and-response engine (simulated or over OSC/MIDI)",
    "compare": "train the melody model zoo on one corpus; leaderboard, table and plot",
    "likelihood": "how probable a zoo model or a soloist finds a melody, step by step or note by note",
    "solo-train": "train the chord-conditioned soloist on the Weimar Jazz Database",
    "solo": "a solo over a lead sheet in any key: MIDI, WAV, MusicXML, score, report",
    "bench": "published benchmarks: train a model, report its test figure",
    "studio": "a local web app: jam with the live engine, solo over lead sheets, train the blues model",
    "gradcheck": "check the numpy reference's hand-written BPTT by central differences",
}
ALL = None  # build_parser(ALL): every group in full


def build_parser(only: str | None = ALL) -> argparse.ArgumentParser:
    """The `improvise` parser. `only`: the command whose group is built in full, the others
    named with their help line only ("" builds none; ALL, the default, builds every group)."""
    from importlib import import_module

    parser = _Parser(
        prog="improvise",
        description="Learn the structure of music with recurrent networks and improvise over it.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for names, builder in GROUPS:
        if only is ALL or only in names:
            module, function = builder.split(":")
            getattr(import_module(module), function)(sub, _Parser)
        else:
            for name in names:
                sub.add_parser(name, help=HELP[name])
    return parser


def command_named(argv: list[str]) -> str:
    """The command an argument list runs: its first word that is not an option ("" if none;
    the top-level parser has no option that takes a value)."""
    return next((word for word in argv if not word.startswith("-")), "")


def _add_render_parser(sub, parser_class=None) -> None:
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


def _add_corpus_parser(sub, parser_class=None) -> None:
    """`improvise corpus wjd`."""
    corpus = sub.add_parser("corpus", help="read real corpora into the package's data model")
    csub = corpus.add_subparsers(dest="corpus_command", required=True, parser_class=_Parser)
    p = csub.add_parser("wjd", help="the Weimar Jazz Database CSV export: solos with chords on a grid")
    p.add_argument("path", help="folder with wjd_notes.csv.gz and wjd_solos.csv")
    p.add_argument("--subset", choices=["all", "blues"], default="all")
    p.add_argument(
        "--steps-per-beat",
        type=int_flag(1, MAX_STEPS_PER_BEAT),
        default=4,
        help=f"grid, 1 to {MAX_STEPS_PER_BEAT}: 4 = sixteenths (default), 2 = eighths",
    )
    p.add_argument("--to-c", action="store_true", help="transpose every solo so its key's tonic is C")
    p.add_argument(
        "--show", type=int_flag(0, 100_000), default=5, help="list the first N solos (0 to 100000)"
    )
    p.set_defaults(func=cmd_corpus_wjd)


def _add_leadsheet_parser(sub, parser_class=None) -> None:
    """`improvise leadsheet show|check`."""
    lead = sub.add_parser(
        "leadsheet",
        help="read lead sheets: text, MusicXML, Impro-Visor, iReal Pro, the jazz-standards JSON, WJD changes",
    )
    lsub = lead.add_subparsers(dest="leadsheet_command", required=True, parser_class=_Parser)
    p = lsub.add_parser("show", help="print a tune's played form bar by bar")
    p.add_argument(
        "source",
        help="a lead sheet file (text, MusicXML/.mxl, Impro-Visor .ls, iReal Pro link or "
        "HTML playlist), an irealb:// link, wjd:MELID (with --wjd), or a title in --standards",
    )
    p.add_argument("--standards", default=None, help="JazzStandards.json to look titles up in")
    p.add_argument("--wjd", default=None, help="the WJD folder, for wjd:MELID (the changes under that solo)")
    p.add_argument("--key", default=None, help="transpose to this key (e.g. Eb)")
    p.add_argument("--json", action="store_true", help="print JSON instead")
    p.set_defaults(func=cmd_leadsheet_show)
    p = lsub.add_parser("check", help="count the chord tokens of a standards file that parse")
    p.add_argument("standards", help="JazzStandards.json")
    p.set_defaults(func=cmd_leadsheet_check)


def _add_gradcheck_parser(sub, parser_class=None) -> None:
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


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


def dispatch(argv: list[str] | None = None) -> int:
    """Run the CLI on `argv`; returns the exit status.

    A user error (bad flag, impossible value, missing or malformed file, a disk that is full or
    not writable, a size that does not fit in memory) prints one line to stderr and returns 2.
    Anything else is a bug: one line saying so, status 70, and the traceback with IMPROVISE_DEBUG=1.
    """
    previous = _on_sigterm()
    try:
        with warnings.catch_warnings():
            if not os.environ.get("IMPROVISE_DEBUG"):  # libraries' warnings are not the user's business
                warnings.simplefilter("ignore")
            argv = sys.argv[1:] if argv is None else list(argv)
            args = build_parser(command_named(argv)).parse_args(argv)
            return args.func(args)
    except UserError as e:
        print(f"improvise: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("improvise: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("improvise: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except MemoryError:
        print("improvise: error: out of memory: ask for smaller sizes or fewer steps", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # the machine said no: full disk, no permission, a path that is not a folder
        where = f"{e.filename}: " if e.filename else ""
        print(f"improvise: error: {where}{e.strerror or _one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # noqa: BLE001 - the last line of defence: a bug, reported in one line
        if os.environ.get("IMPROVISE_DEBUG"):
            raise
        print(
            f"improvise: internal error: {type(e).__name__}: {_one_line(e)[:300]} "
            "(a bug; rerun with IMPROVISE_DEBUG=1 for the traceback and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM, raised where the command is so that temporary files and folders are removed."""


def _on_sigterm():
    """Turn SIGTERM into `Terminated` while a command runs; returns the handler it replaced
    (None off the main thread, where handlers cannot be set)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise Terminated()

    return signal.signal(signal.SIGTERM, handler)


# The console script's process (main()), as opposed to dispatch() called inside another program.
_process = {"whole": False}


@contextlib.contextmanager
def loading():
    """Around a command's imports of its heavy modules (torch above all), in the console
    script's process: no cyclic garbage collection while they load (their ~10^5 new objects
    set off collections that free nothing, a tenth of torch's import time here), then those
    objects are frozen out of every later collection (gc.freeze) and the collector runs as
    usual. Called inside another program (tests, the studio), it does nothing."""
    if not _process["whole"] or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def main() -> None:
    """The `improvise` console script. A process that loaded torch spends 0.3 to 1 s of a 2-core
    machine's time tearing the interpreter down after the command is done: the final cyclic
    collections walk every object torch made, then every module is cleared. So, once the
    command has returned (its files written and closed: every file of the package is written
    to a temporary name, closed and renamed), the exit keeps what matters of it, the atexit
    handlers (temporary files, logging) and the flushing of stdout and stderr, and leaves the
    rest to the operating system. With other (not daemon) threads still running it exits as usual."""
    _process["whole"] = True
    status = dispatch()
    gc.freeze()  # the final collections, where the usual exit runs after all
    _exit(status)


def _exit(status: int) -> None:
    import atexit
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        sys.exit(status)  # the interpreter joins them (daemon threads it would not wait for either)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a pipe the reader closed
            pass
    os._exit(status)
