"""Data-parallel training: 2 processes under torchrun follow the single process's path."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_two_processes_match_one_for_the_same_global_batch():
    sys.path.insert(0, str(HERE))
    import ddp_worker

    single = ddp_worker.run()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent)}
    if Path("/sys/class/net/lo").exists():
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # one machine: keep gloo on the loopback interface
    # --standalone: a rendezvous on a free local port (a fixed port can still be held by an earlier run)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(HERE / "ddp_worker.py"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    if proc.returncode != 0 and "gloo" in proc.stderr.lower() and "not available" in proc.stderr.lower():
        pytest.skip("this torch build has no gloo backend")
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
    assert got["world"] == 2
    assert len(got["valid"]) == len(single) == 4
    assert max(abs(a - b) for a, b in zip(got["valid"], single)) < 1e-4
    assert single[-1] < single[0]  # it trained
