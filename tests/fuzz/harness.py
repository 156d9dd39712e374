"""Run one CLI case in a forked child of a process that has imported, but not run, the package.

Each case is `improvise ARGV` called in-process (`cli.dispatch`) in a fork, with its stdout and
stderr sent to files and a wall-clock limit enforced by the parent (the child is killed: a hang).
A case passes when:
- `ok=True`: the command exits 0;
- otherwise: it exits 2 with exactly one stderr line, `improvise: error: ...`, that contains
  `expect` (the bad file's name or the flag), and no path listed in `absent` exists afterwards
  (nothing left behind in --out on failure). No case may print a traceback or an internal error.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Case:
    name: str  # family/what, unique; the family is the part before the first '/'
    argv: list[str]  # the command line after `improvise`
    expect: str | None = None  # a substring the error line must contain (None: any one-line error)
    ok: bool = False  # True: the command must succeed
    absent: list[str] = field(default_factory=list)  # paths that must not exist after the case
    timeout: float = 30.0  # seconds before the case counts as a hang
    env: dict = field(default_factory=dict)  # extra environment for the child


@dataclass
class Outcome:
    case: Case
    rc: int | None  # None: killed after its time limit
    stdout: str
    stderr: str
    seconds: float
    problem: str | None  # None: the case passed


class Fixtures:
    """Valid inputs that cases corrupt: built once per run, lazily, by the CLI in a subprocess."""

    def __init__(self, root: Path, shared: Path | None):
        self.root = Path(root)
        self.shared = shared  # ../shared/data, or None where it is missing
        self._cache: dict[str, Path] = {}

    def path(self, name: str) -> Path:
        """A fresh, unique path under the fixture root (not created)."""
        p = self.root / "cases" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def write(self, name: str, data: bytes | str) -> Path:
        p = self.path(name)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    def built(self, key: str, build: Callable[[Path], None]) -> Path:
        """`build(folder)` once; the same folder for every later call with `key`."""
        if key not in self._cache:
            folder = self.root / "fixtures" / key
            if not folder.exists():
                build(folder)
            self._cache[key] = folder
        return self._cache[key]

    def copy(self, key: str, name: str) -> Path:
        """A private copy of a built fixture folder, for a case that damages it."""
        dst = self.path(name)
        shutil.copytree(self._cache[key], dst)
        return dst


def cli(*argv: str, timeout: float = 600) -> None:
    """Run `improvise ARGV` in a subprocess (for building fixtures); raise if it fails."""
    cmd = [sys.executable, "-m", "improvise", *argv]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"fixture command failed: {' '.join(argv)}\n{r.stderr[-2000:]}")


def run_case(case: Case, scratch: Path) -> Outcome:
    """Fork, run the case in the child, judge it in the parent."""
    from improvise.cli.main import dispatch

    scratch.mkdir(parents=True, exist_ok=True)
    out_f, err_f = scratch / "stdout", scratch / "stderr"
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        rc = 99
        try:
            os.setsid()
            fd_out = os.open(out_f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            fd_err = os.open(err_f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd_out, 1)
            os.dup2(fd_err, 2)
            sys.stdin = open(os.devnull)
            os.environ.update(case.env)
            rc = dispatch(list(case.argv))
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 1
        except BaseException:  # noqa: BLE001 - a traceback: record it
            import traceback

            traceback.print_exc()
            rc = 98
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(rc if isinstance(rc, int) else 1)
    deadline = t0 + case.timeout
    rc = None
    while time.perf_counter() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            rc = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.005)
    if rc is None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    seconds = time.perf_counter() - t0
    stdout = out_f.read_text(errors="replace") if out_f.exists() else ""
    stderr = err_f.read_text(errors="replace") if err_f.exists() else ""
    return Outcome(case, rc, stdout, stderr, seconds, judge(case, rc, stderr))


def judge(case: Case, rc: int | None, stderr: str) -> str | None:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if rc is None:
        return f"hang: no exit within {case.timeout:g} s"
    if "Traceback (most recent call last)" in stderr:
        return "traceback: " + (lines[-1] if lines else "")
    if any("internal error" in ln for ln in lines):
        return "internal error: " + next(ln for ln in lines if "internal error" in ln)
    if case.ok:
        return None if rc == 0 else f"expected success, got exit {rc}: {lines[-1] if lines else ''}"
    if rc != 2:
        return f"expected exit 2, got {rc}: {lines[-1] if lines else ''}"
    if len(lines) != 1:
        return f"expected one stderr line, got {len(lines)}: {' | '.join(lines[:4])[:300]}"
    if not lines[0].startswith("improvise: error: "):
        return f"not an improvise error line: {lines[0][:200]}"
    if case.expect is not None and case.expect not in lines[0]:
        return f"the error does not name {case.expect!r}: {lines[0][:200]}"
    left = [p for p in case.absent if Path(p).exists()]
    if left:
        return f"left behind after failure: {', '.join(left)}"
    return None


def scratch_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="improvise-fuzz-"))
