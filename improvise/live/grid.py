"""The loop: N bars of a time signature at a tempo, on a 16th-note grid."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from improvise.errors import ConfigError


@dataclass
class LoopSpec:
    bars: int = 4  # bars in the loop (seed 003: a set number of bars)
    beats_per_bar: int = 4  # time-signature numerator
    beat_unit: int = 4  # time-signature denominator: 4 = quarter-note beats, 8 = eighth-note beats
    tempo_bpm: float = 120.0  # beats (of beat_unit) a minute

    def validate(self) -> None:
        if self.bars < 1 or self.beats_per_bar < 1:
            raise ConfigError("bars and beats per bar must be at least 1")
        if self.beat_unit not in (2, 4, 8, 16):
            raise ConfigError(f"the beat unit must be 2, 4, 8 or 16, not {self.beat_unit}")
        if not 20 <= self.tempo_bpm <= 400:
            raise ConfigError(f"tempo must be between 20 and 400 bpm, not {self.tempo_bpm}")

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
    """'4/4' -> (4, 4); '7/8' -> (7, 8)."""
    try:
        num, den = (int(v) for v in text.split("/"))
    except ValueError:
        raise ConfigError(f"a time signature looks like 4/4 or 7/8, not {text!r}") from None
    return num, den


def tap_tempo(tap_times: list[float]) -> float:
    """Tempo (bpm) from the times of taps on the beat: 60 / the median interval, so one
    hesitant tap does not move it. Needs at least two taps."""
    if len(tap_times) < 2:
        raise ConfigError("tap tempo needs at least two taps")
    gaps = np.diff(np.asarray(tap_times, dtype=float))
    if (gaps <= 0).any():
        raise ConfigError("taps must come in time order")
    return float(60.0 / np.median(gaps))
