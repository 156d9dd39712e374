"""The settings of `improvise kern train` and their limits, without torch: the CLI builds its
flags from them, `improvise.kern.train` trains with them and `improvise.kern.runfolder` checks
a run folder's config.json against them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from improvise.core.checks import MAX_EPOCHS, MAX_HIDDEN, MAX_SECONDS, require

MAX_LAYERS = 64  # stacked LSTM layers
MAX_SEQ = 100_000  # characters of truncated BPTT
MAX_BATCH = 100_000  # parallel rows of the stream
MAX_THREADS = 256  # torch threads
MAX_MINUTES = MAX_SECONDS / 60  # training time budget


@dataclass
class KernTrainConfig:
    hidden: int = 128  # LSTM units a layer (char-rnn baseline)
    layers: int = 3  # LSTM layers (char-rnn baseline)
    dropout: float = 0.05  # between layers and before the output (seed 004's Mozart run)
    seq: int = 50  # characters of truncated BPTT (char-rnn's -seq_length)
    batch: int = 50  # parallel rows of the stream (char-rnn's -batch_size)
    lr: float = 2e-3  # Adam (char-rnn's -learning_rate)
    lr_decay: float = 0.5  # learning rate times this after an epoch without a better validation loss
    clip: float = 5.0  # global gradient-norm clip (char-rnn's -grad_clip)
    epochs: int = 200  # at most
    patience: int = 6  # epochs without improvement before stopping
    minutes: float = 30.0  # training time budget (0: none)
    valid_fraction: float = 0.1  # files held out for validation
    seed: int = 0  # fixes the split, the weights and the batches
    threads: int = 1  # torch threads

    def validate(self) -> None:
        """Every setting in its documented range (the CLI's flags say the same)."""
        for name, lo, hi in (
            ("hidden", 1, MAX_HIDDEN),
            ("layers", 1, MAX_LAYERS),
            ("seq", 1, MAX_SEQ),
            ("batch", 1, MAX_BATCH),
            ("epochs", 1, MAX_EPOCHS),
            ("patience", 1, MAX_EPOCHS),
            ("threads", 1, MAX_THREADS),
        ):
            require(
                lo <= getattr(self, name) <= hi, f"{name} must be in [{lo}, {hi}], not {getattr(self, name)}"
            )
        require(0 <= self.dropout < 1, f"dropout must be in [0, 1), not {self.dropout}")
        require(
            0 < self.lr <= 10 and 0 < self.clip <= 1e6 and 0 < self.lr_decay <= 1,
            "lr must be in (0, 10], clip in (0, 1e6], lr_decay in (0, 1]",
        )
        require(0 < self.valid_fraction < 1, f"valid_fraction must be in (0, 1), not {self.valid_fraction}")
        require(
            0 <= self.minutes <= MAX_MINUTES, f"minutes must be in [0, {MAX_MINUTES:g}], not {self.minutes}"
        )

    def to_dict(self) -> dict:
        return asdict(self)
