"""One trainer for every neural sequence model: melodies, piano rolls, **kern characters.

A model follows one contract: `forward(x, targets=None, state=None) -> (logits, loss, state)`,
x shaped (T, B, ...) time first, `loss` the mean over the targets that are not padding. Padding
is marked in the targets: -1 for class ids (T, B), a row starting with -1 for multi-hot (T, B, K).

`fit` is the package's one training loop, and every trainer is a batch source of it with
`Hooks` for what it does its own way (improvise.train.looped's looped streams: a reset mask, a step
schedule, per-member clipping, its own history). `fit_sequences` trains on batches, validates
each epoch, keeps the best weights, stops early, calls `checkpoint(state)` with a resumable
state and can stop at a time budget. Batches come from `random_windows` (random windows of
variable-length sequences, a zero state each) unless a `batches(rng, epoch)` iterator is given;
it yields (x, y, carry) and `carry=True` goes on from the previous batch's state, detached
(truncated BPTT over contiguous streams).

Data-parallel: started under `torchrun --nproc_per_node N`, `init_distributed()` joins the
gloo group and `fit_sequences` wraps the model in DistributedDataParallel. Every rank draws the
same global batch and trains on its share of the columns; each rank's loss is weighted by its
share of the targets, so the averaged gradient is that of the global batch's mean loss and N
processes follow the single process's path to rounding (with dropout off; dropout masks are
drawn per rank).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import torch

from improvise.core.errors import ConfigError
from improvise.train.config import SequenceTrainConfig

__all__ = [
    "Hooks",
    "SequenceTrainConfig",
    "close_distributed",
    "detach",
    "fit",
    "fit_sequences",
    "init_distributed",
    "random_windows",
    "sequence_nll",
    "target_count",
]


def _pad(t: torch.Tensor, length: int, value) -> torch.Tensor:
    pad = length - len(t)
    return torch.cat([t, t.new_full((pad, *t.shape[1:]), value)]) if pad else t


def random_windows(seqs, rng: np.random.Generator, n: int, length: int):
    """n random (input, target) windows, a sequence drawn in proportion to its length:
    inputs (length, n, ...) and targets (length, n, ...), padded past a short sequence's end."""
    xs, ys = [], []
    lengths = np.array([len(y) for _, y in seqs])
    for i in rng.choice(len(seqs), size=n, p=lengths / lengths.sum()):
        x, y = seqs[i]
        start = int(rng.integers(0, max(1, len(y) - length)))
        xs.append(_pad(x[start : start + length], length, 0))
        ys.append(_pad(y[start : start + length], length, -1))
    return torch.stack(xs, 1), torch.stack(ys, 1)


def target_count(y: torch.Tensor) -> int:
    """Targets that are not padding: class ids >= 0, or multi-hot rows not starting with -1."""
    return int((y >= 0).sum()) if not y.is_floating_point() else int((y[..., 0] >= 0).sum())


@torch.no_grad()
def sequence_nll(model, seqs) -> float:
    """Mean loss per target (for class models the NLL per event, nats; for multi-hot models
    the summed NLL per time step) over whole sequences, each from a zero state."""
    model.eval()
    total, n = 0.0, 0
    for x, y in seqs:
        _, loss, _ = model(x[:, None], y[:, None])
        c = target_count(y)
        total += float(loss) * c
        n += c
    return total / max(n, 1)


def detach(state):
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return type(state)(detach(s) for s in state)


def init_distributed() -> tuple[int, int]:
    """Join the process group when started by torchrun (gloo, CPU); returns (rank, world)."""
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def close_distributed() -> None:
    """Leave the process group, after every process got here. Call it before a torchrun worker
    exits: gloo's threads still running at interpreter shutdown abort the process (SIGABRT)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        import gc

        gc.collect()  # free DDP reducers and their pending gloo work while the interpreter is whole
        dist.barrier()
        dist.destroy_process_group()


def _world() -> tuple[int, int]:
    import torch.distributed as dist

    return (
        (dist.get_rank(), dist.get_world_size()) if dist.is_available() and dist.is_initialized() else (0, 1)
    )


def _shard(t: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    return t if world == 1 else t[:, rank::world]


class Hooks:
    """What a trainer built on the shared loop (`fit`) does its own way. These defaults are
    fit_sequences': Adam with weight decay, one global gradient-norm clip, torch reseeded every
    epoch from (seed, epoch) so that a resumed run repeats the uninterrupted one, a zero state at
    each epoch's start carried (detached) where a batch says carry=True, data-parallel under
    torchrun, each epoch's mean training loss, validation loss and seconds recorded."""

    reseed_each_epoch = True
    carry_between_epochs = False  # True: an epoch's first batch goes on from the previous epoch's state
    data_parallel = True

    def optimizer(self, model, cfg: SequenceTrainConfig) -> torch.optim.Optimizer:
        """The optimizer of the run (made once, before a resume state is loaded into it)."""
        return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def clip(self, model, cfg: SequenceTrainConfig) -> None:
        """Clip the gradients before each update."""
        if cfg.clip > 0:  # 0: no clip
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip, foreach=True)

    def carry(self, state, carry):
        """The state the next batch starts from, given the last batch's and the batch's `carry`."""
        return detach(state) if carry else None

    def after_update(self) -> None:
        """Called after every update (a step-size schedule goes here)."""

    def new_history(self) -> dict:
        """The empty history of a run that is not resumed."""
        return {"train_loss": [], "valid_nll": [], "seconds": []}

    def batch_done(self, hist: dict, model, logits, loss, y) -> None:
        """Called after every update, inside the timed part (figures of the batch just trained)."""

    def epoch_done(self, hist: dict, losses: list[float], nll: float | None, spent: float) -> None:
        """Called after every epoch with its batches' losses, its validation loss and the seconds so far."""
        hist["train_loss"].append(float(np.mean(losses)))
        hist["valid_nll"].append(nll)
        hist["seconds"].append(spent)

    def epochs_run(self, hist: dict) -> int:
        """Epochs the history covers (resumed ones included)."""
        return len(hist["valid_nll"])


@dataclass
class _Run:
    """The counters of a training run: what a checkpoint saves and `resume` restores."""

    hist: dict
    best: float = float("inf")
    best_state: dict | None = None
    epoch: int = 0  # epochs done
    stale: int = 0
    spent: float = 0.0

    @classmethod
    def begin(cls, model, opt, hooks: Hooks, resume: dict | None) -> _Run:
        """A fresh run, or `resume`'s, its weights and optimizer state loaded."""
        if not resume:
            return cls(hooks.new_history())
        model.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optimizer"])
        return cls(
            resume["history"],
            resume["best"],
            resume.get("best_model"),
            resume["epoch"],
            resume["stale"],
            resume.get("seconds", 0.0),
        )

    def validated(self, nll: float, model, opt, lr_decay: float) -> None:
        """Keep the best weights; count a stale epoch and decay the step size otherwise."""
        if nll < self.best:
            self.best, self.stale = nll, 0
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.stale += 1
            for g in opt.param_groups:
                g["lr"] *= lr_decay

    def state(self, model, opt) -> dict:
        """What `checkpoint` gets: everything `resume` needs to go on exactly."""
        return {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "history": self.hist,
            "best": self.best,
            "epoch": self.epoch,
            "stale": self.stale,
            "best_model": self.best_state,
            "seconds": self.spent,
        }


def _global_weighted(loss: torch.Tensor, y: torch.Tensor, world: int) -> torch.Tensor:
    """This rank's loss weighted by its share of the global batch's targets."""
    import torch.distributed as dist

    counts = torch.tensor([float(target_count(y))])
    mine = counts.clone()
    dist.all_reduce(counts)
    return loss * (mine[0] * world / counts[0])


def _train_epoch(
    net,
    model,
    opt,
    cfg: SequenceTrainConfig,
    hooks: Hooks,
    hist: dict,
    epoch_batches,
    state,
    rank: int,
    world: int,
) -> tuple[list[float], object]:
    """One update a batch; returns the batches' losses and the last state."""
    losses = []
    for x, y, carry in epoch_batches:
        x, y = _shard(x, rank, world), _shard(y, rank, world)
        logits, loss, state = net(x, y, hooks.carry(state, carry))
        if world > 1:
            loss = _global_weighted(loss, y, world)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        hooks.clip(model, cfg)
        opt.step()
        hooks.after_update()
        losses.append(loss.item())
        hooks.batch_done(hist, model, logits, loss, y)
    return losses, state


def _progress_bar(cfg: SequenceTrainConfig, start: int):
    """A tqdm bar over the epochs; None when stderr is not a terminal (where tqdm would draw
    nothing, but still start its monitor thread)."""
    import sys

    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=cfg.epochs, initial=start, desc="training", unit="epoch", leave=False, disable=None)


class _Loop:
    """What one call of `fit` holds: the model (wrapped for data-parallel training where it
    runs under torchrun), its optimizer, the run's counters and the progress bar."""

    def __init__(self, model, cfg: SequenceTrainConfig, hooks: Hooks, resume: dict | None, progress: bool):
        cfg.validate()
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.model, self.cfg, self.hooks = model, cfg, hooks
        self.rank, self.world = _world() if hooks.data_parallel else (0, 1)
        if cfg.batch % self.world:
            raise ConfigError(f"batch {cfg.batch} does not split over {self.world} processes")
        self.net = model
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(model)
        self.opt = hooks.optimizer(model, cfg)
        self.run = _Run.begin(model, self.opt, hooks, resume)
        self.bar = _progress_bar(cfg, self.run.epoch) if progress and self.rank == 0 else None

    def epoch(self, epoch: int, batches, state, evaluate) -> tuple[list[float], float | None, object]:
        """Train one epoch (timed, validation included): its losses, validation loss and last state."""
        cfg, hooks, run = self.cfg, self.hooks, self.run
        t0 = time.perf_counter()
        rng = np.random.default_rng([cfg.seed, epoch])  # batches and dropout drawn per epoch
        if hooks.reseed_each_epoch:
            torch.manual_seed(int(rng.integers(2**31)))
        self.model.train()
        state = state if hooks.carry_between_epochs else None
        losses, state = _train_epoch(
            self.net,
            self.model,
            self.opt,
            cfg,
            hooks,
            run.hist,
            batches(rng, epoch),
            state,
            self.rank,
            self.world,
        )
        nll = float(evaluate(self.model)) if evaluate is not None else None
        run.spent += time.perf_counter() - t0
        hooks.epoch_done(run.hist, losses, nll, run.spent)
        run.epoch = epoch + 1
        if nll is not None:
            run.validated(nll, self.model, self.opt, cfg.lr_decay)
        return losses, nll, state

    def report(self, losses: list[float], nll: float | None, on_epoch, checkpoint) -> None:
        """After an epoch, outside the timed part: on_epoch, the progress bar, the checkpoint."""
        if on_epoch is not None:
            on_epoch(self.run.epoch, self.model)
        if self.bar is not None:
            self.bar.update(1)
            shown = {"valid": f"{nll:.3f}"} if nll is not None else {"loss": f"{losses[-1]:.3f}"}
            self.bar.set_postfix(**shown, refresh=False)
        if checkpoint is not None and self.rank == 0:
            checkpoint(self.run.state(self.model, self.opt))

    def stopping(self) -> bool:
        run, cfg = self.run, self.cfg
        stale = bool(cfg.patience) and run.stale >= cfg.patience  # patience 0: never stop early
        return stale or bool(cfg.max_seconds and run.spent >= cfg.max_seconds)

    def finish(self) -> dict:
        if self.bar is not None:
            self.bar.close()
        if self.run.best_state is not None:
            self.model.load_state_dict(self.run.best_state)
        self.model.eval()
        return {
            "history": self.run.hist,
            "best_valid_nll": self.run.best,
            "epochs_run": self.hooks.epochs_run(self.run.hist),
            "seconds": self.run.spent,
        }


def fit(
    model,
    cfg: SequenceTrainConfig,
    batches,
    hooks: Hooks | None = None,
    evaluate=None,
    checkpoint=None,
    resume: dict | None = None,
    progress: bool = False,
    on_epoch=None,
) -> dict:
    """The package's one training loop: `batches(rng, epoch)` yields (x, y, carry) a batch, one
    update each; `hooks` (default `Hooks()`) set what differs between trainers. With
    `evaluate(model) -> float` it validates each epoch, keeps the best weights, decays the step
    size on a stale epoch and stops after `patience` of them; without, it keeps the last weights.
    checkpoint(state) is called on rank 0 after every epoch with a state to pass back as `resume`;
    on_epoch(epoch, model) after every epoch too. Neither, nor the progress bar, counts in "seconds"."""
    loop = _Loop(model, cfg, hooks or Hooks(), resume, progress)
    state = None
    for epoch in range(loop.run.epoch, cfg.epochs):
        losses, nll, state = loop.epoch(epoch, batches, state, evaluate)
        loop.report(losses, nll, on_epoch, checkpoint)
        if loop.stopping():
            break
    return loop.finish()


def fit_sequences(
    model,
    train,
    valid,
    cfg: SequenceTrainConfig,
    checkpoint=None,
    resume: dict | None = None,
    progress: bool = False,
    batches=None,
    evaluate=None,
) -> dict:
    """Train, validate each epoch, keep the best weights, stop after `patience` stale epochs.

    train/valid: lists of (inputs (T, ...), targets (T, ...)) tensors. `batches(rng, epoch)`, if
    given, replaces the random windows (see the module doc); `evaluate(model) -> float` replaces
    the validation loss (`sequence_nll` on `valid`). checkpoint(state) is called on rank 0 after
    every epoch with a state to pass back as `resume`."""
    if batches is None:

        def batches(rng: np.random.Generator, epoch: int):
            return (
                (*random_windows(train, rng, cfg.batch, cfg.window), False)
                for _ in range(max(1, cfg.windows // cfg.batch))
            )

    return fit(
        model,
        cfg,
        batches,
        evaluate=evaluate or (lambda m: sequence_nll(m, valid)),
        checkpoint=checkpoint,
        resume=resume,
        progress=progress,
    )
