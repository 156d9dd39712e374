"""The training settings of the package's one loop, in a module without torch.

`SequenceTrainConfig` is what `improvise.train.loop.fit` reads; `TrainConfig` is a looped-corpus
run's (improvise.train.looped). Both are plain numbers, so the command line can show their
defaults in `--help` and check a user's values without importing torch (issue 14).
`improvise.train.loop` and `improvise.train.looped` import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from improvise.core.config import MAX_EPOCHS, TrainingCore, in_range, require, whole


@dataclass
class SequenceTrainConfig(TrainingCore):
    """The training core (improvise.core.config) with the window sampler's settings."""

    epochs: int = 30  # passes; each draws `windows` random windows
    lr: float = 3e-3  # Adam
    clip: float = 1.0  # global gradient-norm clip (0: none)
    patience: int = 5  # epochs without a better validation loss before stopping (0: never stop early)
    windows: int = 256  # training windows an epoch
    window: int = 128  # steps a window (truncated BPTT length)
    batch: int = 32  # windows an update (the global batch under torchrun)
    weight_decay: float = 0.0  # Adam's L2 penalty
    lr_decay: float = 1.0  # learning rate multiplied by this after each epoch without improvement

    def validate(self) -> None:
        """The core's checks, then the windows' sizes and the optimizer's extras."""
        super().validate()
        for name in ("windows", "window", "batch"):
            whole(name, getattr(self, name), 1, 10_000_000)
        in_range("weight_decay", self.weight_decay, 0.0, 10.0)
        require(0 < self.lr_decay <= 1, f"lr_decay must be in (0, 1], not {self.lr_decay}")


@dataclass
class TrainConfig(TrainingCore):
    """The training core with seed 000's defaults and the looped corpus's readers. The looped
    trainer validates nothing, so patience is unused; max_seconds bounds it as any other."""

    epochs: int = 200  # passes over the corpus, one Adam update each (seed 000: 200)
    lr: float = 1.5e-2  # Adam step size (seed 000: 8e-3; see README for why it is higher)
    clip: float = 2.0  # global gradient-norm clip (seed 000; 0: none)
    lr_decay_every: int = 80  # epochs between learning-rate decays (seed 000)
    lr_decay: float = 0.5  # factor of each decay (seed 000)
    streams: int = 8  # parallel readers of the looped corpus (the batch)
    restart_streams: int = 1  # readers that restart from a zero state at each chorus top
    chunk: int = 96  # steps a reader advances each epoch; BPTT is truncated there

    def validate(self) -> None:
        """The core's checks, then the readers and the learning-rate schedule."""
        super().validate()
        whole("streams", self.streams, 1, 4096)
        whole("chunk", self.chunk, 1, 100_000)
        whole("lr_decay_every", self.lr_decay_every, 1, MAX_EPOCHS)
        whole("restart_streams", self.restart_streams, 0, self.streams)
        require(0 < self.lr_decay <= 1, f"lr_decay must be in (0, 1], not {self.lr_decay}")
