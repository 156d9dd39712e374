"""`improvise jam`: the live engine from the command line (see improvise/live/).

Every number a flag takes has a documented range (checks.int_flag / float_flag), and every
flag and file is read and checked before a model is trained or a port is played: a bad one
is a one-line error that names it."""

from __future__ import annotations

import argparse
from pathlib import Path

from improvise.core.checks import check_out_dir, float_flag, int_flag
from improvise.core.errors import ConfigError

MAX_LIVE_SECONDS = 6 * 3600.0  # a live session; its recording is kept in memory until the end
MAX_SEED = 2**32 - 1


def add_jam_parser(sub, parser_class) -> None:
    """The `jam` subcommand and its flags, each number with its range in the help."""
    p = sub.add_parser(
        "jam", help="the live looper and call-and-response engine (simulated or over OSC/MIDI)"
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--simulate",
        metavar="PERFORMANCE",
        help="a MIDI file a simulated performer plays in (at most "
        "30 minutes of it), or 'demo' for the built-in performer",
    )
    src.add_argument(
        "--osc", action="store_true", help="play live: OSC in and out on --host (and MIDI ports)"
    )
    p.add_argument("--out", default=None, help="session folder (session.mid, session.json, session.wav)")
    p.add_argument(
        "--model",
        default=None,
        help="the machine's pitches: a blues run folder, or markov[:K] "
        "(an order-K interval Markov chain, K 0-8; default: train the headline blues model now, ~1 s)",
    )
    _add_loop_flags(p)
    _add_simulated_flags(p)
    _add_live_flags(p)
    p.set_defaults(func=cmd_jam)


def _add_loop_flags(p) -> None:
    """The loop's flags: bars, meter, tempo, key, click, drums, phrases, span, lead sheet, controls, seed."""
    from improvise.live.grid import MAX_LOOP_BARS

    g = p.add_argument_group("the loop")
    g.add_argument(
        "--bars", type=int_flag(1, MAX_LOOP_BARS), default=4, help=f"bars in the loop, 1-{MAX_LOOP_BARS}"
    )
    g.add_argument(
        "--meter", default="4/4", help="time signature, e.g. 4/4, 3/4, 7/8: 1-64 beats over 2, 4, 8 or 16"
    )
    g.add_argument("--tempo", type=float_flag(20, 400), default=120.0, help="beats a minute, 20-400")
    g.add_argument("--key", default="C", help="key of the machine's scale (e.g. C, Bb, F#)")
    g.add_argument("--no-click", action="store_true")
    g.add_argument(
        "--drums",
        choices=["rule", "model", "off"],
        default="rule",
        help="rule: kick, snare at bass onsets, eighth hats (default); model: a drum LSTM varies them",
    )
    g.add_argument(
        "--drum-patterns",
        default=None,
        help="a GM drum MIDI file (at most 1,000 bars) to train the drum model on (with --drums model)",
    )
    g.add_argument(
        "--phrase-bars",
        type=int_flag(1, MAX_LOOP_BARS),
        default=None,
        help="replacement switches at these; must divide --bars (default: the loop)",
    )
    g.add_argument(
        "--span",
        type=int_flag(1, 127),
        default=7,
        help="machine pitches within this many semitones of the player, 1-127",
    )
    g.add_argument(
        "--leadsheet",
        default=None,
        help="a lead sheet (text file, or a title in --standards) whose "
        "chords the machine follows when no chords are recorded",
    )
    g.add_argument("--standards", default=None, help="JazzStandards.json, to look --leadsheet titles up in")
    g.add_argument("--controls", default=None, help="JSON file: CC number -> action (see README)")
    g.add_argument("--seed", type=int_flag(0, MAX_SEED), default=0, help=f"0-{MAX_SEED}")


def _add_simulated_flags(p) -> None:
    """Flags for --simulate only: the mode schedule and the audio of session.wav."""
    g = p.add_argument_group("simulated sessions")
    g.add_argument(
        "--modes", default=None, help="loop pass -> mode, e.g. 0:bass,1:chords,2:improv (passes 0-1000000)"
    )
    g.add_argument(
        "--synth",
        choices=["auto", "fluidsynth", "numpy", "none"],
        default="auto",
        help="audio for session.wav (none: no audio)",
    )


def _add_live_flags(p) -> None:
    """Flags for --osc only: duration, OSC and MIDI ports, starting mode, scheduling priority."""
    from improvise.live.engine import MODES

    g = p.add_argument_group("live sessions")
    g.add_argument(
        "--seconds",
        type=float_flag(0, MAX_LIVE_SECONDS, lo_open=True),
        default=60.0,
        help=f"how long to play: above 0, at most {MAX_LIVE_SECONDS:g} (6 hours)",
    )
    g.add_argument("--host", default="127.0.0.1", help="address to listen and send OSC on")
    g.add_argument(
        "--osc-in",
        type=int_flag(0, 65535),
        default=57121,
        help="port the engine listens on, 0-65535 (0: any free port)",
    )
    g.add_argument(
        "--osc-out",
        type=int_flag(1, 65535),
        default=57120,
        help="port the engine sends to, 1-65535 (SuperCollider: 57120)",
    )
    g.add_argument("--midi-in", default=None, help="MIDI input port name")
    g.add_argument("--midi-out", default=None, help="MIDI output port name")
    g.add_argument("--virtual", action="store_true", help="create the MIDI ports (by those names) for others")
    g.add_argument("--mode", choices=MODES, default="free", help="mode to start in")
    g.add_argument(
        "--nice",
        type=int_flag(-20, 19),
        default=-10,
        help="the loop's scheduling priority, -20 (first) to 19 (last); default -10 where the system "
        "allows it (root, CAP_SYS_NICE), else the ordinary 0",
    )


def jam_config(a: argparse.Namespace):
    """The engine's config from the flags, every file it names read and checked."""
    from improvise.core.music import parse_pitch_class
    from improvise.live import JamConfig, LoopSpec
    from improvise.live.grid import parse_meter
    from improvise.live.jam import load_controls

    num, den = parse_meter(a.meter)
    try:
        key = parse_pitch_class(a.key)
    except ValueError:
        raise ConfigError(f"--key {a.key[:40]!r}: a pitch name such as C, Bb or F#") from None
    if a.drum_patterns and a.drums != "model":
        raise ConfigError("--drum-patterns trains the drum model: add --drums model")
    if a.phrase_bars is not None and a.bars % a.phrase_bars:
        raise ConfigError(f"--phrase-bars {a.phrase_bars} must divide --bars {a.bars}")
    cfg = JamConfig(
        loop=LoopSpec(bars=a.bars, beats_per_bar=num, beat_unit=den, tempo_bpm=a.tempo),
        click=not a.no_click,
        drums=a.drums,
        key=key,
        phrase_bars=a.phrase_bars,
        span=a.span,
    )
    if a.controls:
        cfg.controls = load_controls(Path(a.controls))
    if a.leadsheet:
        from improvise.live.jam import lead_sheet_pcs

        cfg.lead_sheet = lead_sheet_pcs(a.leadsheet, Path(a.standards) if a.standards else None, cfg.loop)
    cfg.validate()
    return cfg


def model_arg(text: str | None):
    """--model: None, "markov[:K]" (checked), or a run folder's path."""
    from improvise.live.jam import parse_markov

    if text is None:
        return None
    if text.startswith("markov") and not Path(text).exists():
        parse_markov(text)
        return text
    return Path(text)


def probe_out_dir(out: Path) -> None:
    """--out must be a folder the session can be written to: checked, then tried (a hidden
    folder made and removed where the session will be staged), before any work starts; the
    check alone is not enough where permissions do not tell (root, /proc, a read-only mount)."""
    import tempfile

    from improvise.live.session import existing_ancestor

    check_out_dir(out)
    try:
        Path(tempfile.mkdtemp(prefix=".session-probe-", dir=existing_ancestor(out))).rmdir()
    except OSError as e:
        raise ConfigError(f"{out}: cannot write a session here ({e.strerror or e}) (--out)") from None


def _simulate(a, cfg, model) -> int:
    """--simulate: a performance played into the engine offline, written to --out."""
    from improvise.live.jam import jam_simulate, parse_modes

    if not a.out:
        raise ConfigError("--simulate needs --out DIR")
    doc = jam_simulate(
        a.simulate,
        Path(a.out),
        cfg,
        model=model,
        modes=parse_modes(a.modes),
        audio=None if a.synth == "none" else a.synth,
        seed=a.seed,
        drum_patterns=Path(a.drum_patterns) if a.drum_patterns else None,
    )
    n = doc["notes"]
    print(
        f"simulated {doc['steps']} steps in {doc['compute_seconds']:.2f} s: "
        + ", ".join(f"{k} {v}" for k, v in n.items() if v)
        + f"; {len(doc['errors'])} dropped messages"
    )
    print(f"wrote {Path(a.out) / 'session.mid'}, session.json" + (", session.wav" if "audio" in doc else ""))
    return 0


def _play_live(a, cfg, model) -> int:
    """--osc: play in real time over OSC (and MIDI ports), then print the timing and the input."""
    from improvise.live.jam import jam_live

    if a.modes:
        raise ConfigError("--modes is for --simulate; live, the performer's buttons (or /mode) set the mode")
    print(
        f"jam: OSC in on {a.host}:{a.osc_in} (/note pitch velocity, /cc, /mode), "
        f"out to {a.host}:{a.osc_out}; {a.seconds:g} s",
        flush=True,
    )
    doc = jam_live(
        cfg,
        a.seconds,
        Path(a.out) if a.out else None,
        host=a.host,
        osc_in_port=a.osc_in,
        osc_out_port=a.osc_out,
        midi_in=a.midi_in,
        midi_out=a.midi_out,
        model=model,
        seed=a.seed,
        mode=a.mode,
        drum_patterns=Path(a.drum_patterns) if a.drum_patterns else None,
        virtual=a.virtual,
        nice=a.nice,
    )
    t, n = doc["timing"], doc["input"]
    print(
        f"played {t['steps']} steps, {t['missed_steps']} missed; "
        f"lateness median {t['lateness_ms_median']:.3f} ms, "
        f"p99 {t['lateness_ms_p99']:.3f} ms, max {t['lateness_ms_max']:.3f} ms (nice {t['nice']})"
    )
    dropped = {k: v for k, v in n.items() if v and k in DROP_COUNTS}
    print(
        f"input: {n.get('received', 0)} messages"
        + (", " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in dropped.items()) if dropped else "")
    )
    return 0


def cmd_jam(a) -> int:
    """Check every flag, file and --out, then simulate or play live; print what happened."""
    cfg = jam_config(a)
    model = model_arg(a.model)
    if a.out:
        probe_out_dir(Path(a.out))
    return _simulate(a, cfg, model) if a.simulate else _play_live(a, cfg, model)


DROP_COUNTS = (
    "duplicate_on",
    "orphan_off",
    "dropped_over_step_limit",
    "dropped_queue_full",
    "junk_datagrams",
    "left_unhandled",
)
