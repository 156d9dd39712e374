"""`improvise kern validate`: a **kern file checked three ways, because neither parser can be
trusted alone (shared/findings.md): verovio's loadData returns True for garbage, reports
problems only on stderr and aborts the process on a wrong field count; music21 drops unknown
tokens with a warning and can silently lose notes where spines split and join.

1. The grammar (improvise.kern.grammar) over the whole file, with its own note count.
2. verovio in a subprocess with a timeout: its exit status and every stderr line (an `Error`
   line fails, a line verovio marks `[Warning]` does not); it also counts the notes of its
   MEI and can write the engraved SVG.
3. music21 with warnings captured: a parse error or a note count other than the grammar's
   (dropped notes, or notes the grammar did not accept) fails.
A file passes when the grammar finds no error, verovio exits cleanly with no error line, and
music21 reads exactly the grammar's notes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

from improvise.kern.grammar import check_body

VEROVIO_TIMEOUT = 60.0  # seconds before the verovio subprocess is killed
VEROVIO_SCRIPT = r"""
import json, sys
import verovio
verovio.enableLog(verovio.LOG_WARNING)
tk = verovio.toolkit()
tk.setOptions({"inputFrom": "humdrum", "pageWidth": 2100, "pageHeight": 60000, "adjustPageHeight": True,
               "scale": 45, "footer": "none", "breaks": "auto", "xmlIdSeed": 1})
text = open(sys.argv[1], encoding="utf-8").read()
loaded = tk.loadData(text)
notes = tk.getMEI().count("<note ") if loaded else 0
svg = tk.renderToSVG(1) if loaded and tk.getPageCount() >= 1 else ""
if len(sys.argv) > 2 and svg:
    open(sys.argv[2], "w", encoding="utf-8").write(svg)
sys.stdout.write(json.dumps({"loaded": bool(loaded), "pages": tk.getPageCount(), "notes": notes}))
"""


def kern_to_body(text: str) -> tuple[tuple, list[str], list[int], list[dict]]:
    """A whole **kern file as the grammar reads it: the layout from its `**` line, body lines
    (comments dropped, barlines as `@`, the terminator line removed) with their line numbers
    in the file, and the structural errors found on the way."""
    layout, body, numbers, errors = None, [], [], []
    lines = text.splitlines()
    ended = False
    for n, line in enumerate(lines, 1):
        if line.startswith("!"):
            continue
        if ended:
            errors.append({"line": n, "text": line[:120], "reason": "text after the terminator line *-"})
            break
        if layout is None:
            if not line.startswith("**"):
                errors.append(
                    {"line": n, "text": line[:120], "reason": "data before the exclusive interpretations"}
                )
                break
            layout = tuple(f[2:] for f in line.split("\t"))
            bad = [t for t in layout if t not in ("kern", "dynam")]
            if bad:
                errors.append(
                    {"line": n, "text": line[:120], "reason": f"unknown exclusive interpretation **{bad[0]}"}
                )
                layout = None
                break
            continue
        fields = line.split("\t")
        if all(f == "*-" for f in fields):
            ended = True
            numbers.append(n)
            body.append("\t".join(fields))  # checked for its field count below, then removed
            continue
        if line.startswith("="):
            if not all(f.startswith("=") for f in fields):
                errors.append(
                    {"line": n, "text": line[:120], "reason": "a barline line with a field that is not one"}
                )
            body.append("@" + "\t" * (len(fields) - 1))
        else:
            body.append(line)
        numbers.append(n)
    if layout is None and not errors:
        errors.append(
            {"line": len(lines), "text": "", "reason": "no exclusive interpretation line (**kern ...)"}
        )
    if layout is not None and not ended and not errors:
        errors.append(
            {
                "line": len(lines),
                "text": lines[-1][:120] if lines else "",
                "reason": "spines never terminated with *-",
            }
        )
    return layout or (), body, numbers, errors


def grammar_check(text: str) -> dict:
    """Grammar errors (with the file's line numbers) and the grammar's note count."""
    layout, body, numbers, errors = kern_to_body(text)
    if not layout:
        return {"errors": errors, "notes": 0, "layout": []}
    terminator = None
    if body and body[-1].startswith("*-"):
        terminator = (body.pop(), numbers.pop())
    found, state = check_body(body, layout)
    for e in found:
        e["line"] = numbers[e["line"] - 1]
    errors += found
    active = len(state.spines)
    if terminator and terminator[0].count("\t") + 1 != active:
        errors.append(
            {
                "line": terminator[1],
                "text": terminator[0][:120],
                "reason": f"{terminator[0].count(chr(9)) + 1} terminators where {active} spines are active",
            }
        )
    errors.sort(key=lambda e: e["line"])
    return {"errors": errors, "notes": state.notes, "layout": list(layout)}


def verovio_check(path: Path, svg_path: Path | None = None, timeout: float = VEROVIO_TIMEOUT) -> dict:
    """verovio on the file in a subprocess: exit status, stderr lines, error lines, MEI notes."""
    cmd = [sys.executable, "-c", VEROVIO_SCRIPT, str(path)] + ([str(svg_path)] if svg_path else [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, errors="replace")
    except subprocess.TimeoutExpired:
        return {
            "ok": False,
            "returncode": None,
            "messages": [f"timed out after {timeout:.0f} s"],
            "errors": [f"timed out after {timeout:.0f} s"],
            "notes": None,
        }
    messages = [m for m in p.stderr.splitlines() if m.strip()]
    errors = [
        m
        for m in messages
        if not m.startswith("[Warning]")
        and ("Error" in m or "error" in m.split(":")[0] or "terminate called" in m)
    ]
    try:
        out = json.loads(p.stdout) if p.returncode == 0 else {}
    except json.JSONDecodeError:
        out = {}
    if p.returncode != 0:
        errors.append(f"verovio exited with status {p.returncode}")
    return {
        "ok": p.returncode == 0 and not errors,
        "returncode": p.returncode,
        "messages": messages[:50],
        "errors": errors[:50],
        "notes": out.get("notes"),
        "pages": out.get("pages"),
    }


def music21_parse(text: str):
    """(score or None, warnings, error): music21's humdrum reader with its warnings recorded,
    both those of the warnings module and those it writes to sys.stderr (kept off the CLI's)."""
    import contextlib
    import io

    from music21 import converter

    printed = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(printed):
        warnings.simplefilter("always")
        try:
            score = converter.parseData(text, format="humdrum")  # text, never a path: no cache
            error = None
        except Exception as e:  # music21 raises many kinds on bad input
            score, error = None, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
    lines = [str(w.message)[:200] for w in caught] + [
        line[:200] for line in printed.getvalue().splitlines() if line.strip()
    ]
    return score, lines, error


def music21_notes(score) -> int:
    """Pitched notes in a music21 score, each note of a chord counted."""
    return sum(len(n.pitches) for n in score.recurse().notes)


def validate_kern(text: str, path: Path | None = None, svg_path: Path | None = None) -> dict:
    """Grammar, verovio (on `path`, or a temporary copy) and music21 on one file's text."""
    import tempfile

    g = grammar_check(text)
    if path is None:
        with tempfile.NamedTemporaryFile("w", suffix=".krn", delete=False, encoding="utf-8") as f:
            f.write(text)
        tmp = Path(f.name)
        try:
            v = verovio_check(tmp, svg_path)
        finally:
            tmp.unlink()
    else:
        v = verovio_check(path, svg_path)
    score, m21_warnings, m21_error = music21_parse(text)
    m21 = {
        "error": m21_error,
        "warnings": m21_warnings[:50],
        "notes": music21_notes(score) if score is not None else None,
    }
    dropped = g["notes"] - m21["notes"] if m21["notes"] is not None else None
    m21["ok"] = m21_error is None and dropped == 0
    result = {
        "grammar": g,
        "verovio": v,
        "music21": m21,
        "grammar_notes": g["notes"],
        "music21_dropped_notes": dropped,
        "ok": not g["errors"] and v["ok"] and m21["ok"],
    }
    result["_score"] = score
    return result


def read_checked(paths: list[Path]) -> list[tuple[Path, str]]:
    """Each file's text, every file read before any is validated: a file that is missing, a
    folder, empty, binary or too large is a UserError `FILE: what is wrong`."""
    from improvise.core.checks import file_error
    from improvise.kern.prepare import KernError, read_kern_text

    texts = []
    for p in map(Path, paths):
        try:
            texts.append((p, read_kern_text(p)))
        except KernError as e:
            raise file_error(p, e.reason) from None
    return texts


def validate_files(paths: list[Path]) -> list[dict]:
    """validate_kern on each file (verovio reads a UTF-8 copy of its text, which is Latin-1
    where the file is not UTF-8); files that cannot be read as text are refused first."""
    out = []
    for p, text in read_checked(paths):
        r = validate_kern(text)
        r.pop("_score")
        out.append({"path": str(p), **r})
    return out
