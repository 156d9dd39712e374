"""The settings of `improvise kern train` and their limits, without torch: the CLI builds its
flags from them, `improvise.kern.train` trains with them and `improvise.kern.runfolder` checks
a run folder's config.json against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from improvise.core.checks import MAX_HIDDEN, MAX_SECONDS
from improvise.core.config import MAX_THREADS, TrainingCore, in_range, require, whole

MAX_LAYERS = 64  # stacked LSTM layers
MAX_SEQ = 100_000  # characters of truncated BPTT
MAX_BATCH = 100_000  # parallel rows of the stream
MAX_MINUTES = MAX_SECONDS / 60  # training time budget


@dataclass
class KernTrainConfig(TrainingCore):
    """The training core (improvise.core.config) with char-rnn's defaults, and the network."""

    RENAMED: ClassVar[dict] = {"minutes": ("max_seconds", 60.0)}  # config.json of versions before 0.2

    epochs: int = 200  # at most
    lr: float = 2e-3  # Adam (char-rnn's -learning_rate)
    clip: float = 5.0  # global gradient-norm clip (char-rnn's -grad_clip)
    patience: int = 6  # epochs without improvement before stopping
    max_seconds: float = 1800.0  # training time budget, 30 minutes (0: none)
    hidden: int = 128  # LSTM units a layer (char-rnn baseline)
    layers: int = 3  # LSTM layers (char-rnn baseline)
    dropout: float = 0.05  # between layers and before the output (seed 004's Mozart run)
    seq: int = 50  # characters of truncated BPTT (char-rnn's -seq_length)
    batch: int = 50  # parallel rows of the stream (char-rnn's -batch_size)
    lr_decay: float = 0.5  # learning rate times this after an epoch without a better validation loss
    valid_fraction: float = 0.1  # files held out for validation

    def validate(self) -> None:
        """The core's checks, then every setting of the network in its documented range (the
        CLI's flags say the same)."""
        super().validate()
        for name, hi in (
            ("hidden", MAX_HIDDEN),
            ("layers", MAX_LAYERS),
            ("seq", MAX_SEQ),
            ("batch", MAX_BATCH),
        ):
            whole(name, getattr(self, name), 1, hi)
        in_range("dropout", self.dropout, 0.0, 0.999)
        require(0 < self.lr_decay <= 1, f"lr_decay must be in (0, 1], not {self.lr_decay}")
        require(0 < self.valid_fraction < 1, f"valid_fraction must be in (0, 1), not {self.valid_fraction}")


__all__ = ["KernTrainConfig", "MAX_BATCH", "MAX_LAYERS", "MAX_MINUTES", "MAX_SEQ", "MAX_THREADS"]
