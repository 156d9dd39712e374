"""README.md agrees with the code (issue 14).

Every `improvise ...` line in README's code blocks parses with the real CLI parser (nothing is
run), every `make` target it names exists, the Layout block names only files that exist, and
README states no test count (pytest prints it; a number written down goes stale).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from improvise.cli.main import build_parser
from improvise.core.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"


def _code_blocks(text: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """Fenced code blocks as (info string, [(line number, line), ...])."""
    blocks, current, info = [], None, ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            if current is None:
                current, info = [], line[3:].strip()
            else:
                blocks.append((info, current))
                current = None
        elif current is not None:
            current.append((number, line))
    assert current is None, "README.md has an unclosed code block"
    return blocks


def _words(line: str) -> list[str]:
    """The line's words, shell-style, without a trailing `# comment`."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _command_lines(prefix: str) -> list[tuple[int, list[str]]]:
    lines = []
    for _, block in _code_blocks(README.read_text(encoding="utf-8")):
        for number, line in block:
            if line.lstrip().startswith(prefix + " "):
                lines.append((number, _words(line.strip())))
    return lines


def _parse_error(argv: list[str]) -> str | None:
    """None when the CLI's parser accepts `argv`, else what it said (nothing is run)."""
    try:
        build_parser().parse_args(argv)
    except UserError as e:
        return str(e)
    except SystemExit as e:  # --help or --version would exit; README's lines should not
        return f"exited with {e.code}"
    return None


IMPROVISE_LINES = _command_lines("improvise")
MAKE_LINES = _command_lines("make")


def test_readme_has_command_lines():
    assert len(IMPROVISE_LINES) >= 20 and len(MAKE_LINES) >= 3


@pytest.mark.parametrize("number,words", IMPROVISE_LINES, ids=[f"README.md:{n}" for n, _ in IMPROVISE_LINES])
def test_readme_command_parses(number, words):
    assert words[0] == "improvise"
    error = _parse_error(words[1:])
    assert error is None, f"README.md:{number}: {shlex.join(words)}: {error}"


def test_a_bad_line_fails():
    # The check above is only worth something if the parser refuses what README could get wrong.
    assert _parse_error(["blues", "train", "--out", "x"]) is None
    assert _parse_error(["blues", "train", "--out", "x", "--no-such-flag"]) is not None  # unknown flag
    assert _parse_error(["blues", "train", "--out", "x", "--cell", "transformer"]) is not None  # bad choice
    assert _parse_error(["blues", "train"]) is not None  # missing required
    assert _parse_error(["no-such-command"]) is not None
    assert _words("improvise render runs/b0 --synth numpy   # comment, with --flags") == [
        "improvise",
        "render",
        "runs/b0",
        "--synth",
        "numpy",
    ]


def _make_targets() -> set[str]:
    targets = set()
    for line in MAKEFILE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\- ]+):(?!=)", line)
        if m:
            targets.update(t for t in m.group(1).split() if not t.startswith("."))
        m = re.match(r"^\.PHONY:(.*)", line)
        if m:
            targets.update(m.group(1).split())
    return targets


@pytest.mark.parametrize("number,words", MAKE_LINES, ids=[f"README.md:{n}" for n, _ in MAKE_LINES])
def test_readme_make_targets_exist(number, words):
    targets = _make_targets()
    named = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
    assert named, f"README.md:{number}: make without a target"
    missing = [w for w in named if w not in targets]
    assert not missing, f"README.md:{number}: no Makefile target {missing}"


_NAME_COLUMN = re.compile(r"^(\s*)((?:[\w/.]+,\s*)*[\w/.]+)(.*)$")
_DESCRIBED = re.compile(r"(?<![\w/.])((?:[\w]+/)*\w+\.(?:py|scd|json|md))\b")


def _layout_paths() -> list[str]:
    """Every file or folder the Layout block names, as a path from the repository root.

    An entry is a name column (`music.py`, `nn/`, `zoo.py, compare.py, ...`,
    `data/music21_io.py, midi_io.py, ...`) and a description, continued on deeper-indented
    lines; a bare file name in the description (`melody_eval.py`, `hmm.py`) lies in the
    entry's folder, and a path with a slash in it (`docs/results.md`) is from the root.
    """
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Layout", 1)
    assert len(section) == 2, "README.md has no Layout section"
    layout = _code_blocks(section[1])[0][1]
    paths, top, entry_dir = [], "", ""
    for _, line in layout:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= 2:  # a new entry: 0 for improvise/, extras/, tests/; 2 inside improvise/
            lead, names, desc = _NAME_COLUMN.match(line).groups()
            base = "" if indent == 0 else top
            sub = ""
            for name in re.split(r",\s*", names):
                if "/" in name:
                    sub = name if name.endswith("/") else name.rsplit("/", 1)[0] + "/"
                    paths.append(base + name)
                else:
                    paths.append(base + sub + name)
            if indent == 0:
                top = names if names.endswith("/") else ""
            entry_dir = base + sub
        else:
            desc = line
        for name in _DESCRIBED.findall(desc):
            paths.append(name if "/" in name else entry_dir + name)
    return paths


def test_layout_names_only_files_that_exist():
    paths = _layout_paths()
    assert "improvise/core/music.py" in paths and "improvise/nn/reference.py" in paths, paths
    assert "improvise/live/engine.py" in paths and "improvise/data/midi_io.py" in paths, paths
    missing = []
    for path in paths:
        p = ROOT / path
        if path.endswith(".py") and not p.is_file():
            # a module named as improvise.pkg.mod may be a package
            if not (p.with_suffix("") / "__init__.py").is_file():
                missing.append(path)
        elif path.endswith("/") and not p.is_dir():
            missing.append(path)
    assert not missing, f"README.md's Layout names files that do not exist: {missing}"


def test_every_package_file_is_in_layout():
    # not required by the issue, but a Layout that omits a module is stale in the other direction
    named = set(_layout_paths())
    py = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "improvise").rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )
    absent = [p for p in py if p not in named]
    assert not absent, f"README.md's Layout does not mention {absent}"


_TEST_COUNT = re.compile(r"\b\d[\d,]*\s+(?:tests|test cases|test functions)\b", re.IGNORECASE)


def test_readme_states_no_test_count():
    # The count changes with every commit; `pytest --collect-only -q` prints it.
    found = _TEST_COUNT.findall(README.read_text(encoding="utf-8"))
    assert not found, f"README.md states a test count: {found}"


def test_controls_file_is_the_built_in_mapping():
    # README: without --controls the engine uses a built-in mapping, the same as extras/controls.json.
    from improvise.live.jam import DEFAULT_CONTROLS, load_controls

    assert load_controls(ROOT / "extras" / "controls.json") == DEFAULT_CONTROLS
    readme = README.read_text(encoding="utf-8")
    assert "built-in mapping, the same as `extras/controls.json`" in readme


def test_readme_code_paths_exist():
    # `live/drums.py`, `nn/block_lstm.py`, `improvise/core/checks.py`, tests/ddp_worker.py ...: files
    # README names in its prose, resolved against the repository and the package.
    text = README.read_text(encoding="utf-8")
    missing = []
    for name in sorted(set(re.findall(r"(?<![\w/.])((?:[\w]+/)+[\w]+\.py)\b", text))):
        if not any((base / name).is_file() for base in (ROOT, ROOT / "improvise")):
            missing.append(name)
    assert not missing, f"README.md names files that do not exist: {missing}"


def test_readme_dotted_names_exist():
    # `improvise.core.chords.parse_chord`, `improvise.zoo.model.ZooModel`, ...: each imports and resolves.
    import importlib

    text = README.read_text(encoding="utf-8")
    names = sorted(set(re.findall(r"`(improvise(?:\.\w+)+)", text)))
    assert "improvise.core.chords.parse_chord" in names, names
    missing = []
    for name in names:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                missing.append(name)
            break
        else:
            missing.append(name)
    assert not missing, f"README.md names what the package does not have: {missing}"


def test_readme_prose_make_targets_exist():
    # `make sysdeps`, `make results-zoo` ... in the prose, not only in the code blocks
    named = set(re.findall(r"`make ([\w-]+)", README.read_text(encoding="utf-8")))
    assert {"demo", "test", "fuzz"} <= named, named
    missing = sorted(named - _make_targets())
    assert not missing, f"README.md names Makefile targets that do not exist: {missing}"


_FIGURE = re.compile(r"(?<![\w.])(\d+\.\d{2,})(?![\w.])")
_CITED = re.compile(r"(docs/[\w/.-]+\.md|shared/findings\.md)")


def _prose_paragraphs() -> list[tuple[int, str]]:
    """README's paragraphs outside code blocks, with the line each starts on."""
    paragraphs, current, start, in_code = [], [], 0, False
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not line.strip():
            if current:
                paragraphs.append((start, " ".join(current)))
            current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        paragraphs.append((start, " ".join(current)))
    return paragraphs


def test_readme_figures_come_from_the_docs_they_cite():
    # A measured figure in README (two or more decimals: 0.982, 1.000) is quoted from a file the
    # paragraph names (docs/results.md, shared/findings.md, ...): it must be there, verbatim, so
    # that README cannot drift from the measurements. A paragraph naming none is checked against
    # every docs/*.md file. (Issue 14: figures in README come from docs/ files by reference.)
    docs = {
        p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md")
    }
    findings = ROOT.parent / "shared" / "findings.md"
    if findings.is_file():
        docs["shared/findings.md"] = findings.read_text(encoding="utf-8")
    stale = []
    for line, text in _prose_paragraphs():
        text = re.sub(r"`[^`]*`", "", text)  # settings in inline code (`--swing 0.67`) are not figures
        cited = [c for c in _CITED.findall(text) if c in docs] or [k for k in docs if k.startswith("docs/")]
        for figure in _FIGURE.findall(text):
            if "shared/findings.md" in _CITED.findall(text) and "shared/findings.md" not in docs:
                continue  # the shared folder is not on this machine
            if not any(re.search(rf"(?<![\d.]){re.escape(figure)}(?!\d)", docs[c]) for c in cited):
                stale.append(f"README.md:{line}: {figure} is not in {', '.join(cited[:3])}")
    assert not stale, "\n".join(stale)
