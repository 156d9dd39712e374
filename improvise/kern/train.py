"""`improvise kern train`: the character LSTM on prepared **kern text, char-rnn style.

Files are split 90/10 by file with a seeded shuffle (split.json in the run folder). The training
files' texts are joined into one stream cut into `batch` parallel rows; each epoch walks them
`seq` characters at a time from a random offset, carrying the hidden state from batch to batch
(truncated BPTT). Validation is the cross-entropy per character over the validation files'
stream, read the same way. Run folder: config.json, split.json, metrics.json, model.pt (the best
weights), checkpoints/epochNNN_<valid loss>.pt (the latest improvements) and resume.pt.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch

from improvise.core.checks import MAX_EPOCHS, check_memory, file_error
from improvise.core.errors import UserError
from improvise.core.runs import save_checkpoint, save_run, write_json
from improvise.kern.config import KernTrainConfig
from improvise.kern.prepare import kern_files, prepare_files, unusable
from improvise.kern.runfolder import check_weights, open_checkpoint, read_run_config
from improvise.nn.char_lstm import CharLSTM, CharLSTMConfig
from improvise.train.loop import SequenceTrainConfig, fit_sequences

KEEP_CHECKPOINTS = 3  # named checkpoints kept (the latest improvements)
RESUME_MAY_CHANGE = ("epochs", "patience", "max_seconds", "threads")  # settings --resume may change


def split_by_file(names: list[str], valid_fraction: float, seed: int) -> dict:
    """A seeded shuffle of the sorted names: the first ceil(fraction * n) (at least 1) validate."""
    names = sorted(names)
    order = np.random.default_rng(seed).permutation(len(names))
    n_valid = min(len(names) - 1, max(1, int(np.ceil(valid_fraction * len(names)))))
    valid = sorted(names[i] for i in order[:n_valid])
    return {
        "seed": seed,
        "valid_fraction": valid_fraction,
        "train": [n for n in names if n not in set(valid)],
        "valid": valid,
    }


def read_corpus(paths: list[Path]) -> tuple[dict, list[dict]]:
    """Prepared body text of every readable file, keyed 'folder/name'; and the skipped files."""
    paths = list(paths)
    files = kern_files(paths)
    done, skipped = prepare_files(files)
    texts = {f"{f.parent.name}/{f.name}": "\n".join(p.body) + "\n" for f, p in done}
    if len(texts) < 2:
        given = ", ".join(map(str, paths[:3])) + (", ..." if len(paths) > 3 else "")
        where = f"{unusable(skipped)}; " if skipped else ""
        raise UserError(
            f"{where}need at least two usable .krn files to split into training and validation, "
            f"found {len(texts)} of {len(files)}" + ("" if skipped else f" in {given}")
        )
    return texts, skipped


def text_to_rows(text: str, stoi: dict, rows: int, seq: int = 1, what: str = "text") -> torch.Tensor:
    """The text's character ids cut into `rows` contiguous rows, (rows, length); each row must
    hold two windows of `seq` characters (a window starts anywhere in the first)."""
    length = len(text) // rows
    if length < max(2, 2 * seq):
        raise UserError(
            f"the {what} ({len(text)} characters) is too short for {rows} rows of at least "
            f"{max(2, 2 * seq)} characters (2 x --seq): lower --batch or --seq, or add files"
        )
    ids = torch.tensor([stoi[c] for c in text[: rows * length]], dtype=torch.long)
    return ids.view(rows, length)


def training_bytes(vocab: int, cfg: KernTrainConfig, chars: int = 0) -> float:
    """About the memory training takes: weights, gradients, Adam's moments and the best and
    checkpointed copies (8 x the parameters), one batch's activations kept for backward, and
    the corpus as ids (float32 and int64 bytes)."""
    h, layers = cfg.hidden, cfg.layers
    params = 4 * h * (vocab + h + 2) + (layers - 1) * 4 * h * (2 * h + 2) + vocab * (h + 1)
    activations = 2 * cfg.seq * cfg.batch * (4 * vocab + 10 * layers * h)
    return 4.0 * (8 * params + activations) + 8.0 * chars


def stream_batches(rows: torch.Tensor, seq: int):
    """batches(rng, epoch) for fit_sequences: (x, y, carry) windows of `seq` steps walking the
    rows from a random offset, the state carried after the first."""

    def batches(rng: np.random.Generator, epoch: int):
        start = int(rng.integers(0, seq))
        for i, t in enumerate(range(start, rows.shape[1] - 1 - seq + 1, seq)):
            yield rows[:, t : t + seq].T, rows[:, t + 1 : t + seq + 1].T, i > 0

    return batches


@torch.no_grad()
def stream_nll(model, rows: torch.Tensor, seq: int = 250) -> float:
    """Mean cross-entropy per character (nats) over the rows, state carried along each row."""
    was = model.training
    model.eval()
    total, n, state = 0.0, 0, None
    for t in range(0, rows.shape[1] - 1, seq):
        x, y = rows[:, t : t + seq].T, rows[:, t + 1 : t + seq + 1].T
        x = x[: len(y)]
        _, loss, state = model(x, y, state)
        total += float(loss) * y.numel()
        n += y.numel()
    model.train(was)
    return total / max(n, 1)


def _checkpointer(run: Path, model_cfg: dict, extra: dict):
    def checkpoint(state: dict) -> None:
        epoch, best = state["epoch"], state["best"]
        save_checkpoint(run / "resume.pt", model_cfg, state["model"], {**extra, "resume": state}, kind="kern")
        if state["stale"] == 0:  # this epoch improved: the best weights, named by their loss
            best_extra = {**extra, "epoch": epoch, "valid": best}
            save_checkpoint(run / "model.pt", model_cfg, state["best_model"], best_extra, kind="kern")
            named = run / "checkpoints" / f"epoch{epoch:03d}_{best:.4f}.pt"
            save_checkpoint(named, model_cfg, state["best_model"], best_extra, kind="kern")
            for old in sorted((run / "checkpoints").glob("epoch*.pt"))[:-KEEP_CHECKPOINTS]:
                old.unlink()
        hist = state["history"]
        write_json(
            run / "metrics.json",
            {
                "best_valid_nll": _finite(best),
                "epochs_run": epoch,
                "seconds": state["seconds"],
                "history": hist,
                "finished": False,
            },
        )

    return checkpoint


def _finite(x: float) -> float | None:
    """A loss for JSON: None where it is not finite (json would write the non-standard NaN)."""
    return float(x) if math.isfinite(x) else None


def _resume_state(run: Path, cfg: KernTrainConfig, chars: str) -> dict:
    """resume.pt's training state, after checking the run folder's config.json asks for the
    same corpus and settings and the checkpoint fits them."""
    old = read_run_config(run)
    same = {k: v for k, v in cfg.to_dict().items() if k not in RESUME_MAY_CHANGE}
    before = {k: v for k, v in old["train_config"].to_dict().items() if k not in RESUME_MAY_CHANGE}
    if before != same or old["chars"] != chars:
        changed = sorted(k for k in same if same[k] != before.get(k)) or ["the corpus's characters"]
        raise UserError(
            f"{run}: --resume needs the settings and corpus of the run folder's config.json "
            f"(different: {', '.join(changed)})"
        )
    where = run / "resume.pt"
    blob = open_checkpoint(where)
    state = blob.get("extra", {}).get("resume") if isinstance(blob.get("extra"), dict) else None
    if not isinstance(state, dict):
        raise file_error(where, "holds no training state to resume from")
    model_cfg = old["model_config"]
    check_weights(state.get("model"), model_cfg, where)
    if state.get("best_model") is not None:
        check_weights(state["best_model"], model_cfg, where)
    _check_progress(state, where)
    return state


def _check_progress(state: dict, where: Path) -> None:
    """The counters and history of a resume state: the types fit_sequences reads."""
    hist = state.get("history")
    ok = (
        isinstance(state.get("epoch"), int)
        and isinstance(state.get("stale"), int)
        and isinstance(state.get("best"), float)
        and isinstance(state.get("seconds", 0.0), (int, float))
        and isinstance(state.get("optimizer"), dict)
        and isinstance(hist, dict)
        and all(isinstance(hist.get(k), list) for k in ("train_loss", "valid_nll", "seconds"))
    )
    if not ok or not 0 <= state["stale"] <= state["epoch"] <= MAX_EPOCHS:
        raise file_error(where, "its training state is damaged (epoch, history or optimizer)")


def _check_optimizer(model, state: dict, where: Path) -> None:
    """resume.pt's Adam state loads into an optimizer over `model` with matching shapes."""
    probe = torch.optim.Adam(model.parameters())
    try:
        probe.load_state_dict(state["optimizer"])
        shapes_ok = all(
            t.shape == p.shape
            for p, s in probe.state.items()
            for k, t in s.items()
            if k in ("exp_avg", "exp_avg_sq")
        )
    except (ValueError, KeyError, TypeError, RuntimeError, IndexError, AttributeError) as e:
        raise file_error(where, f"its optimizer state does not fit the model ({str(e)[:100]})") from None
    if not shapes_ok:
        raise file_error(where, "its optimizer state does not fit the model (moments of another shape)")


def _write_config(run: Path, model_cfg, cfg: KernTrainConfig, chars: str, paths, split: dict) -> None:
    # written on --resume too: the config records the latest budget
    save_run(
        run,
        "kern",
        {
            "model": model_cfg.to_dict(),
            "train": cfg.to_dict(),
            "chars": chars,
            "layout": ["kern", "kern", "dynam"],
            "corpus": [str(p) for p in paths],
        },
    )
    write_json(run / "split.json", split)


def _read_and_split(paths: list[Path], cfg: KernTrainConfig):
    """(texts, skipped, split, chars): the corpus read, split by file, its characters, after
    checking that training on it fits in memory."""
    texts, skipped = read_corpus(paths)
    split = split_by_file(list(texts), cfg.valid_fraction, cfg.seed)
    chars = "".join(sorted(set("".join(texts.values()))))
    total = sum(map(len, texts.values()))
    check_memory(
        training_bytes(len(chars), cfg, total),
        f"training a {cfg.layers} x {cfg.hidden} LSTM on batches of {cfg.batch} x {cfg.seq} characters",
    )
    return texts, skipped, split, chars


def _text_rows(texts: dict, split: dict, chars: str, cfg: KernTrainConfig):
    """(train_rows, valid_rows): the training text as cfg.batch streams, the validation text as
    at most 10."""
    stoi = {c: i for i, c in enumerate(chars)}
    train_rows = text_to_rows(
        "".join(texts[n] for n in split["train"]), stoi, cfg.batch, cfg.seq, "training text"
    )
    valid_rows = text_to_rows(
        "".join(texts[n] for n in split["valid"]), stoi, min(cfg.batch, 10), 1, "validation text"
    )
    return train_rows, valid_rows


def _sequence_config(cfg: KernTrainConfig) -> SequenceTrainConfig:
    """The shared trainer's settings for a kern run."""
    return SequenceTrainConfig(**cfg.core(), batch=cfg.batch, window=cfg.seq, lr_decay=cfg.lr_decay)


def train_kern(
    paths: list[Path], run: Path, cfg: KernTrainConfig, resume: bool = False, progress: bool = False
) -> dict:
    """Train (or resume) a run folder; returns metrics.json's content."""
    cfg.validate()
    run = Path(run)
    torch.set_num_threads(cfg.threads)
    texts, skipped, split, chars = _read_and_split(paths, cfg)
    state = _resume_state(run, cfg, chars) if resume else None
    train_rows, valid_rows = _text_rows(texts, split, chars, cfg)
    model_cfg = CharLSTMConfig(len(chars), cfg.hidden, cfg.layers, cfg.dropout)
    torch.manual_seed(cfg.seed)
    model = CharLSTM(model_cfg)
    if state is not None:
        _check_optimizer(model, state, run / "resume.pt")
    extra = {"chars": chars}
    _write_config(run, model_cfg, cfg, chars, paths, split)
    t0 = time.perf_counter()
    res = fit_sequences(
        model,
        [],
        [],
        _sequence_config(cfg),
        checkpoint=_checkpointer(run, model_cfg.to_dict(), extra),
        resume=state,
        progress=progress,
        batches=stream_batches(train_rows, cfg.seq),
        evaluate=lambda m: stream_nll(m, valid_rows),
    )
    _refuse_divergence(run, res, model)
    metrics = {
        "best_valid_nll": res["best_valid_nll"],
        "epochs_run": res["epochs_run"],
        "seconds": res["seconds"],
        "wall_seconds_this_call": time.perf_counter() - t0,
        "history": res["history"],
        "finished": True,
        "train_chars": int(train_rows.numel()),
        "valid_chars": int(valid_rows.numel()),
        "train_files": len(split["train"]),
        "valid_files": len(split["valid"]),
        "skipped": skipped,
    }
    save_checkpoint(
        run / "model.pt",
        model_cfg.to_dict(),
        model.state_dict(),
        {**extra, "valid": res["best_valid_nll"]},
        kind="kern",
    )
    write_json(run / "metrics.json", metrics)
    return metrics


def _refuse_divergence(run: Path, res: dict, model) -> None:
    """A run whose validation loss was never finite (too high a learning rate) has no model."""
    finite = math.isfinite(res["best_valid_nll"]) and all(
        bool(torch.isfinite(p).all()) for p in model.parameters()
    )
    if not finite:
        raise UserError(
            f"{run}: training diverged (the validation loss was never a finite number): "
            "lower --lr; no model.pt was written for it"
        )
