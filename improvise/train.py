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
        for name in ("epochs", "streams", "chunk", "lr_decay_every", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 0 <= self.restart_streams <= self.streams:
            raise ValueError("restart_streams must be between 0 and streams")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, not {self.lr}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], not {self.lr_decay}")
        if not self.clip > 0:
            raise ValueError(f"clip must be positive, not {self.clip}")

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


# ---- variable-length sequences ------------------------------------------------------------

@dataclass
class SequenceTrainConfig:
    epochs: int = 30  # passes; each draws `windows` random windows
    windows: int = 256  # training windows an epoch
    window: int = 128  # steps a window (truncated BPTT length)
    batch: int = 32  # windows an update
    lr: float = 3e-3  # Adam
    clip: float = 1.0  # global gradient-norm clip
    patience: int = 5  # epochs without a better validation loss before stopping
    seed: int = 0  # fixes initial weights and the windows drawn
    threads: int = 1  # torch threads

    def validate(self) -> None:
        for name in ("epochs", "windows", "window", "batch", "patience", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not self.lr > 0 or not self.clip > 0:
            raise ValueError("lr and clip must be positive")


def _windows(seqs, rng: np.random.Generator, n: int, length: int):
    """n random (input, target) windows: inputs (length, D) and next-step targets (length,)."""
    xs, ys = [], []
    lengths = np.array([len(y) for _, y in seqs])
    weights = lengths / lengths.sum()
    for i in rng.choice(len(seqs), size=n, p=weights):
        x, y = seqs[i]
        start = int(rng.integers(0, max(1, len(y) - length)))
        xw, yw = x[start:start + length], y[start:start + length]
        pad = length - len(yw)
        if pad:
            xw = torch.cat([xw, xw.new_zeros(pad, xw.shape[1])])
            yw = torch.cat([yw, yw.new_full((pad,), -1)])
        xs.append(xw)
        ys.append(yw)
    return torch.stack(xs, 1), torch.stack(ys, 1)


@torch.no_grad()
def sequence_nll(model, seqs) -> float:
    """Mean negative log-likelihood per event (nats) over whole sequences, from a zero state."""
    model.eval()
    total, n = 0.0, 0
    for x, y in seqs:
        logits, _, _ = model(x[:, None])
        total += float(F.cross_entropy(logits[:, 0], y, reduction="sum"))
        n += len(y)
    return total / max(n, 1)


def fit_sequences(model, train, valid, cfg: SequenceTrainConfig, checkpoint=None, resume: dict | None = None,
                  progress: bool = False) -> dict:
    """Train on random windows of variable-length sequences; validate on whole sequences each
    epoch; keep the best weights; stop after `patience` epochs without improvement.

    train/valid: lists of (inputs (T, D) float tensor, targets (T,) long tensor).
    checkpoint(state: dict) is called with a resumable state whenever validation improves (and
    at the end); pass such a state as `resume` to go on where it stopped."""
    cfg.validate()
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    hist = {"train_loss": [], "valid_nll": []}
    best, best_state, start, stale = float("inf"), None, 0, 0
    if resume:
        model.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optimizer"])
        hist, best, start, stale = resume["history"], resume["best"], resume["epoch"], resume["stale"]
        best_state = resume.get("best_model")
    rng = np.random.default_rng(cfg.seed + start)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.epochs, initial=start, desc="training", unit="epoch", leave=False, disable=None)
    for epoch in range(start, cfg.epochs):
        model.train()
        losses = []
        for _ in range(max(1, cfg.windows // cfg.batch)):
            x, y = _windows(train, rng, cfg.batch, cfg.window)
            _, loss, _ = model(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip, foreach=True)
            opt.step()
            losses.append(loss.item())
        nll = sequence_nll(model, valid)
        hist["train_loss"].append(float(np.mean(losses)))
        hist["valid_nll"].append(nll)
        if nll < best:
            best, stale = nll, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(valid_nll=f"{nll:.3f}", refresh=False)
        if checkpoint is not None:
            checkpoint({"model": model.state_dict(), "optimizer": opt.state_dict(), "history": hist, "best": best,
                        "epoch": epoch + 1, "stale": stale, "best_model": best_state})
        if stale >= cfg.patience:
            break
    if bar is not None:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return {"history": hist, "best_valid_nll": best, "epochs_run": len(hist["valid_nll"])}
