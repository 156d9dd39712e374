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
    """Wall-clock time from `time.perf_counter`. `sleep_until` sleeps coarsely, then spins
    the last `spin` seconds, so a grid step is met to well under a millisecond on an idle core."""

    def __init__(self, spin: float = 0.0015):
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
