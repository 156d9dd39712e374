"""Run loops around the engine and the session it leaves behind.

- `simulate()`: a performer plays a list of timed messages (from a MIDI file) into the engine
  in simulated time; the whole session runs as fast as the CPU allows, and exactly.
- `run_realtime()`: the engine on the wall clock, fed by OSC (and MIDI ports when there are),
  logging how late each grid step was played.
- `write_session()`: session.mid (a track per role), session.json (config, what happened
  when, timing), and session.wav through the rendering path.
"""
from __future__ import annotations

import io
import time
from pathlib import Path

import mido
import numpy as np

from improvise.errors import UserError
from improvise.live.clock import RealClock, SimClock
from improvise.live.engine import JamConfig, JamEngine
from improvise.live.ports import MemoryPort
from improvise.runs import write_bytes, write_json

ROLES = ("performer", "human", "machine", "bass", "chords", "drums", "click")


class Recorder:
    """Collects (time, role, message) for the session file."""

    def __init__(self):
        self.events: list[tuple[float, str, mido.Message]] = []

    def __call__(self, t: float, role: str, msg: mido.Message) -> None:
        self.events.append((t, role, msg))


def performance_from_midi(path: Path) -> list[tuple[float, mido.Message]]:
    """The note and controller messages of a MIDI file with their times in seconds."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        mid = mido.MidiFile(path)
        out, t = [], 0.0
        for msg in mid:  # merged tracks, delta times in seconds
            t += msg.time
            if msg.type in ("note_on", "note_off", "control_change"):
                out.append((t, msg))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as e:
        raise UserError(f"{path}: not a readable MIDI file ({str(e)[:120] or type(e).__name__})") from None
    if not out:
        raise UserError(f"{path}: no notes to play")
    return out


def simulate(cfg: JamConfig, performance: list[tuple[float, mido.Message]], source=None,
             modes: dict[int, str] | None = None, extra_loops: int = 1, start: float = 0.0, drum_model=None):
    """Play `performance` into a fresh engine in simulated time, from `start` seconds (the
    engine's time 0 is the first loop top). `modes`: loop pass -> mode, set just before that
    pass starts (half a step early, so that a note played a little early joins it). Runs until `extra_loops` loops after the performance's last message.
    Returns (engine, recorder, port)."""
    clock = SimClock()
    port = MemoryPort(clock)
    rec = Recorder()
    engine = JamEngine(cfg, port, clock, pitch_source=source, recorder=rec, drum_model=drum_model)
    events = sorted(((t + start, m) for t, m in performance), key=lambda e: e[0])
    last = events[-1][0] if events else 0.0
    n = cfg.loop.loop_steps
    i = 0
    half = cfg.loop.step_seconds / 2

    def play_until(t: float) -> None:
        nonlocal i
        while i < len(events) and events[i][0] < t:
            clock.sleep_until(events[i][0])
            engine.handle(events[i][1])
            i += 1
        clock.sleep_until(t)

    while True:
        if engine.step % n == 0 and modes and engine.step // n in modes:
            play_until(engine.next_time - half)  # the button is pressed half a step before the loop top
            engine.set_mode(modes[engine.step // n])
        play_until(engine.next_time)
        if i >= len(events) and engine.step % n == 0 and engine.next_time > last + extra_loops * n * cfg.loop.step_seconds:
            break
        engine.tick()
    engine.close()
    return engine, rec, port


def run_realtime(engine: JamEngine, seconds: float, osc_in=None, midi_in=None, poll: float = 0.0005) -> dict:
    """Play the engine on its (real) clock for `seconds`, polling the inputs between steps.
    Returns timing figures: steps played, steps missed (played over a step late), lateness."""
    import gc

    clock = engine.clock
    late: list[float] = []
    missed = 0
    gc.collect()
    gc.disable()  # no collector pause in the middle of a grid step; a minute of play makes little garbage
    if engine.step == 0:
        engine.next_time = clock.now() + 0.02  # the first step after the set-up above, not during it
    end = clock.now() + seconds
    try:
        while engine.next_time < end:
            while True:
                for src in (osc_in, midi_in):
                    if src is None:
                        continue
                    for m in (src.poll() if hasattr(src, "poll") and not hasattr(src, "iter_pending")
                              else src.iter_pending()):
                        if isinstance(m, tuple) and m[0] == "mode":
                            try:
                                engine.set_mode(m[1])
                            except ValueError as e:
                                engine.errors.append(str(e))
                        else:
                            engine.handle(m)
                left = engine.next_time - clock.now()
                if left <= 0:
                    break
                if left > 0.002:
                    time.sleep(poll)  # idle: let the other processes run
                else:
                    clock.sleep_until(engine.next_time)  # the step is near: meet it precisely
            lateness = clock.now() - engine.next_time
            if lateness > engine.cfg.loop.step_seconds:
                missed += 1
            late.append(lateness)
            engine.tick()
    finally:
        gc.enable()
        engine.close()
    ms = np.asarray(late) * 1000
    return {"steps": len(late), "missed_steps": missed, "lateness_ms_median": float(np.median(ms)),
            "lateness_ms_p99": float(np.percentile(ms, 99)), "lateness_ms_max": float(ms.max())}


def session_to_midi(rec: Recorder, cfg: JamConfig) -> mido.MidiFile:
    """A type-1 file, a track per role that played, at the loop's starting tempo."""
    tempo = mido.bpm2tempo(cfg.loop.tempo_bpm * cfg.loop.beat_unit / 4)  # quarter notes a minute
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    for role in ROLES:
        evs = [(t, m) for t, r, m in rec.events if r == role]
        if not evs and role != "performer":
            continue
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=role, time=0))
        if role == "performer":
            track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
            track.append(mido.MetaMessage("time_signature", numerator=cfg.loop.beats_per_bar,
                                          denominator=cfg.loop.beat_unit, time=0))
        now = 0
        for t, m in sorted(evs, key=lambda e: (e[0], e[1].type == "note_on")):
            tick = int(round(mido.second2tick(max(t, 0.0), 480, tempo)))
            track.append(m.copy(time=tick - now))
            now = tick
        mid.tracks.append(track)
    return mid


def write_session(out_dir: Path, engine: JamEngine, rec: Recorder, extra: dict | None = None,
                  audio: str | None = "auto") -> dict:
    """session.mid, session.json and (unless `audio` is None) session.wav in `out_dir`."""
    out_dir = Path(out_dir)
    buf = io.BytesIO()
    session_to_midi(rec, engine.cfg).save(file=buf)
    write_bytes(out_dir / "session.mid", buf.getvalue())
    counts = {role: sum(1 for _, r, m in rec.events if r == role and m.type == "note_on" and m.velocity > 0)
              for role in ROLES}
    doc = {"config": engine.cfg.to_dict(), "notes": counts, "events": engine.log, "errors": engine.errors,
           "steps": engine.step, **(extra or {})}
    if audio is not None:
        from improvise.render.audio import midi_to_wav

        t0 = time.perf_counter()
        info = midi_to_wav(out_dir / "session.mid", out_dir / "session.wav", synth=audio)
        doc["audio"] = {"seconds_to_render": round(time.perf_counter() - t0, 2),
                        **({k: str(v) for k, v in info.items()} if isinstance(info, dict) else {})}
    write_json(out_dir / "session.json", doc)
    return doc


def realtime_engine(cfg: JamConfig, out, source=None, drum_model=None) -> JamEngine:
    """An engine on the wall clock, its first step due a little from now."""
    clock = RealClock()
    engine = JamEngine(cfg, out, clock, pitch_source=source, drum_model=drum_model)
    engine.next_time = clock.now() + 0.05
    return engine
