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
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from improvise.models.chord_melody import detach_state, mask_state
from improvise.checks import MAX_EPOCHS, MAX_SEED
from improvise.errors import ConfigError


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
        for name, hi in (("epochs", MAX_EPOCHS), ("streams", 4096), ("chunk", 100_000),
                         ("lr_decay_every", MAX_EPOCHS), ("threads", 256)):
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
    return np.array([((b % n_periods) * period + (0 if b < restart else (b * period) // streams)) % loop_len
                     for b in range(streams)])


def fit_looped(model: torch.nn.Module, x_loop: torch.Tensor, y_loop: torch.Tensor, cfg: TrainConfig,
               period: int, on_epoch=None, progress: bool = False) -> tuple[History, float]:
    """Train `model` in place on a looped stream; returns the history and seconds spent.

    `model(x, targets, state)` returns (logits, loss, state) and `model.describe(logits,
    targets)` a dict of figures to log (losses of each head, accuracies).
    x_loop: (L, input_size) float inputs of the whole loop; y_loop: (L, ...) next-step targets
    (y_loop[t] belongs to step t + 1, wrapping at the end). `period` is the length
    of one chorus: the first `restart_streams` readers restart from a zero state there.
    `on_epoch(epoch, model)` is called after each update (for snapshots); its time and the
    progress bar's are left out of the seconds returned.
    """
    cfg.validate()
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    loop_len = x_loop.shape[0]
    offsets = torch.from_numpy(stream_offsets(loop_len, period, cfg.streams, cfg.restart_streams))
    restarting = torch.arange(cfg.streams) < cfg.restart_streams
    steps = torch.arange(cfg.chunk)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr, fused=True)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_decay_every, gamma=cfg.lr_decay)
    hist: History = {"loss": []}
    state = None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.epochs, desc="training", unit="epoch", leave=False, disable=None)
    spent = 0.0
    model.train()
    for epoch in range(cfg.epochs):
        t0 = time.perf_counter()
        pos = offsets[None, :] + epoch * cfg.chunk + steps[:, None]  # (T, B) positions in the loop
        idx = pos % loop_len
        x, y = x_loop[idx], y_loop[idx]
        if state is not None:
            keep = 1.0 - (restarting & (pos[0] % period == 0)).float()
            state = mask_state(detach_state(state), keep)
        logits, loss, state = model(x, y, state)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if hasattr(model, "clip_grad_"):  # several networks in one module: each clipped on its own
            model.clip_grad_(cfg.clip)
        else:
            torch.nn.utils.clip_grad_norm_(params, cfg.clip, foreach=True)
        opt.step()
        sched.step()
        with torch.no_grad():
            hist["loss"].append(float(loss))
            for key, value in model.describe(logits, y).items():
                hist.setdefault(key, []).append(value)
        spent += time.perf_counter() - t0  # everything but the callback and the progress bar
        if on_epoch is not None:
            on_epoch(epoch + 1, model)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{hist['loss'][-1]:.3f}", refresh=False)
    if bar is not None:
        bar.close()
    model.eval()
    return hist, spent


@torch.no_grad()
def teacher_forced(model: torch.nn.Module, x_loop: torch.Tensor, y_loop: torch.Tensor, passes: int = 2) -> dict:
    """The model's figures (`describe`) over `passes` plays of the loop from a zero state."""
    x = x_loop.repeat(passes, *([1] * (x_loop.dim() - 1)))[:, None]
    y = y_loop.repeat(passes, *([1] * (y_loop.dim() - 1)))[:, None]
    logits, _, _ = model(x)
    return model.describe(logits, y)


def epochs_to_reach(values: list[float], threshold: float) -> int | None:
    """First epoch (1-based) whose value exceeds `threshold`, or None."""
    return next((i + 1 for i, v in enumerate(values) if v > threshold), None)
