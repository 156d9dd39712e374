"""Timings of the live path for `make bench`: from a performer's note arriving to the
re-pitched note being sent, and the generation of the next pitches, on an idle machine and
with the other core kept busy."""
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
            "latency_ms_median": float(np.median(lat)), "latency_ms_p99": float(np.percentile(lat, 99)),
            "latency_ms_max": float(lat.max()), "generate32_ms_median": float(np.median(gen)),
            "generate32_ms_p99": float(np.percentile(gen, 99)), "notes": notes}
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
    engine = JamEngine(JamConfig(click=False, drums="off"), OscOutPort(*listen.getsockname()), RealClock(),
                       pitch_source=source)
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
