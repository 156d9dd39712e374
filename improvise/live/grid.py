"""The loop: N bars of a time signature at a tempo, on a 16th-note grid."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from improvise.core.checks import MAX_BEATS_PER_BAR
from improvise.core.errors import ConfigError

MAX_LOOP_BARS = 256  # bars in a loop (at most 131,072 grid steps: 256 bars of 64/2)
BEAT_UNITS = (2, 4, 8, 16)  # time-signature denominators on a 16th-note grid


@dataclass
class LoopSpec:
    bars: int = 4  # bars in the loop (seed 003: a set number of bars)
    beats_per_bar: int = 4  # time-signature numerator
    beat_unit: int = 4  # time-signature denominator: 4 = quarter-note beats, 8 = eighth-note beats
    tempo_bpm: float = 120.0  # beats (of beat_unit) a minute

    def validate(self) -> None:
        """A ConfigError naming the flag (--bars, --meter, --tempo) for a value out of range."""
        if not 1 <= self.bars <= MAX_LOOP_BARS:
            raise ConfigError(f"--bars: a loop of 1-{MAX_LOOP_BARS} bars, not {self.bars}")
        if not 1 <= self.beats_per_bar <= MAX_BEATS_PER_BAR:
            raise ConfigError(f"--meter: 1-{MAX_BEATS_PER_BAR} beats a bar, not {self.beats_per_bar}")
        if self.beat_unit not in BEAT_UNITS:
            raise ConfigError(f"--meter: the beat unit must be 2, 4, 8 or 16, not {self.beat_unit}")
        if not 20 <= self.tempo_bpm <= 400:  # (also refuses nan)
            raise ConfigError(f"--tempo: must be between 20 and 400 bpm, not {self.tempo_bpm}")

    @property
    def steps_per_beat(self) -> int:
        return 16 // self.beat_unit

    @property
    def steps_per_bar(self) -> int:
        return self.beats_per_bar * self.steps_per_beat

    @property
    def loop_steps(self) -> int:
        return self.bars * self.steps_per_bar

    @property
    def step_seconds(self) -> float:
        return 60.0 / self.tempo_bpm / self.steps_per_beat

    def step_time(self, step: int) -> float:
        return step * self.step_seconds

    def nearest_step(self, t: float) -> int:
        """The grid step nearest to time t (quantisation)."""
        return int(round(t / self.step_seconds))

    def to_dict(self) -> dict:
        return asdict(self)


def parse_meter(text: str) -> tuple[int, int]:
    """'4/4' -> (4, 4); '7/8' -> (7, 8). A numerator of 1-64 over 2, 4, 8 or 16; anything
    else is a ConfigError naming --meter."""
    num, _, den = text.partition("/")
    num, den = num.strip(), den.strip()
    if not (num.isdecimal() and den.isdecimal()) or len(num) > 3 or len(den) > 3:
        raise ConfigError(f"--meter: a time signature looks like 4/4 or 7/8, not {text!r}")
    if not 1 <= int(num) <= MAX_BEATS_PER_BAR or int(den) not in BEAT_UNITS:
        raise ConfigError(f"--meter {text}: 1-{MAX_BEATS_PER_BAR} beats a bar over 2, 4, 8 or 16")
    return int(num), int(den)


def tap_tempo(tap_times: list[float]) -> float:
    """Tempo (bpm) from the times of taps on the beat: 60 / the median interval, so one
    hesitant tap does not move it. Needs at least two taps."""
    if len(tap_times) < 2:
        raise ConfigError("tap tempo needs at least two taps")
    gaps = np.diff(np.asarray(tap_times, dtype=float))
    if (gaps <= 0).any():
        raise ConfigError("taps must come in time order")
    return float(60.0 / np.median(gaps))
