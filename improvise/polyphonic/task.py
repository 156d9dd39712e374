"""`improvise bench polyphonic`: the 88-output LSTM on the Boulanger-Lewandowski et al. (2012)
piano-roll benchmarks (JSB Chorales, Nottingham, MuseData, Piano-midi.de), with their splits.

Data: input at step t is the frame roll[t-1] (zeros at t = 0), the target is roll[t], so the
first frame of a piece is predicted from a zero input and a zero state. The figure reported is
the test negative log-likelihood per time step, in nats: the binary cross-entropy summed over
the 88 keys, summed over every step of every test piece and divided by the number of steps
(pooled, not a mean of per-piece means), each piece run from a zero state, with the weights
that scored best on the valid split (measured once). Bai et al.'s code (locuslab/TCN) pools the
same way but does not predict a piece's first frame; that figure is reported beside ours.

Augmentation: each epoch every training piece is shifted by a key offset drawn uniformly from
-k..+k (only offsets that keep its notes on the keyboard); valid and test are never touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from improvise.core.checks import MAX_HIDDEN, check_memory
from improvise.core.config import TrainingCore, in_range, require, whole
from improvise.core.errors import ConfigError, UserError
from improvise.core.runs import load_checkpoint, save_checkpoint, save_run, write_bytes, write_json
from improvise.data.pianoroll import DATASETS, KEYS, read_pianoroll
from improvise.nn.pianoroll_lstm import PianorollLSTM, PianorollLSTMConfig
from improvise.polyphonic.report import plot_curve, render_section
from improvise.train.loop import SequenceTrainConfig, fit_sequences

NAMES = {"jsb": "JSB Chorales", "nottingham": "Nottingham", "musedata": "MuseData", "piano": "Piano-midi.de"}
# Bai, Kolter & Koltun 2018 (TCN), Table 1: test NLL per time step
PUBLISHED = {
    "jsb": {"LSTM": 8.45, "GRU": 8.43, "TCN": 8.10},
    "nottingham": {"LSTM": 3.29, "GRU": 3.46, "TCN": 3.07},
}
RESUME = "resume.pt"


@dataclass
class PolyphonicConfig(TrainingCore):
    """The training core (improvise.core.config) with this bench's defaults, and the network."""

    RENAMED: ClassVar[dict] = {"minutes": ("max_seconds", 60.0)}  # config.json of versions before 0.2

    epochs: int = 500  # at most
    lr: float = 3e-3  # Adam
    clip: float = 1.0  # global gradient-norm clip
    patience: int = 6  # stale epochs before stopping early
    max_seconds: float = 1500.0  # budget incl. validation, 25 minutes; the epoch that passes it is the last
    data: str = "jsb"  # jsb | nottingham | musedata | piano
    hidden: int = 512  # LSTM units a layer (256 x 1 reaches 8.55 / 3.30; see docs/polyphonic/README.md)
    layers: int = 2  # stacked LSTM layers (3 was worse on JSB)
    input_dropout: float = 0.2  # dropout on the input frame
    dropout: float = 0.3  # dropout between stacked layers (0.5 was worse on JSB)
    output_dropout: float = 0.5  # dropout before the key logits (0.3 was worse on JSB)
    transpose: int = 0  # training pieces shifted by a random -k..+k keys each epoch (0: none; 3 hurt JSB)
    batch: int = 8  # pieces an update, grouped by similar length
    window: int = 0  # steps of truncated BPTT, state carried across windows (0: whole pieces)
    weight_decay: float = 0.0  # Adam's L2 penalty
    lr_decay: float = 0.5  # learning rate times this after each epoch without a better valid NLL

    def validate(self) -> None:
        """The core's checks, then the data set and the network's sizes."""
        super().validate()
        require(self.data in DATASETS, f"data must be one of {', '.join(DATASETS)}, not {self.data!r}")
        for name, lo, hi in (
            ("hidden", 1, MAX_HIDDEN),
            ("layers", 1, 16),
            ("batch", 1, 4096),
            ("transpose", 0, 24),
            ("window", 0, 100_000),
        ):
            whole(name, getattr(self, name), lo, hi)
        in_range("weight_decay", self.weight_decay, 0.0, 10.0)
        h = self.hidden  # weights, gradients and Adam's moments of the stacked layers, float32
        check_memory(4 * 4 * 4 * h * (h + 88) * self.layers, "an LSTM of this size")
        self.model_config()
        self.train_config().validate()

    def model_config(self) -> PianorollLSTMConfig:
        return PianorollLSTMConfig(
            keys=KEYS,
            hidden=self.hidden,
            layers=self.layers,
            input_dropout=self.input_dropout,
            dropout=self.dropout,
            output_dropout=self.output_dropout,
        )

    def train_config(self) -> SequenceTrainConfig:
        return SequenceTrainConfig(
            **self.core(), batch=self.batch, weight_decay=self.weight_decay, lr_decay=self.lr_decay
        )


def config_for(data: str, **overrides) -> PolyphonicConfig:
    """The defaults above for `data` (the committed JSB and Nottingham figures use them; MuseData
    and Piano-midi are untuned), with the settings given (None: the default) instead."""
    if data not in DATASETS:
        raise ConfigError(f"data must be one of {', '.join(DATASETS)}, not {data!r}")
    names = {f.name for f in fields(PolyphonicConfig)}
    return PolyphonicConfig(**{k: v for k, v in overrides.items() if v is not None and k in names}, data=data)


def load_rolls(data: str, data_dir: Path) -> dict[str, list[np.ndarray]]:
    path = Path(data_dir) / DATASETS[data]
    if not path.is_file():
        raise UserError(
            f"{path}: no such file (pass --data-dir, the folder with the Boulanger-Lewandowski .mat files)"
        )
    return read_pianoroll(path)


def roll_pair(roll: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets), each (T, 88) float: inputs are the frames shifted one step, zeros first."""
    y = torch.from_numpy(np.asarray(roll, dtype=np.float32))
    x = torch.cat([y.new_zeros(1, y.shape[1]), y[:-1]])
    return x, y


def shift_roll(roll: np.ndarray, k: int) -> np.ndarray:
    """The roll moved k keys up (down if k < 0), zeros shifted in; notes pushed off are lost."""
    out = np.zeros_like(roll)
    if k >= 0:
        out[:, k:] = roll[:, : roll.shape[1] - k]
    else:
        out[:, :k] = roll[:, -k:]
    return out


def shift_range(roll: np.ndarray, k: int) -> tuple[int, int]:
    """The offsets in -k..+k that keep every note of `roll` on the keyboard."""
    used = np.flatnonzero(roll.any(0))
    if not len(used):
        return 0, 0
    return -min(k, int(used[0])), min(k, roll.shape[1] - 1 - int(used[-1]))


def _padded(pairs: list, idx) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(len(pairs[i][1]) for i in idx)
    x = torch.zeros(length, len(idx), KEYS)
    y = torch.full((length, len(idx), KEYS), -1.0)
    for j, i in enumerate(idx):
        xi, yi = pairs[i]
        x[: len(xi), j], y[: len(yi), j] = xi, yi
    return x, y


def _length_groups(lengths: np.ndarray, batch: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Indices grouped `batch` at a time by similar length (jittered with rng), groups in random order."""
    key = lengths * (np.exp(rng.uniform(-0.15, 0.15, len(lengths))) if rng is not None else 1.0)
    order = np.argsort(key, kind="stable")
    groups = [order[i : i + batch] for i in range(0, len(order), batch)]
    if rng is not None:
        groups = [groups[i] for i in rng.permutation(len(groups))]
    return groups


def training_batches(rolls: list[np.ndarray], cfg: PolyphonicConfig):
    """A `batches(rng, epoch)` iterator for fit_sequences: every training piece once an epoch,
    shifted by a random offset if cfg.transpose, whole or in carried windows of cfg.window steps."""
    lengths = np.array([len(r) for r in rolls])
    ranges = [shift_range(r, cfg.transpose) for r in rolls]

    def batches(rng: np.random.Generator, epoch: int):
        shifts = [int(rng.integers(lo, hi + 1)) for lo, hi in ranges]
        for idx in _length_groups(lengths, cfg.batch, rng):
            pairs = [roll_pair(shift_roll(rolls[i], shifts[i]) if shifts[i] else rolls[i]) for i in idx]
            x, y = _padded(pairs, range(len(pairs)))
            step = cfg.window or len(x)
            for s in range(0, len(x), step):
                yield x[s : s + step], y[s : s + step], s > 0

    return batches


@torch.no_grad()
def rolls_nll(model, pairs: list, batch: int = 32, skip_first: bool = False) -> float:
    """NLL per time step over whole pieces, each from a zero state, padded batches of similar
    length (the same figure as one piece at a time, to rounding). skip_first: leave out each
    piece's first step (Bai et al.'s convention)."""
    model.eval()
    total, n = 0.0, 0
    for idx in _length_groups(np.array([len(y) for _, y in pairs]), batch, None):
        x, y = _padded(pairs, idx)
        if skip_first:
            y[0] = -1.0
        _, loss, _ = model(x, y)
        c = int((y[..., 0] >= 0).sum())
        total += float(loss) * c
        n += c
    return total / max(n, 1)


def _open_run(cfg: PolyphonicConfig, data_dir: Path, out: Path | None, resume: bool):
    """(out, state): the run folder with its config.json written, and the training state to resume
    from (None unless resuming and DIR/resume.pt is there); (None, None) without a folder."""
    if out is None:
        return None, None
    out = Path(out)
    save_run(
        out,
        "polyphonic",
        {"polyphonic": cfg.to_dict(), "model": cfg.model_config().to_dict(), "data_dir": str(data_dir)},
    )
    state = None
    if resume and (out / RESUME).is_file():
        state = load_checkpoint(out / RESUME, "polyphonic")["extra"]["resume"]
    return out, state


def _metrics(cfg: PolyphonicConfig, model, rolls: dict, res: dict, t0: float) -> dict:
    """metrics.json: test NLL (with and without each piece's first step), the training figures,
    the settings and the published figures to compare with."""
    test = [roll_pair(r) for r in rolls["test"]]
    return {
        "data": cfg.data,
        "name": NAMES[cfg.data],
        "split": {k: len(v) for k, v in rolls.items()},
        "test_steps": int(sum(len(r) for r in rolls["test"])),
        "test_nll": rolls_nll(model, test),
        "test_nll_without_first_step": rolls_nll(model, test, skip_first=True),
        "valid_nll": res["best_valid_nll"],
        "train_minutes": res["seconds"] / 60,
        "wall_minutes": (time.perf_counter() - t0) / 60,
        "epochs_run": res["epochs_run"],
        "best_epoch": int(np.argmin(res["history"]["valid_nll"])) + 1,
        "parameters": sum(p.numel() for p in model.parameters()),
        "history": res["history"],
        "config": cfg.to_dict(),
        "published": PUBLISHED.get(cfg.data, {}),
    }


def _save_run(out: Path, cfg: PolyphonicConfig, model, metrics: dict) -> None:
    """DIR/model.pt, metrics.json and curve.png."""
    save_checkpoint(
        out / "model.pt",
        cfg.model_config().to_dict(),
        model.state_dict(),
        {"data": cfg.data, "test_nll": metrics["test_nll"]},
        kind="polyphonic",
    )
    write_json(out / "metrics.json", metrics)
    write_bytes(out / "curve.png", plot_curve(metrics))


def train_polyphonic(
    cfg: PolyphonicConfig,
    data_dir: Path,
    out: Path | None = None,
    progress: bool = False,
    resume: bool = False,
) -> dict:
    """Train on the train split, early-stop on valid, measure test once. Returns the metrics dict
    (and writes config.json, model.pt, metrics.json, curve.png to `out` if given)."""
    cfg.validate()
    rolls = load_rolls(cfg.data, data_dir)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model = PianorollLSTM(cfg.model_config())
    train = rolls["train"]
    model.set_output_bias(torch.from_numpy(np.concatenate(train).mean(0)))
    valid = [roll_pair(r) for r in rolls["valid"]]
    out, state = _open_run(cfg, data_dir, out, resume)

    def checkpoint(s: dict) -> None:
        save_checkpoint(
            out / RESUME, cfg.model_config().to_dict(), s["model"], {"resume": s}, kind="polyphonic"
        )

    t0 = time.perf_counter()
    res = fit_sequences(
        model,
        [],
        valid,
        cfg.train_config(),
        checkpoint=checkpoint if out is not None else None,
        resume=state,
        progress=progress,
        batches=training_batches(train, cfg),
        evaluate=lambda m: rolls_nll(m, valid),
    )
    metrics = _metrics(cfg, model, rolls, res, t0)
    if out is not None:
        _save_run(out, cfg, model, metrics)
    metrics["model"] = model
    return metrics


def bench_polyphonic(
    data: str,
    data_dir: Path,
    out: Path | None = None,
    docs: Path | None = None,
    progress: bool = False,
    resume: bool = False,
    command: str | None = None,
    **overrides,
) -> dict:
    """Train with the data set's preset (plus overrides); with `docs`, also write
    docs/<data>.json and docs/<data>.png. Returns the metrics (without the model)."""
    cfg = config_for(data, **overrides)
    m = train_polyphonic(cfg, Path(data_dir), out, progress, resume)
    m.pop("model")
    if command:
        m["command"] = command
    if out is not None and command:
        write_json(Path(out) / "metrics.json", m)
    if docs is not None:
        write_json(Path(docs) / f"{data}.json", m)
        write_bytes(Path(docs) / f"{data}.png", plot_curve(m))
        write_docs_readme(Path(docs))
    return m


def write_docs_readme(docs: Path) -> None:
    """docs/README.md: render_section over every <data>.json there, in DATASETS order."""
    from improvise.core.runs import read_json

    results = {d: read_json(docs / f"{d}.json") for d in DATASETS if (docs / f"{d}.json").is_file()}
    lines = render_section(results)
    lines += [f"![{m['name']} training curve]({d}.png)" for d, m in results.items()]
    write_bytes(docs / "README.md", ("\n".join(lines) + "\n").encode())
