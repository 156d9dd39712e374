"""`improvise jam` as plain functions: a simulated session from a MIDI performance (or the
built-in demo performer), and a live session over OSC and MIDI on the wall clock."""
from __future__ import annotations

import json
import time
from pathlib import Path

import mido

from improvise.errors import ConfigError, UserError
from improvise.live.engine import DEFAULT_CONTROLS, MODES, JamConfig
from improvise.live.grid import LoopSpec
from improvise.live.pitches import BluesPitchSource
from improvise.live.session import performance_from_midi, run_realtime, realtime_engine, simulate, write_session

ACTIONS = tuple(f"mode:{m}" for m in MODES) + ("tap", "pedal", "tempo", "temperature")


def load_controls(path: Path) -> dict[int, str]:
    """A JSON object {"CC number": action}; actions: mode:free|bass|chords|improv, tap, pedal,
    tempo (knob, 40-240 bpm), temperature (knob, 0.1-1.5). Replaces the defaults wholesale."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
        controls = {int(k): str(v) for k, v in raw.items()}
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (ValueError, AttributeError, TypeError) as e:
        raise UserError(f"{path}: not a JSON object of CC number -> action ({str(e)[:100]})") from None
    for cc, action in controls.items():
        if not 0 <= cc <= 127 or action not in ACTIONS:
            raise UserError(f"{path}: CC {cc} -> {action!r}: CC numbers are 0-127 and actions one of {ACTIONS}")
    return controls


def lead_sheet_pcs(source: str, standards: Path | None, spec: LoopSpec) -> list[list[int]]:
    """The pitch classes of a lead sheet's chord at every 16th of its played form."""
    from improvise.leadsheet import load_leadsheet

    sheet = load_leadsheet(source, standards)
    if sheet.unparsed:
        raise UserError(f"{source}: chords that do not parse: {', '.join(sheet.unparsed[:5])}")
    return [sorted(c.pitch_classes) for c in sheet.chord_per_step(spec.steps_per_beat)]


def parse_modes(text: str | None) -> dict[int, str]:
    """'0:bass,1:chords,2:improv' -> {0: 'bass', 1: 'chords', 2: 'improv'} (loop pass -> mode)."""
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        try:
            k, mode = part.split(":")
            out[int(k)] = mode.strip()
        except ValueError:
            raise ConfigError(f"modes look like 0:bass,1:chords,2:improv, not {text!r}") from None
        if out[int(k)] not in MODES or int(k) < 0:
            raise ConfigError(f"{part!r}: a mode is one of {MODES}, at a loop pass >= 0")
    return out


def make_source(model: Path | str | None, key: int = 0, seed: int = 0, temperature: float = 0.85,
                progress: bool = True):
    """The blues model of run folder `model`; "markov" or "markov:K": an order-K (default 2)
    Markov chain over intervals fit on the blues corpus; None: the headline blues model,
    trained now (~1 s)."""
    if model is not None and str(model).startswith("markov"):
        from improvise.live.pitches import MarkovPitchSource

        order = int(str(model).split(":")[1]) if ":" in str(model) else 2
        return MarkovPitchSource.train(order=order, seed=seed)
    if model is not None:
        return BluesPitchSource.from_run(model, key=key, seed=seed, temperature=temperature)
    from improvise.blues import BluesConfig, train_blues
    from improvise.encodings import BluesEncoding
    from improvise.models.reference import NumpyChordMelody

    if progress:
        print("no --model: training the headline blues model (seed 0) ...", flush=True)
    trained = train_blues(BluesConfig())
    return BluesPitchSource(NumpyChordMelody.from_module(trained.model), BluesEncoding(), key=key, seed=seed,
                            temperature=temperature)


def make_drums(cfg: JamConfig, patterns: Path | None = None, seed: int = 0):
    """The drum LSTM when cfg.drums is "model": trained now (~1 s) on the user's drum MIDI
    file, cut into 2-bar patterns, or on the package's synthesised grooves."""
    if cfg.drums != "model":
        return None
    from improvise.live.drums import DrumLSTM, midi_to_drum_pattern

    loops = None
    if patterns is not None:
        tokens = midi_to_drum_pattern(patterns)
        loops = [tokens[k:k + 32] for k in range(0, max(1, len(tokens) - 31), 16)]
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
        for k, (off, length, iv) in enumerate([(0, 3, 0), (spb // 2 - 2, 2, 7), (spb // 2, 3, 10), (spb - 2, 2, 12)]):
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


def jam_simulate(performance: str | Path, out: Path, cfg: JamConfig, model: Path | None = None,
                 modes: dict[int, str] | None = None, audio: str | None = "auto", seed: int = 0,
                 temperature: float = 0.85, drum_patterns: Path | None = None) -> dict:
    """Play a MIDI file (or "demo") into the engine in simulated time; write the session."""
    cfg.validate()
    if str(performance) == "demo":
        perf, demo_modes = demo_performance(cfg.loop, cfg.key)
        modes = {**demo_modes, **(modes or {})}
    else:
        perf = performance_from_midi(Path(performance))
    source = make_source(model, cfg.key, seed, temperature)
    t0 = time.perf_counter()
    engine, rec, port = simulate(cfg, perf, source=source, modes=modes, drum_model=make_drums(cfg, drum_patterns, seed))
    seconds = time.perf_counter() - t0
    return write_session(out, engine, rec, {"performance": str(performance), "simulated": True,
                                            "compute_seconds": round(seconds, 3),
                                            "left_sounding": sorted(port.sounding())}, audio=audio)


def jam_live(cfg: JamConfig, seconds: float, out: Path | None = None, osc: bool = True, host: str = "127.0.0.1",
             osc_in_port: int = 57121, osc_out_port: int = 57120, midi_in: str | None = None,
             midi_out: str | None = None, model: Path | None = None, seed: int = 0, mode: str = "free",
             drum_patterns: Path | None = None, virtual: bool = False) -> dict:
    """The engine on the wall clock for `seconds`, fed by OSC (and MIDI ports if named); its
    notes go out as OSC (and to the MIDI output). Writes session.json (and .mid) to `out`."""
    from improvise.live.osc import OscIn, OscOutPort
    from improvise.live.ports import open_midi
    from improvise.live.session import Recorder

    cfg.validate()
    source = make_source(model, cfg.key, seed)
    inp, mout = open_midi(midi_in, midi_out, virtual) if (midi_in or midi_out) else (None, None)
    outs = ([OscOutPort(host, osc_out_port)] if osc else []) + ([mout] if mout else [])

    class Fan:
        def send(self, msg):
            for o in outs:
                o.send(msg)

    osc_in = OscIn(host, osc_in_port) if osc else None
    engine = realtime_engine(cfg, Fan(), source, make_drums(cfg, drum_patterns, seed))
    rec = Recorder()
    engine.recorder = rec
    engine.set_mode(mode)
    try:
        timing = run_realtime(engine, seconds, osc_in=osc_in, midi_in=inp)
    finally:
        if osc_in is not None:
            osc_in.close()
    extra = {"realtime": True, "timing": timing, "osc_in": list(osc_in.address) if osc_in else None}
    if out is not None:
        return write_session(out, engine, rec, extra, audio=None)
    return extra


__all__ = ["DEFAULT_CONTROLS", "demo_performance", "jam_live", "jam_simulate", "load_controls", "parse_modes"]
