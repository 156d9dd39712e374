"""Timings of the live path for `make bench`: from a performer's note arriving to the
re-pitched note being sent, and the generation of the next pitches, on an idle machine and
with the other core kept busy; and the OSC flood (issue 13): `osc_flood` sends `improvise jam
--osc` thousands of careless /note messages and counts the notes left open in session.mid and
at the output, the steps missed and how late they were (`flood_figures` for the acceptance
flood, 10,000 messages in 25 s; `python -m improvise.live.bench` prints it)."""

from __future__ import annotations

import multiprocessing as mp
import time

import mido
import numpy as np

from improvise.live.clock import RealClock
from improvise.live.engine import JamConfig, JamEngine


class _StampPort:
    def __init__(self):
        self.last = 0.0

    def send(self, msg) -> None:
        self.last = time.perf_counter()


def _spin(stop) -> None:
    x = 0
    while not stop.is_set():
        x += 1


def note_latency_ms(source, notes: int = 10_000, seed: int = 0) -> np.ndarray:
    """Per note: perf_counter when the engine got the note-on to when it sent the machine's."""
    rng = np.random.default_rng(seed)
    port = _StampPort()
    engine = JamEngine(JamConfig(click=False, drums="off"), port, RealClock(), pitch_source=source)
    engine.set_mode("improv")
    engine._set_replacing(True, "bench")
    out = np.empty(notes)
    pitches = rng.integers(55, 80, notes)
    velocities = rng.integers(40, 120, notes)
    for k in range(notes):
        on = mido.Message("note_on", note=int(pitches[k]), velocity=int(velocities[k]))
        t0 = time.perf_counter()
        engine.handle(on)
        out[k] = port.last - t0
        engine.handle(mido.Message("note_off", note=int(pitches[k])))
        if k % 2:
            engine.tick()  # a grid step every other note: refills the pitch buffer as the live loop does
    engine.close()
    return out * 1000


def generation_ms(source, n: int = 32, repeats: int = 200) -> np.ndarray:
    out = np.empty(repeats)
    for k in range(repeats):
        source.prime([60, 63, 65, 67])
        t0 = time.perf_counter()
        source.generate(n)
        out[k] = time.perf_counter() - t0
    return out * 1000


def live_figures(source, notes: int = 10_000) -> dict:
    """Latency and generation, idle and with a busy process on another core."""
    res = {}
    for busy in (False, True):
        stop = mp.Event()
        proc = mp.Process(target=_spin, args=(stop,), daemon=True) if busy else None
        if proc:
            proc.start()
            time.sleep(0.2)
        try:
            lat, gen = note_latency_ms(source, notes), generation_ms(source)
        finally:
            if proc:
                stop.set()
                proc.join(5)
        res["busy" if busy else "idle"] = {
            "latency_ms_median": float(np.median(lat)),
            "latency_ms_p99": float(np.percentile(lat, 99)),
            "latency_ms_max": float(lat.max()),
            "generate32_ms_median": float(np.median(gen)),
            "generate32_ms_p99": float(np.percentile(gen, 99)),
            "notes": notes,
        }
    return res


def osc_round_trip_ms(source, trips: int = 1000) -> np.ndarray:
    """A client on 127.0.0.1 sends /note; the engine polls it, re-pitches it and answers with
    /note; the client's clock from send to answer."""
    import socket

    from pythonosc.osc_message_builder import OscMessageBuilder

    from improvise.live.osc import OscIn, OscOutPort

    inp = OscIn("127.0.0.1", 0)
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(("127.0.0.1", 0))
    listen.settimeout(1.0)
    engine = JamEngine(
        JamConfig(click=False, drums="off"),
        OscOutPort(*listen.getsockname()),
        RealClock(),
        pitch_source=source,
    )
    engine.set_mode("improv")
    engine._set_replacing(True, "bench")
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out = np.empty(trips)
    for k in range(trips):
        b = OscMessageBuilder("/note")
        b.add_arg(60 + k % 12)
        b.add_arg(90)
        t0 = time.perf_counter()
        client.sendto(b.build().dgram, inp.address)
        got: list = []
        while not got:
            got = inp.poll()
        for m in got:
            engine.handle(m)
        listen.recv(1024)
        out[k] = time.perf_counter() - t0
        engine.handle(mido.Message("note_off", note=60 + k % 12))
        listen.recv(1024)
        if k % 4 == 0:
            engine.tick()
    inp.close()
    listen.close()
    return out * 1000


# ---- the OSC flood (issue 13) ----------------------------------------------------------------


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class OscListener:
    """Collects every OSC message sent to a UDP port on 127.0.0.1, in a thread, as
    (perf_counter, address, params); `first` is set once the first one arrives."""

    def __init__(self, port: int):
        import socket
        import threading

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.05)
        self.got: list[tuple[float, str, list]] = []
        self.first = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from pythonosc.osc_packet import OscPacket

        while not self.stop.is_set():
            try:
                data = self.sock.recv(65536)
            except OSError:  # the timeout: look at `stop` again
                continue
            t = time.perf_counter()
            for m in OscPacket(data).messages:
                self.got.append((t, m.message.address, list(m.message.params)))
            self.first.set()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def flood_messages(n: int, seed: int = 0) -> list[tuple[int, int]]:
    """`n` /note (pitch, velocity) pairs as a careless or broken controller sends them: note-ons
    and note-offs of pitches from a two-octave range, with duplicate note-ons, note-offs of notes
    that are not on, and some notes never released."""
    rng = np.random.default_rng(seed)
    out, held = [], []
    for _ in range(n):
        r = rng.random()
        if r < 0.45 or not held:
            pitch = int(rng.integers(48, 73)) if r > 0.05 or not held else held[-1]  # 5%: a duplicate on
            out.append((pitch, int(rng.integers(1, 128))))
            held.append(pitch)
        elif r < 0.9:
            out.append((held.pop(int(rng.integers(len(held)))), 0))
        else:
            out.append((int(rng.integers(48, 73)), 0))  # an off that may have no on
    return out


def open_notes(events) -> tuple[int, int]:
    """From (key, is_on) in time order: (note-ons never closed, note-ons of a key already on)."""
    count: dict = {}
    reons = 0
    for key, on in events:
        if on:
            reons += count.get(key, 0) > 0
            count[key] = count.get(key, 0) + 1
        elif count.get(key):
            count[key] -= 1
    return sum(count.values()), reons


def midi_open_notes(path) -> dict[str, tuple[int, int]]:
    """`open_notes` of each track of a MIDI file, by track name."""
    out = {}
    for track in mido.MidiFile(path).tracks:
        ev = [
            ((m.channel, m.note), m.type == "note_on" and m.velocity > 0)
            for m in track
            if m.type in ("note_on", "note_off")
        ]
        out[track.name] = open_notes(ev)
    return out


def _send_flood(port: int, pairs: list[tuple[int, int]], seconds: float) -> float:
    """Send the /note pairs to 127.0.0.1:`port` evenly over `seconds`; returns the seconds taken."""
    import socket

    from pythonosc.osc_message_builder import OscMessageBuilder

    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dgrams = []
    for pitch, vel in pairs:
        b = OscMessageBuilder("/note")
        b.add_arg(pitch)
        b.add_arg(vel)
        dgrams.append(b.build().dgram)
    gap = seconds / max(1, len(dgrams))
    t0 = time.perf_counter()
    for k, d in enumerate(dgrams):
        left = t0 + k * gap - time.perf_counter()
        if left > 0:
            time.sleep(left)
        client.sendto(d, ("127.0.0.1", port))
    client.close()
    return time.perf_counter() - t0


def osc_flood(
    out_dir,
    messages: int = 10_000,
    seconds: float = 25.0,
    model: str | None = None,
    mode: str = "free",
    seed: int = 0,
    extra: tuple = (),
) -> dict:
    """`improvise jam --osc` in a subprocess, flooded with `messages` /note messages over
    `seconds` from 127.0.0.1 (`flood_messages`: duplicates, orphan offs, notes never released).
    Returns the session's timing and input counters, the notes left open in each track of
    session.mid and at the OSC output (every /note the engine sent, heard by a listener), and
    the machine's load average. `extra`: more flags for `improvise jam` (e.g. "--nice", "0")."""
    import json
    import os
    from pathlib import Path

    out_dir = Path(out_dir)
    flags = [
        "--out",
        str(out_dir),
        "--mode",
        mode,
        "--seed",
        str(seed),
        *(["--model", str(model)] if model else []),
        *extra,
    ]
    got, sent_s = _flood_jam(flags, flood_messages(messages, seed), seconds)
    doc = json.loads((out_dir / "session.json").read_text())
    notes = [((p[2], p[0]), p[1] > 0) for _, a, p in got if a == "/note" and len(p) >= 3]
    stuck_out, reons_out = open_notes(notes)
    tracks = midi_open_notes(out_dir / "session.mid")
    return {
        "messages": messages,
        "seconds": round(sent_s, 2),
        "mode": mode,
        "timing": doc["timing"],
        "input": doc.get("input"),
        "stuck_in_session_mid": sum(s for s, _ in tracks.values()),
        "reons_in_session_mid": sum(r for _, r in tracks.values()),
        "tracks": tracks,
        "stuck_at_output": stuck_out,
        "reons_at_output": reons_out,
        "output_notes": len(notes),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def _flood_jam(flags: list[str], pairs: list[tuple[int, int]], seconds: float) -> tuple[list, float]:
    """Start `improvise jam --osc FLAGS` on free ports of 127.0.0.1, send it `pairs` over
    `seconds` once its first click is heard, wait for it to end; returns (every OSC message it
    sent, as OscListener.got) and the seconds the sending took."""
    import subprocess
    import sys

    port_in, port_out = free_udp_port(), free_udp_port()
    listener = OscListener(port_out)
    cmd = [
        sys.executable,
        "-m",
        "improvise",
        "jam",
        "--osc",
        "--seconds",
        f"{seconds + 1.5:g}",
        "--osc-in",
        str(port_in),
        "--osc-out",
        str(port_out),
        *flags,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if not listener.first.wait(120):  # the engine is up once its first click arrives
            raise RuntimeError("the jam engine sent nothing within 120 s")
        sent_s = _send_flood(port_in, pairs, seconds)
        _, stderr = proc.communicate(timeout=seconds + 120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        time.sleep(0.2)  # the last datagrams (panic's note-offs) reach the listener
        listener.close()
    if proc.returncode != 0:
        raise RuntimeError(f"jam failed ({proc.returncode}): {stderr[-1000:]}")
    return listener.got, sent_s


def flood_lines(figures: list[dict]) -> list[str]:
    """Markdown for `make bench`: a row per flood (`osc_flood` results)."""
    rows = []
    for f in figures:
        t, n = f["timing"], f["input"] or {}
        dropped = sum(
            n.get(k, 0) for k in ("dropped_over_step_limit", "dropped_queue_full", "left_unhandled")
        )
        rows.append(
            f"| {f['mode']} | nice {t.get('nice', 0)} | {f['messages']:,} in {f['seconds']:g} s | "
            f"{t['steps']} | {t['missed_steps']} | {t['lateness_ms_median']:.3f} | "
            f"{t['lateness_ms_p99']:.3f} | {t['lateness_ms_max']:.3f} | {f['stuck_in_session_mid']} | "
            f"{f['stuck_at_output']} | {n.get('duplicate_on', 0)} / {n.get('orphan_off', 0)} / {dropped} | "
            f"{f['load_average'][0]:.2f} |"
        )
    return [
        "",
        "## The live engine under an OSC flood (`improvise jam --osc`)",
        "",
        "A client on 127.0.0.1 sends /note messages evenly over the time given "
        "(`live.bench.osc_flood`): note-ons",
        "and note-offs of random pitches, with duplicate note-ons, note-offs of notes that are not on, "
        "and notes",
        "never released. Open notes: note-ons with no note-off after them, in session.mid and in what "
        "the engine",
        "sent. Duplicates and orphans are coalesced; dropped: over 32 note-ons a step, or past the "
        "input queue.",
        "",
        "| mode | priority | messages | steps | missed | lateness median ms | p99 ms | max ms | open in "
        "session.mid | open at output | duplicate / orphan / dropped | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]


def flood_figures(
    out_root, messages: int = 10_000, seconds: float = 25.0, model: str | None = None
) -> list[dict]:
    """The issue-13 acceptance flood (10,000 messages in 25 s) in free and improv mode, at the
    default priority (nice -10 where allowed) and at the ordinary nice 0."""
    from pathlib import Path

    out_root = Path(out_root)
    return [
        osc_flood(
            out_root / f"{mode}-nice{nice}",
            messages,
            seconds,
            model=model,
            mode=mode,
            extra=("--nice", str(nice)),
        )
        for mode in ("free", "improv")
        for nice in (-10, 0)
    ]


def main(argv: list[str] | None = None) -> int:
    """python -m improvise.live.bench [--messages N] [--seconds S] [--model RUN]: the flood,
    printed as Markdown."""
    import argparse
    import tempfile

    from improvise.core.checks import float_flag, int_flag

    ap = argparse.ArgumentParser(prog="python -m improvise.live.bench")
    ap.add_argument("--messages", type=int_flag(1, 1_000_000), default=10_000, help="OSC messages, 1-1000000")
    ap.add_argument("--seconds", type=float_flag(0.1, 3600), default=25.0, help="over this long, 0.1-3600")
    ap.add_argument(
        "--model", default=None, help="a blues run folder or markov[:K] (default: the headline model)"
    )
    ap.add_argument(
        "--append",
        default=None,
        help="also append the Markdown to this file (make fuzz: docs/reliability.md)",
    )
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        lines = flood_lines(flood_figures(tmp, a.messages, a.seconds, a.model))
    lines += [
        "",
        f"Command: `python -m improvise.live.bench --messages {a.messages} --seconds {a.seconds:g}` "
        "(`make fuzz` runs it after the fuzz suite).",
    ]
    print("\n".join(lines))
    if a.append:
        with open(a.append, "a") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
