"""Writing the kern commands' files: atomically (runs.py), and a failure named by the file.

A full disk or a folder that is not writable shows up deep inside json, torch.save or a
temporary file beside the target. runs._atomic names an OSError's file itself and removes its
temporary file; torch.save's zip writer fails with a RuntimeError ("unexpected pos") that runs
turns into a UserError only where statvfs shows a full disk (not for a quota or a file-size
limit). Here every such failure is one `UserError`: `FILE: could not write this file (reason)`,
naming the file the user asked for, with no half-written file left behind.
"""
from __future__ import annotations

from pathlib import Path

from improvise import runs
from improvise.checks import file_error


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    text = str(e).strip().splitlines()
    return (text[-1] if text else type(e).__name__)[:160]


def _failed(path, e: BaseException):
    hint = "" if isinstance(e, OSError) else "; is the disk full?"  # torch.save says only "unexpected pos"
    return file_error(path, f"could not write this file ({_reason(e)}){hint}")


def write_bytes(path: Path, data: bytes) -> None:
    """runs.write_bytes, with a failure to write named by `path`."""
    try:
        runs.write_bytes(Path(path), data)
    except OSError as e:
        raise _failed(path, e) from None


def write_json(path: Path, obj) -> None:
    """runs.write_json, with a failure to write named by `path`."""
    try:
        runs.write_json(Path(path), obj)
    except OSError as e:
        raise _failed(path, e) from None


def save_checkpoint(path: Path, model_config: dict, state_dict: dict, extra: dict | None = None) -> None:
    """runs.save_checkpoint; torch.save reports a full disk as a RuntimeError ("unexpected pos"),
    which becomes the same one-line error naming `path`."""
    try:
        runs.save_checkpoint(Path(path), model_config, state_dict, extra)
    except (OSError, RuntimeError) as e:
        raise _failed(path, e) from None
