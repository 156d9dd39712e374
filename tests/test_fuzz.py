"""A fixed sample of the fuzz suite (tests/fuzz): every family, in a subprocess of its own.

The runner forks one child per case from a process that has imported but not run the package,
so it must not be this pytest process (earlier tests started torch's thread pools here).
`make fuzz` runs every case and writes docs/reliability.md.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_sample_of_the_fuzz_suite_ends_in_one_line_errors():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.fuzz", "--sample", "150"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    assert "150 of " in proc.stdout and " 0 failed" in proc.stdout, tail
