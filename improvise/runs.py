"""Run folders: config.json, model.pt, metrics.json and friends, written atomically.

A checkpoint is a plain dict of tensors and JSON-like values saved with torch.save and read
back with `torch.load(..., weights_only=True)`, so loading a file never runs its code.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch

from improvise.errors import UserError

CHECKPOINT = "model.pt"
CONFIG = "config.json"
METRICS = "metrics.json"
FORMAT = "improvise.chord_melody/1"


def _atomic(path: Path, write) -> None:
    """Write through `write(file_object)` to a temporary file beside `path`, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    _atomic(path, lambda f: f.write(data))


def write_json(path: Path, obj) -> None:
    write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode())


def read_json(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{path}: not valid JSON ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data


def save_checkpoint(path: Path, model_config: dict, state_dict: dict, extra: dict | None = None) -> None:
    blob = {"format": FORMAT, "model_config": model_config,
            "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()}, "extra": extra or {}}
    _atomic(Path(path), lambda f: torch.save(blob, f))


def load_checkpoint(path: Path) -> dict:
    """The checkpoint dict; a one-line UserError if the file is missing, unsafe or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such checkpoint")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds on a damaged or foreign file
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"{path}: not a readable checkpoint ({reason[:160]})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT or "state_dict" not in blob:
        raise UserError(f"{path}: not an improvise checkpoint (expected format {FORMAT})")
    return blob


def require_run_dir(run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such run folder")
    return run_dir
