"""Run folders: config.json, model.pt, metrics.json and friends, written atomically.

The run contract: `save_run(out, kind, config, ...)` writes config.json with the kind of run
(`"task"`) and its format version (`"format"`, FORMATS), the checkpoint stamped with the same
format, and metrics.json; `improvise.core.run_kinds.load_run(folder)` opens any kind through its
checked loader. `check_format` refuses a folder or checkpoint of another kind or of a newer
format, in one line.

A checkpoint is a plain dict of tensors and JSON-like values saved with torch.save and read
back with `torch.load(..., weights_only=True)`, so loading a file never runs its code. torch is
imported only when a checkpoint is written or read.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

from improvise.core.errors import UserError

CHECKPOINT = "model.pt"
CONFIG = "config.json"
METRICS = "metrics.json"
# kind -> the format its run folders and checkpoints are written in; the number goes up when a
# kind's layout changes in a way older versions cannot read
FORMATS = {
    "blues": "improvise.blues/2",
    "solo": "improvise.solo/2",
    "kern": "improvise.kern/2",
    "zoo": "improvise.zoo/2",
    "polyphonic": "improvise.polyphonic/2",
}
LEGACY_FORMAT = "improvise.chord_melody/1"  # every kind's checkpoints before formats per kind; read
FORMAT = LEGACY_FORMAT  # (name kept for code that checks for it)
_FORMAT = re.compile(r"^improvise\.([a-z_]+)/(\d+)$")
_UMASK = os.umask(0)
os.umask(_UMASK)


def _atomic(path: Path, write) -> None:
    """Write through `write(file_object)` to a temporary file beside `path`, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # a full disk shows here, not after the rename
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; the file gets the permissions open() would give
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, UserError):
            raise UserError(f"{path}: could not write this file ({e.strerror or e})") from None
        if isinstance(e, RuntimeError) and _WRITER_FAILED.search(str(e)):
            # torch.save's zip writer reports a full disk or a file-size limit only as "unexpected pos"
            raise UserError(
                f"{path}: could not write this file ({str(e).split('. ')[-1][:80]}); is the disk full?"
            ) from None
        raise


_WRITER_FAILED = re.compile(r"unexpected pos|PytorchStreamWriter|inline_container")


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


def read_optional_json(path: Path) -> dict | None:
    """read_json, or None where the file does not exist (a folder in its place is an error)."""
    path = Path(path)
    if not path.exists():
        return None
    if not path.is_file():
        raise UserError(f"{path}: is not a file")
    return read_json(path)


def save_checkpoint(
    path: Path, model_config: dict, state_dict: dict, extra: dict | None = None, kind: str | None = None
) -> None:
    """model.pt: the model's config, its weights (on the CPU) and `extra`, stamped with the
    format of `kind` (FORMATS; the legacy format when no kind is given)."""
    import torch

    blob = {
        "format": FORMATS[kind] if kind else LEGACY_FORMAT,
        "model_config": model_config,
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        "extra": extra or {},
    }
    _atomic(Path(path), lambda f: torch.save(blob, f))


def check_format(found, kind: str | None, where) -> None:
    """A one-line UserError unless `found` (a "format" value) can be read as `kind`: that
    kind's format or an older version of it, or the legacy format. kind None: any kind."""
    if found == LEGACY_FORMAT:
        return
    m = _FORMAT.match(found) if isinstance(found, str) else None
    if m is None:
        raise UserError(f"{where}: not an improvise run (format {str(found)[:40]!r})")
    got, version = m.group(1), int(m.group(2))
    if got not in FORMATS:
        raise UserError(f"{where}: a {got!r} run, a kind this version of improvise does not know")
    if kind is not None and got != kind:
        raise UserError(f"{where}: a {got} run (format {found}); this takes {kind} runs")
    ours = int(FORMATS[got].rsplit("/", 1)[1])
    if version > ours:
        raise UserError(
            f"{where}: written by a newer improvise (format {found}; this version reads up to /{ours})"
        )


def load_checkpoint(path: Path, kind: str | None = None) -> dict:
    """The checkpoint dict; a one-line UserError if the file is missing, unsafe or corrupt, or
    holds another kind's model (`kind`; None takes any)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such checkpoint")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds on a damaged or foreign file
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"{path}: not a readable checkpoint ({reason[:160]})") from None
    if not isinstance(blob, dict) or "state_dict" not in blob or "format" not in blob:
        raise UserError(f"{path}: not an improvise checkpoint")
    check_format(blob["format"], kind, path)
    return blob


def save_run(
    out_dir: Path,
    kind: str,
    config: dict,
    model_config: dict | None = None,
    state_dict: dict | None = None,
    metrics: dict | None = None,
    extra: dict | None = None,
) -> None:
    """The run contract's writer: OUT/config.json ({"task": kind, "format": FORMATS[kind],
    **config}), OUT/model.pt (the weights, with `extra`, stamped alike) when a state dict is
    given, and OUT/metrics.json when metrics are. Each file is written atomically; a kind writes
    its own further files beside them."""
    if kind not in FORMATS:
        raise ValueError(f"unknown run kind {kind!r}")
    out_dir = Path(out_dir)
    write_json(out_dir / CONFIG, {"task": kind, "format": FORMATS[kind], **config})
    if state_dict is not None:
        save_checkpoint(out_dir / CHECKPOINT, model_config or {}, state_dict, extra, kind=kind)
    if metrics is not None:
        write_json(out_dir / METRICS, metrics)


def require_run_dir(run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such run folder")
    return run_dir


# ---- checking what a run folder holds -----------------------------------------------------

_SCALARS = {"int": int, "float": (int, float), "str": str, "bool": bool}


def _type_ok(value, hint) -> bool:
    """Whether a JSON value fits a dataclass field's type hint (scalars, Optional, lists, tuples)."""
    import types
    import typing

    if hint is typing.Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin in (list, tuple):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return (
            isinstance(value, (list, tuple)) and all(_type_ok(v, args[0]) for v in value)
            if args
            else isinstance(value, (list, tuple))
        )
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:  # NaN and infinity are no setting
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if hint is str:
        return isinstance(value, str)
    return True  # a type we do not check here: the config's validate() has the last word


def config_from_json(cls, data, where, complete: bool = False) -> object:
    """Build the config dataclass `cls` (nested dataclasses too) from JSON `data`, checking that
    every key is known and every value has the field's type, then `validate()` it (a key an
    older version wrote is read under its new name: the class's RENAMED). Anything
    wrong is one UserError naming `where` (the file) and the key. A key left out takes its
    default, unless `complete`: then every field must be there."""
    import dataclasses
    import typing

    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object for {cls.__name__}, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for old, (new, factor) in getattr(cls, "RENAMED", {}).items():  # a key of an older version
        if old in data and new not in data and isinstance(data[old], (int, float)):
            data = {**{k: v for k, v in data.items() if k != old}, new: data[old] * factor}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise UserError(
            f"{where}: unknown {cls.__name__} key(s) {', '.join(map(repr, unknown[:5]))}: "
            "written by another version or another kind of run?"
        )
    missing = [
        n
        for n, f in fields.items()
        if n not in data
        and (complete or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING))
    ]
    if missing:
        raise UserError(f"{where}: {cls.__name__} lacks {', '.join(map(repr, missing[:5]))}")
    kwargs = {}
    for name, value in data.items():
        hint = hints.get(name)
        if dataclasses.is_dataclass(hint):
            kwargs[name] = config_from_json(hint, value, where, complete)
        elif not _type_ok(value, hint):
            raise UserError(f"{where}: {cls.__name__}.{name} should be {_hint_name(hint)}, not {value!r:.60}")
        else:
            kwargs[name] = tuple(value) if typing.get_origin(hint) is tuple else value
    try:
        cfg = cls(**kwargs)  # some configs check themselves in __post_init__
        if hasattr(cfg, "validate"):
            cfg.validate()
    except ValueError as e:  # ConfigError and the validators' own ValueErrors
        raise UserError(f"{where}: {e}") from None
    return cfg


def _hint_name(hint) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def load_state_checked(model, state_dict, where) -> None:
    """`model.load_state_dict(state_dict)` after checking names and shapes; a UserError naming
    `where` that says what does not match (a checkpoint of another architecture or size)."""
    if not isinstance(state_dict, dict):
        raise UserError(f"{where}: the checkpoint holds no weights")
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    extra = sorted(set(state_dict) - set(own))
    if missing or extra:
        parts = ([f"missing {', '.join(missing[:3])}"] if missing else []) + (
            [f"unexpected {', '.join(extra[:3])}"] if extra else []
        )
        raise UserError(f"{where}: checkpoint of another architecture ({'; '.join(parts)})")
    for name, tensor in own.items():
        got = state_dict[name]
        if not hasattr(got, "shape") or tuple(got.shape) != tuple(tensor.shape):
            shape = tuple(got.shape) if hasattr(got, "shape") else type(got).__name__
            raise UserError(
                f"{where}: weight {name} has shape {shape}, the config says {tuple(tensor.shape)}"
            )
        if got.dtype != tensor.dtype and not got.is_floating_point():
            raise UserError(f"{where}: weight {name} is {got.dtype}, expected {tensor.dtype}")
        if got.is_floating_point() and not bool(got.isfinite().all()):
            raise UserError(f"{where}: weight {name} holds NaN or infinite values")
    model.load_state_dict(state_dict)


@contextlib.contextmanager
def staged_dir(out_dir):
    """A folder to write a new run into: a hidden temporary folder beside `out_dir`, renamed to
    `out_dir` when the block succeeds and removed when it fails, so a failed command leaves
    nothing behind. An existing `out_dir` is written in place (each file atomically)."""
    out_dir = Path(out_dir)
    if out_dir.is_dir():
        yield out_dir
        return
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp makes 0700; the folder gets what mkdir would give
        os.replace(tmp, out_dir)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, UserError) and str(tmp) in str(e):  # name the folder the user asked for
            raise UserError(str(e).replace(str(tmp), str(out_dir))) from None
        raise
