"""The same command with the same seed writes the same bytes, wall-clock fields aside.

Blues here (train, generate, render); kern sample and solo have theirs in test_kern_cli.py and
test_solo.py. JSON files are compared with every key that holds a duration removed.
"""

import json
from pathlib import Path

from improvise.cli.main import dispatch

TIMING = ("seconds", "train_seconds", "compute_seconds")


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if not any(t in k for t in TIMING)}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def same_files(a: Path, b: Path) -> list[str]:
    """Names of the files that differ between two run folders (JSON compared without timings)."""
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    differ = []
    for name in names:
        fa, fb = a / name, b / name
        if not (fa.is_file() and fb.is_file()):
            differ.append(name)
        elif name.endswith(".json"):
            if _strip(json.loads(fa.read_text())) != _strip(json.loads(fb.read_text())):
                differ.append(name)
        elif fa.read_bytes() != fb.read_bytes():
            differ.append(name)
    return differ


def test_blues_train_generate_render_write_the_same_bytes(tmp_path):
    runs = []
    for k in (1, 2):
        run = tmp_path / str(k) / "run"  # the same folder name: it is the report's title
        assert (
            dispatch(
                ["blues", "train", "--out", str(run), "--epochs", "12", "--snapshot-every", "6", "--quiet"]
            )
            == 0
        )
        assert dispatch(["blues", "generate", str(run), "--choruses", "2", "--seed", "3"]) == 0
        assert dispatch(["render", str(run), "--synth", "numpy", "--max-choruses", "1"]) == 0
        runs.append(run)
    assert len(list(runs[0].iterdir())) >= 15
    assert same_files(*runs) == []


def test_ctrl_c_stops_with_one_line_and_leaves_no_run_folder(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "improvise",
            "blues",
            "train",
            "--out",
            str(out),
            "--epochs",
            "1000000",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4.0)  # imports done, training under way
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["improvise: interrupted"]
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    """A 200 KiB tmpfs (root only; skipped where mounting is not allowed): training writes a
    checkpoint that cannot fit, and the command says so in one line naming the file."""
    import subprocess
    import sys

    import pytest

    disk = tmp_path / "disk"
    disk.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "improvise",
                "blues",
                "train",
                "--out",
                str(disk / "run"),
                "--epochs",
                "2",
                "--quiet",
                "--chord-hidden",
                "200",
                "--melody-hidden",
                "200",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and f"{disk / 'run'}/model.pt: could not write" in lines[0], proc.stderr
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_sigterm_stops_with_one_line_and_leaves_no_run_folder(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "improvise",
            "blues",
            "train",
            "--out",
            str(out),
            "--epochs",
            "1000000",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert err.strip().splitlines() == ["improvise: terminated"]
    assert list(tmp_path.iterdir()) == []
