"""`improvise kern train`: the character LSTM on prepared **kern text, char-rnn style.

Files are split 90/10 by file with a seeded shuffle (split.json in the run folder). The training
files' texts are joined into one stream cut into `batch` parallel rows; each epoch walks them
`seq` characters at a time from a random offset, carrying the hidden state from batch to batch
(truncated BPTT). Validation is the cross-entropy per character over the validation files'
stream, read the same way. Run folder: config.json, split.json, metrics.json, model.pt (the best
weights), checkpoints/epochNNN_<valid loss>.pt (the latest improvements) and resume.pt.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from improvise.errors import ConfigError, UserError
from improvise.kern.prepare import KernError, kern_files, prepare_text, read_kern_text
from improvise.models.char_lstm import CharLSTM, CharLSTMConfig
from improvise.runs import load_checkpoint, read_json, save_checkpoint, write_json
from improvise.sequence_trainer import SequenceTrainConfig, fit_sequences

KEEP_CHECKPOINTS = 3  # named checkpoints kept (the latest improvements)
RESUME_MAY_CHANGE = ("epochs", "patience", "minutes", "threads")  # settings --resume may change


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
        if min(self.hidden, self.layers, self.seq, self.batch, self.epochs, self.patience, self.threads) < 1:
            raise ConfigError("hidden, layers, seq, batch, epochs, patience and threads must be at least 1")
        if not 0 < self.valid_fraction < 1 or self.minutes < 0:
            raise ConfigError("valid_fraction must be in (0, 1) and minutes >= 0")

    def to_dict(self) -> dict:
        return asdict(self)


def split_by_file(names: list[str], valid_fraction: float, seed: int) -> dict:
    """A seeded shuffle of the sorted names: the first ceil(fraction * n) (at least 1) validate."""
    names = sorted(names)
    order = np.random.default_rng(seed).permutation(len(names))
    n_valid = min(len(names) - 1, max(1, int(np.ceil(valid_fraction * len(names)))))
    valid = sorted(names[i] for i in order[:n_valid])
    return {"seed": seed, "valid_fraction": valid_fraction, "train": [n for n in names if n not in set(valid)],
            "valid": valid}


def read_corpus(paths: list[Path]) -> tuple[dict, list[dict]]:
    """Prepared body text of every readable file, keyed 'folder/name'; and the skipped files."""
    texts, skipped = {}, []
    for f in kern_files(paths):
        try:
            p = prepare_text(read_kern_text(f))
        except KernError as e:
            skipped.append({"path": str(f), "line": e.line, "reason": e.reason})
            continue
        texts[f"{f.parent.name}/{f.name}"] = "\n".join(p.body) + "\n"
    if len(texts) < 2:
        raise UserError("need at least two readable .krn files to split into training and validation")
    return texts, skipped


def text_to_rows(text: str, stoi: dict, rows: int) -> torch.Tensor:
    """The text's character ids cut into `rows` contiguous rows, (rows, length)."""
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    length = len(ids) // rows
    if length < 2:
        raise UserError(f"text of {len(ids)} characters is too short for {rows} rows")
    return ids[:rows * length].view(rows, length)


def stream_batches(rows: torch.Tensor, seq: int):
    """batches(rng, epoch) for fit_sequences: (x, y, carry) windows of `seq` steps walking the
    rows from a random offset, the state carried after the first."""
    def batches(rng: np.random.Generator, epoch: int):
        start = int(rng.integers(0, seq))
        for i, t in enumerate(range(start, rows.shape[1] - 1 - seq + 1, seq)):
            yield rows[:, t:t + seq].T, rows[:, t + 1:t + seq + 1].T, i > 0
    return batches


@torch.no_grad()
def stream_nll(model, rows: torch.Tensor, seq: int = 250) -> float:
    """Mean cross-entropy per character (nats) over the rows, state carried along each row."""
    was = model.training
    model.eval()
    total, n, state = 0.0, 0, None
    for t in range(0, rows.shape[1] - 1, seq):
        x, y = rows[:, t:t + seq].T, rows[:, t + 1:t + seq + 1].T
        x = x[:len(y)]
        _, loss, state = model(x, y, state)
        total += float(loss) * y.numel()
        n += y.numel()
    model.train(was)
    return total / max(n, 1)


def _checkpointer(run: Path, model_cfg: dict, extra: dict):
    def checkpoint(state: dict) -> None:
        epoch, best = state["epoch"], state["best"]
        save_checkpoint(run / "resume.pt", model_cfg, state["model"], {**extra, "resume": state})
        if state["stale"] == 0:  # this epoch improved: the best weights, named by their loss
            save_checkpoint(run / "model.pt", model_cfg, state["best_model"], {**extra, "epoch": epoch, "valid": best})
            named = run / "checkpoints" / f"epoch{epoch:03d}_{best:.4f}.pt"
            save_checkpoint(named, model_cfg, state["best_model"], {**extra, "epoch": epoch, "valid": best})
            for old in sorted((run / "checkpoints").glob("epoch*.pt"))[:-KEEP_CHECKPOINTS]:
                old.unlink()
        hist = state["history"]
        write_json(run / "metrics.json", {"best_valid_nll": best, "epochs_run": epoch, "seconds": state["seconds"],
                                          "history": hist, "finished": False})
    return checkpoint


def train_kern(paths: list[Path], run: Path, cfg: KernTrainConfig, resume: bool = False,
               progress: bool = False) -> dict:
    """Train (or resume) a run folder; returns metrics.json's content."""
    cfg.validate()
    run = Path(run)
    torch.set_num_threads(cfg.threads)
    texts, skipped = read_corpus(paths)
    split = split_by_file(list(texts), cfg.valid_fraction, cfg.seed)
    chars = "".join(sorted(set("".join(texts.values()))))
    state = None
    if resume:
        old = read_json(run / "config.json")
        same = {k: v for k, v in cfg.to_dict().items() if k not in RESUME_MAY_CHANGE}
        before = {k: v for k, v in old.get("train", {}).items() if k not in RESUME_MAY_CHANGE}
        if before != same or old.get("chars") != chars:
            raise UserError(f"{run}: --resume needs the same corpus and settings as the run folder's config.json")
        state = load_checkpoint(run / "resume.pt")["extra"]["resume"]
    stoi = {c: i for i, c in enumerate(chars)}
    train_rows = text_to_rows("".join(texts[n] for n in split["train"]), stoi, cfg.batch)
    valid_rows = text_to_rows("".join(texts[n] for n in split["valid"]), stoi, min(cfg.batch, 10))
    model_cfg = CharLSTMConfig(len(chars), cfg.hidden, cfg.layers, cfg.dropout)
    torch.manual_seed(cfg.seed)
    model = CharLSTM(model_cfg)
    extra = {"chars": chars}
    # written on --resume too: the config records the latest budget
    write_json(run / "config.json", {"model": model_cfg.to_dict(), "train": cfg.to_dict(), "chars": chars,
                                     "layout": ["kern", "kern", "dynam"], "corpus": [str(p) for p in paths]})
    write_json(run / "split.json", split)
    tcfg = SequenceTrainConfig(epochs=cfg.epochs, batch=cfg.batch, window=cfg.seq, lr=cfg.lr, clip=cfg.clip,
                               patience=cfg.patience, seed=cfg.seed, threads=cfg.threads,
                               max_seconds=cfg.minutes * 60, lr_decay=cfg.lr_decay)
    t0 = time.perf_counter()
    res = fit_sequences(model, [], [], tcfg, checkpoint=_checkpointer(run, model_cfg.to_dict(), extra), resume=state,
                        progress=progress, batches=stream_batches(train_rows, cfg.seq),
                        evaluate=lambda m: stream_nll(m, valid_rows))
    metrics = {"best_valid_nll": res["best_valid_nll"], "epochs_run": res["epochs_run"], "seconds": res["seconds"],
               "wall_seconds_this_call": time.perf_counter() - t0, "history": res["history"], "finished": True,
               "train_chars": int(train_rows.numel()), "valid_chars": int(valid_rows.numel()),
               "train_files": len(split["train"]), "valid_files": len(split["valid"]), "skipped": skipped}
    save_checkpoint(run / "model.pt", model_cfg.to_dict(), model.state_dict(),
                    {**extra, "valid": res["best_valid_nll"]})
    write_json(run / "metrics.json", metrics)
    return metrics


def load_kern_model(run: Path) -> tuple[CharLSTM, str, dict]:
    """The best model of a run folder, its characters and its config.json."""
    from improvise.runs import require_run_dir

    run = require_run_dir(run)
    config = read_json(run / "config.json")
    blob = load_checkpoint(run / "model.pt")
    try:
        model = CharLSTM(CharLSTMConfig(**blob["model_config"]))
        model.load_state_dict(blob["state_dict"])
    except (TypeError, RuntimeError, KeyError) as e:
        reason = str(e).splitlines()[0][:120]
        raise UserError(f"{run / 'model.pt'}: weights do not fit a character LSTM ({reason})") from None
    model.eval()
    chars = blob["extra"].get("chars") or config.get("chars")
    if not isinstance(chars, str) or len(chars) != model.config.vocab_size:
        raise UserError(f"{run}: the checkpoint's characters do not match its model")
    return model, chars, config
