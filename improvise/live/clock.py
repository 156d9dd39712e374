"""Time sources for the engine, swappable as in mido: the engine only asks `now()` and
`sleep_until(t)` (seconds since the clock started)."""

from __future__ import annotations

import time


class SimClock:
    """Simulated time: `sleep_until` jumps there at once, so a test runs a minute of music
    in milliseconds and every timing is exact."""

    def __init__(self, start: float = 0.0):
        self.t = float(start)

    def now(self) -> float:
        return self.t

    def sleep_until(self, t: float) -> None:
        self.t = max(self.t, float(t))


class RealClock:
    """Wall-clock time from `time.perf_counter`. `sleep_until` sleeps, then spins the last
    `spin` seconds (default 0: none). Spinning meets a step to a few microseconds on an idle
    machine, but on a busy one the scheduler takes the CPU from a spinning process and gives it
    back milliseconds later, while a sleeping one is woken at once: with the 25 s OSC flood
    (bench.osc_flood) and two spinning processes on a 2-core machine, step lateness p99 was
    18 ms spinning the last 1.5 ms and 5.9 ms sleeping (0.1 ms median)."""

    def __init__(self, spin: float = 0.0):
        self.t0 = time.perf_counter()
        self.spin = spin

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def sleep_until(self, t: float) -> None:
        while True:
            left = t - self.now()
            if left <= 0:
                return
            if left > self.spin:
                time.sleep(left - self.spin)
