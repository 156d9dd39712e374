"""The package has no import cycle, and the light entry points stay light (issue 14).

The graph counts every import of a package module, at module level and inside functions:
`import improvise.x`, `from improvise.x import y` and relative imports are edges to improvise.x,
and to improvise.x.y when that is a module. A cycle through an import inside a function still
means two modules each need the other; the model sits lower than the readers and the trainer
lower than its run folders, so that every module can be read from the bottom up.
"""

from __future__ import annotations

import ast
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "improvise"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules that `name` (at `path`) imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    edges: set[str] = set()

    def add(target: str) -> None:
        # `import improvise.a.b` runs improvise/__init__, improvise.a and improvise.a.b; only the
        # module named is an edge (a package's __init__ that imports its children is not a cycle
        # with each child), unless the name is not a module, then its nearest module ancestor.
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            edges.add(target)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "improvise" or alias.name.startswith("improvise."):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not (source == "improvise" or source.startswith("improvise.")):
                continue
            if source in modules:
                add(source)
            for alias in node.names:
                child = f"{source}.{alias.name}"
                if child in modules:
                    add(child)
                elif source not in modules:
                    add(source)
    return edges


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _shortest_cycle(graph: dict[str, set[str]], members: set[str], start: str) -> list[str]:
    """A shortest path from `start` back to itself within `members` (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while path[0] != start:
                        path.insert(0, previous[path[0]])
                    return path + [start]
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"{start} is on no cycle")


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of `graph`: in each strongly connected component of more than one module
    (Tarjan), the shortest cycle through each of its modules, as paths [a, b, ..., a]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def connect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for v in sorted(graph):
            if v not in index:
                connect(v)
    finally:
        sys.setrecursionlimit(limit)

    cycles = []
    for component in components:
        members = set(component)
        seen: set[frozenset] = set()
        for start in component:  # the shortest cycle through each module of the component
            cycle = _shortest_cycle(graph, members, start)
            key = frozenset(zip(cycle, cycle[1:]))
            if key not in seen:
                seen.add(key)
                cycles.append(cycle)
    return cycles


def test_graph_sees_the_package():
    graph = import_graph()
    assert (
        "improvise.cli.main" in graph and "improvise.live.engine" in graph and "improvise.kern.train" in graph
    )
    assert (
        "improvise.core.chords" in graph["improvise.leadsheet.model"]
        or "improvise.core.music" in graph["improvise.leadsheet.model"]
    )
    # imports inside functions count (solo.py imports the lead-sheet loader where it reads one)
    assert "improvise.leadsheet.load" in graph["improvise.solo.soloist"]
    assert "improvise.kern.train" in graph["improvise.cli.kern"]


def test_find_cycles_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    assert find_cycles({"a": {"b"}, "b": {"a", "c"}, "c": {"b"}}) == [["a", "b", "a"], ["c", "b", "c"]]


def test_no_import_cycle():
    cycles = find_cycles(import_graph())
    for cycle in cycles:
        print("import cycle:", " -> ".join(cycle))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


_CHORDS = "import improvise.core.chords"


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_chord_parser_imports_no_torch():
    r = _run(
        f"{_CHORDS}; import sys; print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", r.stdout


@pytest.mark.realtime
def test_chord_parser_imports_fast():
    times = []
    for _ in range(5):
        r = _run(f"import time; t = time.perf_counter(); {_CHORDS}; print(time.perf_counter() - t)")
        assert r.returncode == 0, r.stderr
        times.append(float(r.stdout.strip()))
    assert statistics.median(times) < 0.15, times


def test_cli_help_exits_0():
    script = Path(sys.executable).with_name("improvise")  # the console script pip installed
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "improvise"]
    r = subprocess.run([*command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower()
