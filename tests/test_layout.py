"""The package's shape (issue 14): improvise/ holds only packages (plus __init__.py and
__main__.py), no module is over MAX_MODULE_LINES lines, and no function outside tests is over
MAX_FUNCTION_LINES lines (from its `def` line to its last line, decorators excluded)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "improvise"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60
TOP_LEVEL_FILES = {"__init__.py", "__main__.py"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def long_functions(path: Path, limit: int = MAX_FUNCTION_LINES) -> list[tuple[int, str, int]]:
    """(line, name, lines) of every function or method in `path` longer than `limit` lines,
    nested ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            if n > limit:
                found.append((node.lineno, node.name, n))
    return sorted(found)


def test_the_package_top_level_holds_only_packages():
    strays = []
    for entry in sorted(PACKAGE.iterdir()):
        if entry.name == "__pycache__" or entry.name.startswith("."):
            continue
        if entry.is_dir():
            if not (entry / "__init__.py").is_file():
                strays.append(f"{entry.name}/ (a folder without __init__.py)")
        elif entry.name not in TOP_LEVEL_FILES:
            strays.append(entry.name)
    assert not strays, f"improvise/ should hold only packages, __init__.py and __main__.py: {strays}"


def test_no_module_is_over_the_line_limit():
    offenders = []
    for path in _modules():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_MODULE_LINES:
            offenders.append(f"{_relative(path)} ({n} lines)")
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines: {offenders}"


def test_no_function_is_over_the_line_limit():
    offenders = []
    for path in _modules():
        for line, name, n in long_functions(path):
            offenders.append(f"{_relative(path)}:{line} {name} ({n} lines)")
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines: " + "; ".join(offenders)


def test_the_function_count_starts_at_def_and_leaves_out_decorators(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1))
    src = tmp_path / "m.py"
    src.write_text(f"@staticmethod\n@property\ndef fits():\n{body}\n\n\ndef over():\n{body}\n    y = 0\n")
    assert long_functions(src) == [(MAX_FUNCTION_LINES + 5, "over", MAX_FUNCTION_LINES + 1)]
