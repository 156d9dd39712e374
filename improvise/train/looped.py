"""One trainer for recurrent models on a looped corpus: truncated BPTT over parallel streams.

The corpus is played as an endless loop (chorus 1, 2, ..., n, 1, 2, ...). `streams` readers
walk it at once, each from its own starting chorus and shifted by a fraction of a chorus, and
every epoch each reader advances `chunk` steps. The recurrent state is carried from one
chunk to the next (detached), so the model learns to go on from wherever its own state
stands: across the turnaround from bar 12 into bar 1, chorus after chorus, as it must when
it improvises. The first `restart_streams` readers instead restart from a zero state at
every chorus top they reach, which is how generation starts.

With the defaults (8 streams x 96 steps over 8 choruses) one epoch is one pass over the
corpus and one Adam update, as in seed 000.

The loop itself is the package's one (improvise.train.loop.fit): `LoopedStreams` is its
batch source and hooks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from improvise.core.checks import MAX_EPOCHS, MAX_SEED
from improvise.core.errors import ConfigError
from improvise.nn.chord_melody import detach_state, mask_state
from improvise.train.loop import Hooks, SequenceTrainConfig, fit


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


History = dict[str, list[float]]  # per-epoch figures of the training chunks: "loss" and the model's own


def stream_offsets(loop_len: int, period: int, streams: int, restart: int) -> np.ndarray:
    """Start of each reader: reader b starts at chorus b; the readers after the first
    `restart` are shifted by b/streams of a chorus so that chunk ends fall all over the form."""
    n_periods = max(1, loop_len // period)
    return np.array(
        [
            ((b % n_periods) * period + (0 if b < restart else (b * period) // streams)) % loop_len
            for b in range(streams)
        ]
    )


class LoopedStreams(Hooks):
    """The looped corpus as a batch source of the shared loop (`fit`), with its hooks: epoch e
    is one chunk of every reader, (x, y, keep) with keep (B,) 0 for the readers restarting at a
    chorus top; the state is carried from chunk to chunk, detached and masked by keep; torch is
    seeded once (not each epoch); Adam (fused) with a step schedule stepped every update; each
    member clipped on its own when the model has `clip_grad_`; the history is the chunks' loss
    and the model's `describe` figures. Not data-parallel."""

    reseed_each_epoch = False
    carry_between_epochs = True
    data_parallel = False

    def __init__(self, x_loop: torch.Tensor, y_loop: torch.Tensor, cfg: TrainConfig, period: int):
        self.x_loop, self.y_loop, self.cfg, self.period = x_loop, y_loop, cfg, period
        self.loop_len = x_loop.shape[0]
        self.offsets = torch.from_numpy(
            stream_offsets(self.loop_len, period, cfg.streams, cfg.restart_streams)
        )
        self.restarting = torch.arange(cfg.streams) < cfg.restart_streams
        self.steps = torch.arange(cfg.chunk)
        self.params: list[torch.nn.Parameter] = []
        self.sched = None

    def __call__(self, rng: np.random.Generator, epoch: int):
        """batches(rng, epoch): the one chunk of epoch `epoch` (rng unused: nothing is drawn)."""
        pos = (
            self.offsets[None, :] + epoch * self.cfg.chunk + self.steps[:, None]
        )  # (T, B) positions in the loop
        idx = pos % self.loop_len
        keep = 1.0 - (self.restarting & (pos[0] % self.period == 0)).float()
        yield self.x_loop[idx], self.y_loop[idx], keep

    def carry(self, state, keep: torch.Tensor):
        return mask_state(detach_state(state), keep)

    def optimizer(self, model: torch.nn.Module, cfg: SequenceTrainConfig) -> torch.optim.Optimizer:
        self.params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.Adam(self.params, lr=cfg.lr, fused=True)
        self.sched = torch.optim.lr_scheduler.StepLR(
            opt, step_size=self.cfg.lr_decay_every, gamma=self.cfg.lr_decay
        )
        return opt

    def clip(self, model: torch.nn.Module, cfg: SequenceTrainConfig) -> None:
        if hasattr(model, "clip_grad_"):  # several networks in one module: each clipped on its own
            model.clip_grad_(cfg.clip)
        else:
            torch.nn.utils.clip_grad_norm_(self.params, cfg.clip, foreach=True)

    def after_update(self) -> None:
        self.sched.step()

    def new_history(self) -> History:
        return {"loss": []}

    @torch.no_grad()
    def batch_done(self, hist: History, model, logits, loss, y) -> None:
        hist["loss"].append(float(loss))
        for key, value in model.describe(logits, y).items():
            hist.setdefault(key, []).append(value)

    def epoch_done(self, hist: History, losses: list[float], nll: float | None, spent: float) -> None:
        """Nothing more an epoch: its one chunk's figures are in already."""

    def epochs_run(self, hist: History) -> int:
        return len(hist["loss"])


def shared_loop_config(cfg: TrainConfig) -> SequenceTrainConfig:
    """The shared loop's settings for a looped run: a batch is the streams, a window a chunk."""
    return SequenceTrainConfig(
        epochs=cfg.epochs,
        windows=cfg.streams,
        window=cfg.chunk,
        batch=cfg.streams,
        lr=cfg.lr,
        clip=cfg.clip,
        patience=cfg.epochs,
        seed=cfg.seed,
        threads=cfg.threads,
    )


def fit_looped(
    model: torch.nn.Module,
    x_loop: torch.Tensor,
    y_loop: torch.Tensor,
    cfg: TrainConfig,
    period: int,
    on_epoch=None,
    progress: bool = False,
) -> tuple[History, float]:
    """Train `model` in place on a looped stream; returns the history and seconds spent.

    `model(x, targets, state)` returns (logits, loss, state) and `model.describe(logits,
    targets)` a dict of figures to log (losses of each head, accuracies).
    x_loop: (L, input_size) float inputs of the whole loop; y_loop: (L, ...) next-step targets
    (y_loop[t] belongs to step t + 1, wrapping at the end). `period` is the length
    of one chorus: the first `restart_streams` readers restart from a zero state there.
    `on_epoch(epoch, model)` is called after each update (for snapshots); its time and the
    progress bar's are left out of the seconds returned. The loop is the shared one
    (improvise.train.loop.fit) reading `LoopedStreams`.
    """
    cfg.validate()
    streams = LoopedStreams(x_loop, y_loop, cfg, period)
    res = fit(model, shared_loop_config(cfg), streams, hooks=streams, on_epoch=on_epoch, progress=progress)
    return res["history"], res["seconds"]


@torch.no_grad()
def teacher_forced(
    model: torch.nn.Module, x_loop: torch.Tensor, y_loop: torch.Tensor, passes: int = 2
) -> dict:
    """The model's figures (`describe`) over `passes` plays of the loop from a zero state."""
    x = x_loop.repeat(passes, *([1] * (x_loop.dim() - 1)))[:, None]
    y = y_loop.repeat(passes, *([1] * (y_loop.dim() - 1)))[:, None]
    logits, _, _ = model(x)
    return model.describe(logits, y)


def epochs_to_reach(values: list[float], threshold: float) -> int | None:
    """First epoch (1-based) whose value exceeds `threshold`, or None."""
    return next((i + 1 for i, v in enumerate(values) if v > threshold), None)
