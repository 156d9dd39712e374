"""Validation at the boundary: the one place that says what a flag, a path or a size may be.

Every numeric flag of the CLI takes its type from `int_flag` / `float_flag`, so a value outside
its documented range is refused by argparse with one line that names the flag. Paths are checked
before any work starts (`check_out_dir`, `check_out_file`, `check_in_file`), and sizes that could
not fit in memory are refused before allocating (`check_memory`). Readers report a malformed file
with `file_error(path, what)`: `improvise: error: FILE: what is wrong`.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from improvise.core.errors import ConfigError, UserError

# Upper bounds on what a user may ask for; each is far above any sensible use and small
# enough that a loop over it ends in seconds, not days.
MAX_CHORUSES = 10_000  # free-run choruses of the blues model (960,000 steps)
MAX_EPOCHS = 1_000_000  # training passes
MAX_SEEDS = 1_000  # networks in one sweep
MAX_HIDDEN = 8_192  # units of one recurrent layer
MAX_BARS = 10_000  # bars of a lead sheet's played form, a loop, a simulated session
MAX_BEATS_PER_BAR = 64  # a time signature's numerator
MAX_STEPS_PER_BEAT = 48  # grid resolution (48: 1/48 of a beat)
MAX_SECONDS = 7 * 24 * 3600.0  # any time budget or session length


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else f"{x:,}".replace(",", "")


def int_flag(lo: int | None = None, hi: int | None = None):
    """An argparse type: an integer in [lo, hi] (either end may be None: unbounded)."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(_range_text(value, lo, hi))
        return value

    parse.__name__ = "int"
    return parse


def float_flag(
    lo: float | None = None, hi: float | None = None, *, lo_open: bool = False, hi_open: bool = False
):
    """An argparse type: a finite number in [lo, hi] (open at an end with lo_open / hi_open)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        bad = not math.isfinite(value)
        bad |= lo is not None and (value < lo or (lo_open and value == lo))
        bad |= hi is not None and (value > hi or (hi_open and value == hi))
        if bad:
            raise argparse.ArgumentTypeError(_range_text(text, lo, hi, lo_open, hi_open))
        return value

    parse.__name__ = "float"
    return parse


def _range_text(value, lo, hi, lo_open=False, hi_open=False) -> str:
    if lo is not None and hi is not None:
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        return f"must be in {left}{_fmt(lo)}, {_fmt(hi)}{right}, not {value}"
    if lo is not None:
        return f"must be {'above' if lo_open else 'at least'} {_fmt(lo)}, not {value}"
    return f"must be {'below' if hi_open else 'at most'} {_fmt(hi)}, not {value}"


def require(ok: bool, message: str) -> None:
    """Raise a ConfigError with `message` unless `ok` (for configs' validate())."""
    if not ok:
        raise ConfigError(message)


def file_error(path, what: str) -> UserError:
    """The error for a file the package cannot use: `FILE: what is wrong`."""
    return UserError(f"{path}: {what}")


def check_in_file(path, what: str = "file") -> Path:
    """An existing, readable regular file."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a {what}")
    if not path.is_file():
        raise UserError(f"{path}: no such {what}")
    if not os.access(path, os.R_OK):
        raise UserError(f"{path}: cannot read this {what} (permission denied)")
    return path


def check_in_dir(path, what: str = "folder") -> Path:
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: is a file, not a {what}")
    if not path.is_dir():
        raise UserError(f"{path}: no such {what}")
    return path


def _check_parent_writable(path: Path, flag: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    probe = parent
    while not probe.exists():  # the nearest folder that exists must be a writable folder
        if probe == probe.parent:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UserError(f"{path}: cannot write here ({probe} is a file, not a folder) ({flag})")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"{path}: cannot write here ({probe} is not writable) ({flag})")


def check_out_dir(path, flag: str = "--out") -> Path:
    """A folder the command may create or write into; checked before any work starts."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: is a file; {flag} needs a folder")
    _check_parent_writable(path / "x", flag)
    return path


def check_out_file(path, flag: str = "--out") -> Path:
    """A file the command may create or replace; checked before any work starts."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder; {flag} needs a file name")
    _check_parent_writable(path, flag)
    return path


def memory_budget() -> int:
    """Bytes a single command may plan to allocate: 3/4 of the machine's memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 16 << 30
    return int(total * 0.75)


def check_memory(n_bytes: float, what: str) -> None:
    """Refuse, before allocating, work whose estimated memory exceeds the budget."""
    budget = memory_budget()
    if n_bytes > budget:
        raise ConfigError(
            f"{what} would need about {_gib(n_bytes)} of memory; this machine allows "
            f"{_gib(budget)}: ask for less"
        )


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n < 2**50 else f"{n / 2**30:.3g} GiB"


MAX_SEED = 2**32 - 1  # numpy's generators take seeds in [0, 2**32)
SEED = int_flag(0, MAX_SEED)  # the type of every --seed flag
TEMPO = float_flag(20, 400)  # quarter notes a minute: the type of every --tempo flag
TEMPERATURE = float_flag(0, 100)  # sampling temperature: 0 is argmax, 1 the model's own distribution
