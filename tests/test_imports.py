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
import time
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


# ---- torch only where networks are built, trained or run (issue 14) ---------------------------

# Modules that may import torch at module level, and why. Everything else imports it inside the
# function that needs it, so that the command line, the readers, the numpy fast paths and the
# configs load without it (torch's import alone costs about a second here).
TORCH_PACKAGES = {
    "improvise.nn": "the models",
    "improvise.train": "the one training loop, its batch sources and optimizer",
}
TORCH_MODULES = {
    "improvise.blues.task": "builds, trains and loads the blues network",
    "improvise.blues.eck2002": "builds and trains Eck & Schmidhuber's network",
    "improvise.kern.train": "trains the **kern character LSTM",
    "improvise.polyphonic.task": "trains the piano-roll LSTM",
    "improvise.solo.model": "the soloist's network",
    "improvise.solo.train": "trains the soloist",
    "improvise.studio.blues": "trains the blues model for the studio's Blues tab",
    "improvise.zoo.compare": "trains the zoo",
    "improvise.zoo.melody_eval": "trains zoo models on the WJD solos",
    "improvise.experiments.bench": "times the networks (make bench)",
}
# Inside those packages, the settings the command line reads must stay torch-free too.
TORCH_FREE = {"improvise.train.config", "improvise.blues.config", "improvise.nn.reference"}


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_level_imports(path: Path) -> set[str]:
    """Top-level names of what `path` imports when it is loaded: its module body, including
    if/try blocks there, not function bodies."""
    names: set[str] = set()
    stack = list(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.If) and _type_checking(node.test):
            stack.extend(node.orelse)  # `if TYPE_CHECKING:` imports are for the type checker only
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            stack.extend(ast.iter_child_nodes(node))
        elif isinstance(node, ast.ExceptHandler):
            stack.extend(node.body)
    return names


def torch_allowed(module: str) -> bool:
    if module in TORCH_FREE:
        return False
    return module in TORCH_MODULES or any(module.startswith(p + ".") for p in TORCH_PACKAGES)


def test_module_level_imports_sees_torch():
    here = module_level_imports(Path(__file__))
    assert {"ast", "pytest", "subprocess"} <= here and "torch" not in here
    assert "torch" in module_level_imports(PACKAGE / "nn" / "chord_melody.py")
    assert "torch" not in module_level_imports(PACKAGE / "core" / "chords.py")
    assert "torch" not in module_level_imports(PACKAGE / "live" / "drums.py")  # under TYPE_CHECKING only


def test_torch_only_where_networks_are_built_trained_or_run():
    modules = _modules()
    for name in [*TORCH_MODULES, *TORCH_FREE]:
        assert name in modules, f"{name} is named here but is not a module of the package"
    wrong = sorted(
        name
        for name, path in modules.items()
        if "torch" in module_level_imports(path) and not torch_allowed(name)
    )
    assert not wrong, (
        f"{wrong} import torch at module level: import it inside the function that trains or runs "
        "the network, or, if the module is one that builds, trains or runs networks, add it to "
        "TORCH_MODULES in tests/test_imports.py with the reason"
    )


def _heavy_modules_after(argv: list[str]) -> list[str]:
    """The heavy libraries loaded by the `improvise` command with `argv` (run as
    `python -m improvise`, in a fresh process)."""
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['improvise', *{argv!r}]\n"
        "try:\n    runpy.run_module('improvise', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'torch', 'scipy', 'mido', 'music21', 'matplotlib', 'tqdm'}))"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    return eval(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["blues", "--help"],
        ["blues", "train", "--help"],
        ["blues", "generate", "--help"],
        ["blues", "sweep", "--help"],
        ["blues", "corpus", "--help"],
        ["render", "--help"],
        ["corpus", "wjd", "--help"],
        ["kern", "train", "--help"],
        ["leadsheet", "show", "--help"],
        ["solo", "--help"],
        ["solo-train", "--help"],
        ["bench", "polyphonic", "--help"],
        ["gradcheck", "--help"],
        ["jam", "--help"],
        ["compare", "--help"],
        ["likelihood", "--help"],
    ],
    ids=" ".join,
)
def test_help_imports_no_torch(argv):
    light = {"mido"} if argv[0] == "jam" else set()  # the live engine's MIDI messages are mido's
    assert set(_heavy_modules_after(argv)) <= light


def test_blues_commands_load_no_unused_library(tmp_path):
    """`improvise blues train` needs torch and nothing else heavy: no TorchDynamo (torch.optim's
    first call imports it, about a second), no scipy, mido, music21 or matplotlib."""
    code = (
        "import sys\n"
        "from improvise.cli.main import dispatch\n"
        f"assert dispatch(['blues', 'train', '--out', {str(tmp_path / 'run')!r}, '--epochs', '12', "
        "'--snapshot-every', '5', '--quiet']) == 0\n"
        "print(sorted(m for m in sys.modules if m in ('torch', 'torch._dynamo', 'scipy', 'mido', "
        "'music21', 'matplotlib')))"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "['torch']"


def test_stub_help_lines_match_each_group():
    """`improvise --help` built from main.HELP (no group module loaded) reads as it does with
    every group built: update HELP in improvise/cli/main.py when a group's help changes."""
    from improvise.cli.main import ALL, build_parser

    assert build_parser("").format_help() == build_parser(ALL).format_help()


def test_only_the_named_group_is_built():
    from improvise.cli.main import build_parser, command_named

    assert command_named(["blues", "train", "--out", "x"]) == "blues"
    assert command_named(["--help"]) == "" and command_named([]) == ""
    args = build_parser(command_named(["blues", "train", "--out", "x"])).parse_args(
        ["blues", "train", "--out", "x"]
    )
    assert args.func.__name__ == "cmd_train" and args.epochs is None and args.chord_hidden == 32


_CHORDS = "import improvise.core.chords"


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_chord_parser_imports_no_torch():
    r = _run(f"{_CHORDS}; import sys; print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", r.stdout


def _process_seconds(command: list[str], runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        times.append(time.perf_counter() - t0)
        assert r.returncode == 0, r.stderr
    return times


def _improvise(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("improvise")  # the console script pip installed
    return [str(script), *args] if script.is_file() else [sys.executable, "-m", "improvise", *args]


# Whole processes, start to exit, the median of five: the limits are issue 14's. On this 2-core
# machine the medians are about 0.05 s and 0.06 s when it is quiet and stay under 0.1 s with the
# other core busy, so the limits leave a loaded machine 3x and 5x headroom.
@pytest.mark.realtime
def test_chord_parser_process_is_fast():
    times = _process_seconds([sys.executable, "-c", _CHORDS])
    assert statistics.median(times) < 0.15, times


@pytest.mark.realtime
def test_cli_help_process_is_fast():
    times = _process_seconds(_improvise("--help")) + _process_seconds(_improvise("blues", "train", "--help"))
    assert statistics.median(times[:5]) < 0.3, times
    assert statistics.median(times[5:]) < 0.3, times


def test_cli_help_exits_0():
    r = subprocess.run(_improvise("--help"), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower()


def test_console_script_exit_keeps_atexit_and_output(tmp_path):
    """main() ends the process itself once the command returned: atexit handlers still run,
    stdout is flushed, the status is the command's."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('atexit ran'))\n"
        "from improvise.cli.main import main\n"
        "sys.argv = ['improvise', *sys.argv[1:]]\n"
        "main()\n"
    )
    ok = subprocess.run(
        [sys.executable, "-c", code, "blues", "corpus", "--choruses", "1"], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("synthesized blues corpus") and ok.stdout.endswith("atexit ran\n")
    bad = subprocess.run(
        [sys.executable, "-c", code, "blues", "train", "--out", str(tmp_path), "--epochs", "0"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--epochs" in bad.stderr
    # a thread that is not a daemon is waited for, as by the interpreter's own exit
    threaded = code.replace(
        "main()\n",
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('joined'))).start()\n"
        "main()\n",
    )
    r = subprocess.run([sys.executable, "-c", threaded, "blues", "corpus"], capture_output=True, text=True)
    assert r.returncode == 0 and "joined" in r.stdout, r.stderr
