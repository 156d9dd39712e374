"""`improvise jam` as plain functions: a simulated session from a MIDI performance (or the
built-in demo performer), and a live session over OSC and MIDI on the wall clock."""

from __future__ import annotations

import json
import time
from pathlib import Path

import mido

from improvise.core.checks import check_in_file, file_error
from improvise.core.errors import ConfigError, UserError
from improvise.live.engine import DEFAULT_CONTROLS, MODES, JamConfig
from improvise.live.grid import LoopSpec
from improvise.live.pitches import BluesPitchSource
from improvise.live.session import (
    PRIORITY_NICE,
    check_session_length,
    performance_from_midi,
    realtime_engine,
    run_realtime,
    simulate,
    write_session,
)

ACTIONS = tuple(f"mode:{m}" for m in MODES) + ("tap", "pedal", "tempo", "temperature")
MAX_CONTROLS_BYTES = 64 << 10  # a controls file maps at most 128 CCs: a few KiB
MAX_LEADSHEET_STEPS = 1_000_000  # 16ths of a lead sheet's played form
MAX_MODE_PASS = 1_000_000  # the last loop pass --modes may name
MAX_MARKOV_ORDER = 8  # markov:K


def load_controls(path: Path) -> dict[int, str]:
    """A JSON object {"CC number": action}; actions: mode:free|bass|chords|improv, tap, pedal,
    tempo (knob, 40-240 bpm), temperature (knob, 0.1-1.5). Replaces the defaults wholesale.
    Anything else is a one-line error naming the file."""
    path = check_in_file(path, "controls file")
    if path.stat().st_size > MAX_CONTROLS_BYTES:
        raise file_error(path, f"over {MAX_CONTROLS_BYTES >> 10} KiB: not a controls file")
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as e:  # not UTF-8, not JSON, nested too deep
        raise file_error(
            path, f"not JSON ({str(e).splitlines()[0][:100] if str(e) else type(e).__name__})"
        ) from None
    if not isinstance(raw, dict):
        raise file_error(path, f"a JSON object of CC number -> action, not {json_type(raw)}")
    controls = {}
    for key, action in raw.items():
        try:
            cc = int(key)
        except ValueError:
            cc = None
        if cc is None or not 0 <= cc <= 127 or not isinstance(action, str) or action not in ACTIONS:
            raise file_error(
                path,
                f"{key!r} -> {str(action)[:40]!r}: CC numbers are 0-127 and actions one of "
                f"{', '.join(ACTIONS)}",
            )
        controls[cc] = action
    return controls


def json_type(value) -> str:
    """What JSON calls the type of a parsed value: null, true/false, a number, a string, a list."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(type(value), "an object")


def lead_sheet_pcs(source: str, standards: Path | None, spec: LoopSpec) -> list[list[int]]:
    """The pitch classes of a lead sheet's chord at every 16th of its played form. A sheet
    the package's reader cannot read is a one-line error naming it."""
    from improvise.leadsheet.load import load_leadsheet

    if standards is not None:
        check_in_file(standards, "standards file")
    try:
        sheet = load_leadsheet(source, standards)
        steps = sheet.chord_per_step(spec.steps_per_beat)
    except (UserError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001  (the readers parse text, JSON and MusicXML: any failure is the file's)
        raise file_error(
            source, f"cannot read this lead sheet ({type(e).__name__}: {str(e)[:100]})"
        ) from None
    if getattr(sheet, "unparsed", None):
        raise file_error(source, f"chords that do not parse: {', '.join(sheet.unparsed[:5])}")
    if not steps:
        raise file_error(source, "a lead sheet with no chords")
    if len(steps) > MAX_LEADSHEET_STEPS:
        raise file_error(source, f"a played form of {len(steps)} steps; at most {MAX_LEADSHEET_STEPS}")
    return [sorted(c.pitch_classes) for c in steps]


def parse_modes(text: str | None) -> dict[int, str]:
    """'0:bass,1:chords,2:improv' -> {0: 'bass', 1: 'chords', 2: 'improv'} (loop pass -> mode);
    passes 0-1,000,000, each at most once."""
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        k, _, mode = part.partition(":")
        k, mode = k.strip(), mode.strip()
        if not k.isdecimal() or not mode:
            raise ConfigError(f"--modes: {part!r}: modes look like 0:bass,1:chords,2:improv (loop pass:mode)")
        if len(k) > 7 or int(k) > MAX_MODE_PASS:
            raise ConfigError(f"--modes: {part!r}: a loop pass is 0-{MAX_MODE_PASS}")
        if mode not in MODES:
            raise ConfigError(f"--modes: {part!r}: a mode is one of {', '.join(MODES)}")
        if int(k) in out:
            raise ConfigError(f"--modes: loop pass {int(k)} is given twice")
        out[int(k)] = mode
    return out


def parse_markov(model: str) -> int:
    """'markov' -> 2, 'markov:K' -> K (the chain's order, 0-8); a ConfigError naming --model else."""
    if model == "markov":
        return 2
    k = model[len("markov:") :] if model.startswith("markov:") else ""
    if not (k.isdecimal() and len(k) <= 2 and 0 <= int(k) <= MAX_MARKOV_ORDER):
        raise ConfigError(
            f"--model {model!r}: the Markov source is markov or markov:K, K an order 0-{MAX_MARKOV_ORDER}"
        )
    return int(k)


def make_source(
    model: Path | str | None, key: int = 0, seed: int = 0, temperature: float = 0.85, progress: bool = True
):
    """The model of run folder `model` (a blues run, or one model of a zoo: RUN/models/NAME);
    "markov" or "markov:K": an order-K (default 2)
    Markov chain over intervals fit on the blues corpus; None: the headline blues model,
    trained now (~1 s)."""
    if model is not None and str(model).startswith("markov"):
        from improvise.live.pitches import MarkovPitchSource

        return MarkovPitchSource.train(order=parse_markov(str(model)), seed=seed)
    if model is not None:
        from improvise.core.run_kinds import load_run

        kind, opened = load_run(model, accept=("blues", "zoo"), command="improvise jam --model")
        if kind == "zoo":
            from improvise.live.pitches import ZooPitchSource

            return ZooPitchSource(opened, temperature=temperature, seed=seed)
        from improvise.encodings.blues import BluesEncoding
        from improvise.nn.reference import NumpyChordMelody

        return BluesPitchSource(
            NumpyChordMelody.from_module(opened[0]),
            BluesEncoding(),
            key=key,
            seed=seed,
            temperature=temperature,
        )
    from improvise.blues.task import BluesConfig, train_blues
    from improvise.encodings.blues import BluesEncoding
    from improvise.nn.reference import NumpyChordMelody

    if progress:
        print("no --model: training the headline blues model (seed 0) ...", flush=True)
    trained = train_blues(BluesConfig())
    return BluesPitchSource(
        NumpyChordMelody.from_module(trained.model),
        BluesEncoding(),
        key=key,
        seed=seed,
        temperature=temperature,
    )


def make_drums(cfg: JamConfig, patterns: Path | None = None, seed: int = 0):
    """The drum LSTM when cfg.drums is "model": trained now (~1 s) on the user's drum MIDI
    file, cut into 2-bar patterns, or on the package's synthesised grooves."""
    if cfg.drums != "model":
        return None
    from improvise.live.drums import DrumLSTM, midi_to_drum_pattern

    loops = None
    if patterns is not None:
        tokens = midi_to_drum_pattern(patterns)
        loops = [tokens[k : k + 32] for k in range(0, max(1, len(tokens) - 31), 16)]
    return DrumLSTM.train(loops, seed=seed)


def demo_performance(spec: LoopSpec, key: int = 0) -> tuple[list, dict[int, str]]:
    """A performer for trying the engine without a keyboard: a bassline on pass 0, chords on
    pass 1, then a riff played freely on pass 2 and re-pitched by the machine from pass 3 on
    (the improv button is pressed in the middle of pass 2)."""
    spb, n, dt = spec.steps_per_bar, spec.loop_steps, spec.step_seconds
    out = []

    def note(step, length, pitch, vel, ch=0):
        out.append((step * dt, mido.Message("note_on", channel=ch, note=pitch, velocity=vel)))
        out.append(((step + length) * dt - 0.005, mido.Message("note_off", channel=ch, note=pitch)))

    roots = [0, 0, 5, 0, 7, 5, 0, 7]  # I I IV I V IV I V, a bar each, cycling over the loop
    for bar in range(spec.bars):
        r = 36 + key + roots[bar % len(roots)]
        for k, (off, length, iv) in enumerate(
            [(0, 3, 0), (spb // 2 - 2, 2, 7), (spb // 2, 3, 10), (spb - 2, 2, 12)]
        ):
            note(bar * spb + off, length, r + iv, 100 if k == 0 else 85)
        for iv in (0, 4, 7, 10):
            note(n + bar * spb, spb, 48 + key + roots[bar % len(roots)] % 12 + iv, 64)
    riff = [(0, 2, 0), (3, 1, 3), (4, 2, 5), (6, 2, 7), (9, 1, 10), (10, 2, 12), (12, 3, 7)]
    for rep in range(2 * n // spb):
        for off, length, iv in riff:
            step = 2 * n + rep * spb + off * spb // 16
            if step < 4 * n:
                note(step, max(1, length * spb // 16), 60 + key + iv, 70 + 3 * (off % 5))
    out.append(((2 * n + n // 2) * dt, mido.Message("control_change", control=22, value=127)))
    return out, {0: "bass", 1: "chords"}


def jam_simulate(
    performance: str | Path,
    out: Path,
    cfg: JamConfig,
    model: Path | None = None,
    modes: dict[int, str] | None = None,
    audio: str | None = "auto",
    seed: int = 0,
    temperature: float = 0.85,
    drum_patterns: Path | None = None,
) -> dict:
    """Play a MIDI file (or "demo") into the engine in simulated time; write the session.
    Everything the user gave is read and checked before the models are trained."""
    cfg.validate()
    if str(performance) == "demo":
        check_session_length(cfg.loop, 0.0, 6, "the demo plays")  # 4 and 2 to end: before building them
        perf, demo_modes = demo_performance(cfg.loop, cfg.key)
        modes = {**demo_modes, **(modes or {})}
    else:
        perf = performance_from_midi(Path(performance))
    last = max(t for t, _ in perf)
    check_session_length(cfg.loop, last, 2, f"the performance ({last:.6g} s), then")
    drums = make_drums(cfg, drum_patterns, seed)
    source = make_source(model, cfg.key, seed, temperature)
    t0 = time.perf_counter()
    engine, rec, port = simulate(cfg, perf, source=source, modes=modes, drum_model=drums)
    seconds = time.perf_counter() - t0
    return write_session(
        out,
        engine,
        rec,
        {
            "performance": str(performance),
            "simulated": True,
            "compute_seconds": round(seconds, 3),
            "input": dict(engine.counts),
            "left_sounding": sorted(port.sounding()),
        },
        audio=audio,
    )


class Fan:
    """Sends each message to every port of `outs` (OSC, MIDI)."""

    def __init__(self, outs: list):
        self.outs = outs

    def send(self, msg) -> None:
        for o in self.outs:
            o.send(msg)


def jam_live(
    cfg: JamConfig,
    seconds: float,
    out: Path | None = None,
    osc: bool = True,
    host: str = "127.0.0.1",
    osc_in_port: int = 57121,
    osc_out_port: int = 57120,
    midi_in: str | None = None,
    midi_out: str | None = None,
    model: Path | None = None,
    seed: int = 0,
    mode: str = "free",
    drum_patterns: Path | None = None,
    virtual: bool = False,
    nice: int = PRIORITY_NICE,
) -> dict:
    """The engine on the wall clock for `seconds`, fed by OSC (and MIDI ports if named); its
    notes go out as OSC (and to the MIDI output). Writes session.json (and .mid) to `out`.
    The ports are opened first, so that a port that cannot be had is an error at once. The
    loop runs at nice `nice` where the system allows it (session.raise_priority)."""
    from improvise.live.osc import OscIn, OscOutPort
    from improvise.live.ports import open_midi
    from improvise.live.session import Recorder

    cfg.validate()
    if mode not in MODES:
        raise ConfigError(f"--mode {mode!r}: one of {', '.join(MODES)}")
    osc_in = OscIn(host, osc_in_port) if osc else None
    inp = mout = None
    try:
        osc_out = OscOutPort(host, osc_out_port) if osc else None
        inp, mout = open_midi(midi_in, midi_out, virtual) if (midi_in or midi_out) else (None, None)
        drums = make_drums(cfg, drum_patterns, seed)
        source = make_source(model, cfg.key, seed)
        engine = realtime_engine(cfg, Fan([o for o in (osc_out, mout) if o is not None]), source, drums)
        rec = Recorder()
        engine.recorder = rec
        engine.set_mode(mode)
        timing = run_realtime(engine, seconds, osc_in=osc_in, midi_in=inp, nice=nice)
    finally:
        for port in (osc_in, inp, mout):
            if port is not None:
                port.close()
    extra = {
        "realtime": True,
        "input": timing.pop("input"),
        "timing": timing,
        "osc_in": list(osc_in.address) if osc_in else None,
    }
    if out is not None:
        return write_session(out, engine, rec, extra, audio=None)
    return extra


__all__ = ["DEFAULT_CONTROLS", "demo_performance", "jam_live", "jam_simulate", "load_controls", "parse_modes"]
