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

import numpy as np
import torch

from improvise.nn.chord_melody import detach_state, mask_state
from improvise.train.config import SequenceTrainConfig, TrainConfig
from improvise.train.loop import Hooks, fit
from improvise.train.optim import FusedAdam, clip_grad_norm_

__all__ = [
    "History",
    "LoopedStreams",
    "TrainConfig",
    "epochs_to_reach",
    "fit_looped",
    "shared_loop_config",
    "stream_offsets",
    "teacher_forced",
]

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
    seeded once (not each epoch); Adam (fused, improvise.train.optim) with a step schedule (the
    step size times `lr_decay` every `lr_decay_every` updates, as torch's StepLR); each member
    clipped on its own when the model has `clip_grad_`; the history is the chunks' loss and the
    model's `describe` figures. Not data-parallel. A chunk depends only on where in the loop and
    in the chorus it starts, so the chunks are gathered once and kept (up to CACHE_BYTES)."""

    reseed_each_epoch = False
    carry_between_epochs = True
    data_parallel = False
    CACHE_BYTES = 64 << 20  # chunks kept for later epochs

    def __init__(self, x_loop: torch.Tensor, y_loop: torch.Tensor, cfg: TrainConfig, period: int):
        self.x_loop, self.y_loop, self.cfg, self.period = x_loop, y_loop, cfg, period
        self.loop_len = x_loop.shape[0]
        self.offsets = torch.from_numpy(
            stream_offsets(self.loop_len, period, cfg.streams, cfg.restart_streams)
        )
        self.restarting = torch.arange(cfg.streams) < cfg.restart_streams
        self.steps = torch.arange(cfg.chunk)
        self.chunks: dict[tuple[int, int], tuple] = {}
        self.cached_bytes = 0
        self.params: list[torch.nn.Parameter] = []
        self.opt: FusedAdam | None = None
        self.updates = 0

    def __call__(self, rng: np.random.Generator, epoch: int):
        """batches(rng, epoch): the one chunk of epoch `epoch` (rng unused: nothing is drawn)."""
        start = epoch * self.cfg.chunk
        key = (start % self.loop_len, start % self.period)
        chunk = self.chunks.get(key)
        if chunk is None:
            chunk = self._gather(start)
            size = sum(t.numel() * t.element_size() for t in chunk)
            if self.cached_bytes + size <= self.CACHE_BYTES:
                self.chunks[key] = chunk
                self.cached_bytes += size
        yield chunk

    def _gather(self, start: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x, y, keep) of the chunk whose readers' first step is `start` after their offsets."""
        pos = self.offsets[None, :] + start + self.steps[:, None]  # (T, B) positions in the loop
        idx = pos % self.loop_len
        keep = 1.0 - (self.restarting & (pos[0] % self.period == 0)).float()
        return self.x_loop[idx], self.y_loop[idx], keep

    def carry(self, state, keep: torch.Tensor):
        return mask_state(detach_state(state), keep)

    def optimizer(self, model: torch.nn.Module, cfg: SequenceTrainConfig) -> FusedAdam:
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.opt = FusedAdam(self.params, lr=cfg.lr)
        return self.opt

    def clip(self, model: torch.nn.Module, cfg: SequenceTrainConfig) -> None:
        if cfg.clip <= 0:  # 0: no clip
            return
        if hasattr(model, "clip_grad_"):  # several networks in one module: each clipped on its own
            model.clip_grad_(cfg.clip)
        else:
            clip_grad_norm_(self.params, cfg.clip)

    def after_update(self) -> None:
        self.updates += 1
        if self.updates % self.cfg.lr_decay_every == 0:
            self.opt.param_groups[0]["lr"] *= self.cfg.lr_decay

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
        patience=0,  # nothing is validated: every epoch runs, unless the time budget ends it
        seed=cfg.seed,
        threads=cfg.threads,
        max_seconds=cfg.max_seconds,
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
