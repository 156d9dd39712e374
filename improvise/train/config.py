"""The training settings of the package's one loop, in a module without torch.

`SequenceTrainConfig` is what `improvise.train.loop.fit` reads; `TrainConfig` is a looped-corpus
run's (improvise.train.looped). Both are plain numbers, so the command line can show their
defaults in `--help` and check a user's values without importing torch (issue 14).
`improvise.train.loop` and `improvise.train.looped` import them from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from improvise.core.checks import MAX_EPOCHS, MAX_SEED
from improvise.core.errors import ConfigError


@dataclass
class SequenceTrainConfig:
    epochs: int = 30  # passes; each draws `windows` random windows
    windows: int = 256  # training windows an epoch
    window: int = 128  # steps a window (truncated BPTT length)
    batch: int = 32  # windows an update (the global batch under torchrun)
    lr: float = 3e-3  # Adam
    clip: float = 1.0  # global gradient-norm clip
    patience: int = 5  # epochs without a better validation loss before stopping
    seed: int = 0  # fixes initial weights and the windows drawn
    threads: int = 1  # torch threads
    max_seconds: float = 0.0  # stop after the epoch that passes this much training time (0: no limit)
    weight_decay: float = 0.0  # Adam's L2 penalty
    lr_decay: float = 1.0  # learning rate multiplied by this after each epoch without improvement

    def validate(self) -> None:
        for name in ("epochs", "windows", "window", "batch", "patience", "threads"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if not self.lr > 0 or not self.clip > 0:
            raise ConfigError("lr and clip must be positive")
        if self.max_seconds < 0 or self.weight_decay < 0 or not 0 < self.lr_decay <= 1:
            raise ConfigError("max_seconds and weight_decay must be >= 0, lr_decay in (0, 1]")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainConfig:
    epochs: int = 200  # passes over the corpus, one Adam update each (seed 000: 200)
    lr: float = 1.5e-2  # Adam step size (seed 000: 8e-3; see README for why it is higher)
    lr_decay_every: int = 80  # epochs between learning-rate decays (seed 000)
    lr_decay: float = 0.5  # factor of each decay (seed 000)
    clip: float = 2.0  # global gradient-norm clip (seed 000)
    streams: int = 8  # parallel readers of the looped corpus (the batch)
    restart_streams: int = 1  # readers that restart from a zero state at each chorus top
    chunk: int = 96  # steps a reader advances each epoch; BPTT is truncated there
    seed: int = 0  # fixes initial weights and everything random in training
    threads: int = 1  # torch intra-op threads: one is fastest for these tiny matrices

    def validate(self) -> None:
        for name, hi in (
            ("epochs", MAX_EPOCHS),
            ("streams", 4096),
            ("chunk", 100_000),
            ("lr_decay_every", MAX_EPOCHS),
            ("threads", 256),
        ):
            value = getattr(self, name)
            if not 1 <= value <= hi:
                raise ConfigError(f"{name} must be in [1, {hi}], not {value}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be in [0, {MAX_SEED}], not {self.seed}")
        if not 0 <= self.restart_streams <= self.streams:
            raise ConfigError("restart_streams must be between 0 and streams")
        if not 0 < self.lr <= 10:
            raise ConfigError(f"lr must be in (0, 10], not {self.lr}")
        if not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr_decay must be in (0, 1], not {self.lr_decay}")
        if not self.clip > 0:
            raise ConfigError(f"clip must be positive, not {self.clip}")

    def to_dict(self) -> dict:
        return asdict(self)
