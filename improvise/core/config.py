"""The settings every training shares, and the one way a config checks itself.

`TrainingCore` holds what any trainer of the package reads: epochs, learning rate, gradient
clip, patience, seed, torch threads and a time budget in seconds. Every training config (blues,
sequence windows, **kern, piano rolls, the zoo, the soloist) is a `TrainingCore` with its own
fields added and its own defaults; each checks itself in `validate()`, which `__post_init__`
calls, so a config that exists is a valid one (change a field afterwards: call validate()).
A failed check is a ConfigError (a UserError and a ValueError): one line, naming the field.

No torch here: building a parser or reading a run folder's config imports none.
"""

from __future__ import annotations

from dataclasses import dataclass

from improvise.core.errors import ConfigError

MAX_EPOCHS = 1_000_000  # an epoch count beyond this is a typo, not a plan
MAX_THREADS = 256  # torch intra-op threads
MAX_SECONDS = 7 * 24 * 3600.0  # a week of training


def require(ok: bool, message: str) -> None:
    """A ConfigError saying `message` unless `ok`."""
    if not ok:
        raise ConfigError(message)


def in_range(name: str, value, lo, hi) -> None:
    """`name` must be a number in [lo, hi] (a bool is no number here)."""
    require(
        isinstance(value, (int, float)) and not isinstance(value, bool) and lo <= value <= hi,
        f"{name} must be in [{lo:g}, {hi:g}], not {value!r}",
    )


def whole(name: str, value, lo: int, hi: int) -> None:
    """`name` must be a whole number in [lo, hi]."""
    require(
        isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi,
        f"{name} must be a whole number in [{lo}, {hi}], not {value!r}",
    )


@dataclass
class TrainingCore:
    """What every trainer reads. Subclasses add their fields and change defaults."""

    epochs: int = 100  # passes over the training data, at most
    lr: float = 3e-3  # Adam's step size
    clip: float = 1.0  # global gradient-norm clip (0: none)
    patience: int = 0  # epochs without a better validation loss before stopping (0: never stop early)
    seed: int = 0  # fixes initial weights, batches and everything random in training
    threads: int = 1  # torch intra-op threads (one is fastest for the package's small models)
    max_seconds: float = 0.0  # training-time budget; the epoch that passes it is the last (0: none)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """A ConfigError naming the first field out of range (subclasses check theirs after)."""
        whole("epochs", self.epochs, 1, MAX_EPOCHS)
        require(
            isinstance(self.lr, (int, float)) and 0 < self.lr <= 10, f"lr must be in (0, 10], not {self.lr!r}"
        )
        in_range("clip", self.clip, 0.0, 1e6)
        whole("patience", self.patience, 0, MAX_EPOCHS)
        whole("seed", self.seed, 0, 2**32 - 1)
        whole("threads", self.threads, 1, MAX_THREADS)
        in_range("max_seconds", self.max_seconds, 0.0, MAX_SECONDS)

    def core(self) -> dict:
        """The core's fields and values alone: what a config hands to the one training loop."""
        from dataclasses import fields

        return {f.name: getattr(self, f.name) for f in fields(TrainingCore)}

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)
