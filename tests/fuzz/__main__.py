"""python -m tests.fuzz [--sample N] [--only FAMILY] [--docs docs/reliability.md] [--json FILE]

Collects the cases of every tests/fuzz/cases_*.py, runs each in a forked child (harness.py) and
prints the failures; exit 1 if any. --sample N runs a fixed, spread sample of N cases (the same
every run: every k-th case of the sorted list), which is what `make test` does.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # the children are forks: no thread pools before forking
os.environ.setdefault("MKL_NUM_THREADS", "1")

from tests.fuzz.harness import Fixtures, run_case, scratch_root  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data"


def preload() -> None:
    """Import every module of the package (and so torch, music21, matplotlib) once in the parent,
    so that each forked case starts warm; nothing here starts a thread pool."""
    import matplotlib

    matplotlib.use("Agg")
    import improvise

    for info in pkgutil.walk_packages(improvise.__path__, "improvise."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)


def collect(fx: Fixtures, only: str | None = None) -> list:
    cases = []
    for info in sorted(pkgutil.iter_modules([str(HERE)]), key=lambda m: m.name):
        if not info.name.startswith("cases_"):
            continue
        if only and info.name != f"cases_{only}":
            continue
        module = importlib.import_module(f"tests.fuzz.{info.name}")
        cases.extend(module.cases(fx))
    names = Counter(c.name for c in cases)
    dup = [n for n, k in names.items() if k > 1]
    if dup:
        raise SystemExit(f"duplicate case names: {dup[:5]}")
    return sorted(cases, key=lambda c: c.name)


def sample(cases: list, n: int) -> list:
    if n >= len(cases):
        return cases
    step = len(cases) / n
    return [cases[int(k * step)] for k in range(n)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz")
    ap.add_argument("--sample", type=int, default=None, help="run a fixed sample of N cases")
    ap.add_argument("--only", default=None, help="one family file: cases_ONLY.py")
    ap.add_argument("--docs", default=None, help="write the counts to this Markdown file")
    ap.add_argument("--json", default=None, help="write every outcome to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = ap.parse_args(argv)
    root = scratch_root()
    t0 = time.perf_counter()
    try:
        fx = Fixtures(root, SHARED if SHARED.is_dir() else None)
        preload()
        cases = collect(fx, a.only)
        total = len(cases)
        if a.sample:
            cases = sample(cases, a.sample)
        build_s = time.perf_counter() - t0
        outcomes = []
        for k, case in enumerate(cases):
            o = run_case(case, root / "scratch" / str(k))
            outcomes.append(o)
            if o.problem:
                print(f"FAIL {case.name}: {o.problem}\n     improvise {' '.join(case.argv)}", flush=True)
        run_s = time.perf_counter() - t0 - build_s
    finally:
        if not a.keep:
            shutil.rmtree(root, ignore_errors=True)
    failed = [o for o in outcomes if o.problem]
    kinds = Counter(o.problem.split(":")[0] for o in failed)
    fams = Counter(o.case.name.split("/")[0] for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds) if outcomes else None
    print(
        f"{len(outcomes)} of {total} cases in {run_s:.1f} s (+{build_s:.1f} s of fixtures): "
        f"{len(outcomes) - len(failed)} passed, {len(failed)} failed"
        + (f" ({', '.join(f'{v} {k}' for k, v in kinds.items())})" if failed else "")
    )
    if a.json:
        Path(a.json).write_text(
            json.dumps(
                [
                    {
                        "name": o.case.name,
                        "argv": o.case.argv,
                        "rc": o.rc,
                        "seconds": round(o.seconds, 3),
                        "problem": o.problem,
                        "stderr": o.stderr[-500:],
                    }
                    for o in outcomes
                ],
                indent=1,
            )
        )
    if a.docs:
        write_docs(Path(a.docs), outcomes, fams, kinds, run_s, build_s, a, slowest)
    return 1 if failed else 0


def command_of(argv: list[str]) -> str:
    """The subcommand a case calls: 'blues train', 'render', ... ('(none)' for an empty line)."""
    words = [w for w in argv[:2] if not w.startswith("-")]
    if not words:
        return "(no subcommand)"
    groups = {"blues", "kern", "leadsheet", "corpus", "bench"}
    return " ".join(words[:2]) if words[0] in groups and len(words) > 1 else words[0]


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def write_docs(path, outcomes, fams, kinds, run_s, build_s, a, slowest) -> None:
    import platform

    ok = sum(1 for o in outcomes if not o.problem)
    secs = sorted(o.seconds for o in outcomes)
    lines = [
        "# Reliability: the fuzz suite",
        "",
        "Generated by `make fuzz` (`python -m tests.fuzz --docs docs/reliability.md`); "
        "`make test` runs a fixed sample of 150 of these cases (tests/test_fuzz.py).",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "Each case runs `improvise ARGV` in a forked child and passes when the command either succeeds "
        "(cases marked ok) or exits 2 with exactly one stderr line `improvise: error: ...` naming the bad "
        "input, prints no traceback and no internal error, finishes within its time limit, and leaves "
        "nothing behind in --out.",
        "",
        f"**{len(outcomes)} cases: {ok} passed, {len(outcomes) - ok} failed** "
        f"({', '.join(f'{v} {k}' for k, v in kinds.items()) or 'no traceback, no hang, no wrong exit'}); "
        f"{sum(1 for o in outcomes if o.case.ok)} of them are valid inputs that must succeed.",
        "",
        f"Run time: {run_s:.0f} s for the cases, {build_s:.0f} s to build the fixtures they damage "
        f"(median case {secs[len(secs) // 2]:.2f} s, slowest {slowest.seconds:.1f} s: {slowest.case.name}).",
        "",
        "| command | cases | of them valid input | passed |",
        "|---|---:|---:|---:|",
    ]
    by_cmd: dict = {}
    for o in outcomes:
        row = by_cmd.setdefault(command_of(o.case.argv), [0, 0, 0])
        row[0] += 1
        row[1] += o.case.ok
        row[2] += not o.problem
    lines += [f"| `improvise {c}` | {n} | {v} | {k} |" for c, (n, v, k) in sorted(by_cmd.items())]
    lines += [
        "",
        "The cases live in tests/fuzz/cases_*.py (blues, zoo, jam, kern, leadsheet, solo); a case's "
        "name says what it damages: a flag's value, a file's bytes, a run folder's config or checkpoint.",
    ]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
