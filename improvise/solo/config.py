"""The soloist's settings, importable without torch (the command line builds its flags from
them): what to train (`SoloConfig`) and what a solo is asked for (`SoloJob`); the sampler's
controls are `solo.generate.SoloControls`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from improvise.core.config import TrainingCore, in_range, require, whole
from improvise.core.errors import ConfigError

GRIDS = {"swing": 4, "16th": 4, "triplet": 3}  # grid name -> steps a beat


@dataclass
class SoloConfig(TrainingCore):
    """The training core (improvise.core.config) with the soloist's defaults, and what it learns
    from."""

    RENAMED: ClassVar[dict] = {"minutes": ("max_seconds", 60.0)}  # config.json of versions before 0.2

    epochs: int = 120  # at most; early stopping on the validation solos (about 4 minutes on 2 idle cores)
    patience: int = 8  # epochs without a better validation NLL before stopping
    max_seconds: float = 0.0  # a training budget (0: none; a budget makes the result depend on the machine)
    subset: str = "all"  # WJD solos to learn from: all 456, or the 97 blues
    augment: bool = True  # each training window in a random one of the 12 keys
    chords: bool = True  # False: the chord-blind twin (every chord N.C.), trained identically
    hidden: int = 128  # LSTM units
    dropout: float = 0.2  # before the output layers
    grid: str = "swing"  # swing (swung eighths as eighths, 4 steps a beat), 16th, triplet (3 a beat)
    half: bool = False  # store the weights in float16 (the shipped model)

    @property
    def steps_per_beat(self) -> int:
        return GRIDS[self.grid]

    def validate(self) -> None:
        """The core's checks, then the grid, the subset and the network's size."""
        super().validate()
        require(self.grid in GRIDS, f"grid must be one of {', '.join(GRIDS)}, not {self.grid!r}")
        require(self.subset in ("all", "blues"), f"subset must be all or blues, not {self.subset!r}")
        whole("hidden", self.hidden, 1, 4096)
        in_range("dropout", self.dropout, 0.0, 0.999)


@dataclass
class SoloJob:
    """What `solo_over_leadsheet` is asked for, besides the model and the lead sheet."""

    key: str | None = None
    choruses: int = 1
    tempo: float = 160.0
    swing: float = 0.6  # share of a beat for its first eighth in solo.mid / solo.wav (0.5 straight)
    regenerate: tuple[int, int] | None = None
    audio: str | None = "auto"
    score: bool = True  # solo.musicxml and solo.svg

    def validate(self) -> None:
        from improvise.core.midi import MidiStyle

        if not 1 <= self.choruses or not 20 <= self.tempo <= 400:
            raise ConfigError("choruses must be at least 1 and the tempo in [20, 400]")
        MidiStyle(swing=self.swing).validate()
