"""The `improvise` command: argparse subcommands, each a thin wrapper over a package function.

User errors (bad flags, impossible values, missing or corrupt files) print one line and exit
with status 2; `dispatch(argv)` returns the exit status so tests can call it directly.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
import warnings

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


# ---- parser -------------------------------------------------------------------------------


# The command groups in --help's order: the commands each adds and where its builder lives.
# `build_parser(only)` builds the group of the command being run and, for the others, only a
# name and a line of help (HELP), so `improvise --help` and `improvise blues train ...` import
# no other group's modules, and none imports torch (issue 14). tests/test_imports.py checks
# that HELP says what each group's own builder says.
GROUPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("blues",), "improvise.cli.blues:add_blues_parser"),
    (("render",), "improvise.cli.render:add_render_parser"),
    (("corpus",), "improvise.cli.leadsheet:add_corpus_parser"),
    (("kern",), "improvise.cli.kern:add_kern_parser"),
    (("leadsheet",), "improvise.cli.leadsheet:add_leadsheet_parser"),
    (("jam",), "improvise.cli.jam:add_jam_parser"),
    (("compare", "likelihood"), "improvise.cli.zoo:add_zoo_parsers"),
    (("solo-train", "solo"), "improvise.cli.solo:add_solo_parser"),
    (("bench",), "improvise.cli.bench:add_bench_parser"),
    (("studio",), "improvise.cli.studio:add_studio_parser"),
    (("gradcheck",), "improvise.cli.gradcheck:add_gradcheck_parser"),
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
