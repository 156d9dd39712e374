"""`improvise kern prepare`: **kern files to one training text, as seed 004 prepared its
corpus, with every file checked on the way.

Per file: reference records and comments (`!`) go; the header up to the first barline goes;
each barline line becomes the single token `@` (measure numbers gone); spine splits, joins and
terminators stay; the old grace-note token `Q` becomes `q` (verovio crashes on `Q`). A file is
skipped, with a warning naming it and the line, when it is not text, declares an unknown
exclusive interpretation, or has a line whose field count differs from the active spines.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from improvise.core.errors import UserError
from improvise.core.runs import write_bytes

KNOWN_SPINES = ("**kern", "**dynam", "**dyn", "**text", "**silbe", "**harm", "**recip", "**fing")
BARLINE_TOKEN = "@"


class KernError(ValueError):
    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def next_spine_types(fields: list[str], types: list[str], line: int) -> list[str]:
    """The spines' types after an interpretation line: *^ splits, runs of *v join, *- ends,
    *+ adds a spine of the same type."""
    out, i = [], 0
    while i < len(fields):
        f = fields[i]
        if f == "*v":
            j = i
            while j < len(fields) and fields[j] == "*v":
                j += 1
            if j - i < 2:
                raise KernError(line, "a lone *v (a join needs two adjacent spines)")
            out.append(types[i])
            i = j
            continue
        out += [types[i]] * {"*^": 2, "*-": 0, "*+": 2}.get(f, 1)
        i += 1
    return out


def next_spine_count(fields: list[str], line: int) -> int:
    """Active spines after an interpretation line: *^ splits, runs of *v join, *- ends, *+ adds."""
    return len(next_spine_types(fields, ["?"] * len(fields), line))


@dataclass
class Prepared:
    body: list[str]  # the lines kept
    spines: Counter = field(default_factory=Counter)  # data lines by spine count
    grace_fixed: int = 0  # Q -> q replacements
    layout: tuple[str, ...] = ()  # spine types at the first barline, e.g. ("kern", "kern", "dynam")
    origins: tuple[int, ...] = ()  # the header spine each of those came from (split spines share one)


def prepare_text(text: str) -> Prepared:
    """One file's text to corpus lines; raises KernError (with the line number) when invalid."""
    out = Prepared([])
    active, types, origins = None, [], []
    started = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not line or line.startswith("!!"):
            continue
        fields = line.split("\t")
        if line.startswith("**"):
            unknown = [f for f in fields if f not in KNOWN_SPINES]
            if unknown:
                raise KernError(n, f"unknown exclusive interpretation {unknown[0]}")
            active, types = len(fields), [f[2:] for f in fields]
            origins = list(range(active))
            continue
        if active is None:
            raise KernError(n, "data before the exclusive interpretations (**kern ...)")
        if len(fields) != active:
            raise KernError(n, f"{len(fields)} fields where {active} spines are active")
        if line.startswith("!"):
            continue
        if all(f.startswith("*") for f in fields):
            if started:
                out.body.append(line)
            origins = next_spine_types(fields, origins, n)
            types = next_spine_types(fields, types, n)
            active = len(types)
            if active == 0:
                active = None
            continue
        if line.startswith("="):
            if not started:
                out.layout, out.origins = tuple(types), tuple(origins)
            started = True
            out.body.append(BARLINE_TOKEN)
            continue
        if not started:
            continue
        if "Q" in line:
            out.grace_fixed += line.count("Q")
            line = line.replace("Q", "q")
        out.body.append(line)
        out.spines[active] += 1
    if not started:
        raise KernError(n if text else 0, "no barline: nothing after the header")
    if active not in (None, 0):
        raise KernError(n, f"{active} spine(s) never terminated with *-")
    return out


MAX_KERN_BYTES = 16 << 20  # a **kern file larger than this is refused (the largest sonata is ~100 kB)
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # control characters no text file holds


def read_kern_text(path: Path) -> str:
    """A file's text; KernError (line 0) when it cannot be read, is empty, too large or binary
    (a control character other than tab and line ends). Not UTF-8: read as Latin-1, as some
    KernScores files predate UTF-8."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise KernError(0, "a folder, not a **kern file")
        if not path.is_file():
            raise KernError(0, "not a regular file")
        if size > MAX_KERN_BYTES:
            raise KernError(
                0, f"{size / 2**20:.0f} MiB, more than a **kern file may have ({MAX_KERN_BYTES >> 20} MiB)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise KernError(0, "no such file") from None
    except OSError as e:
        raise KernError(0, f"cannot read it ({e.strerror or e})") from None
    if not data.strip():
        raise KernError(0, "empty file")
    bad = CONTROL.search(data)
    if bad is not None:
        raise KernError(0, f"binary data, not text (byte 0x{data[bad.start()]:02x} at offset {bad.start()})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def unusable(skipped: list[dict]) -> str:
    """The first skipped file and why, for an error line: `FILE: line N: reason (and K more)`."""
    first = skipped[0]
    where = f"line {first['line']}: " if first["line"] else ""
    more = f" (and {len(skipped) - 1} more unusable file(s))" if len(skipped) > 1 else ""
    return f"{first['path']}: {where}{first['reason']}{more}"


def kern_files(paths: list[Path]) -> list[Path]:
    """The .krn files under `paths` (files or folders), sorted within each folder."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*.krn") if f.is_file())
        elif p.is_file():
            files.append(p)
        elif p.exists():
            raise UserError(f"{p}: not a regular file or folder")
        else:
            raise UserError(f"{p}: no such file or folder")
    if not files:
        raise UserError("no .krn files found in " + ", ".join(map(str, paths)))
    return files


def prepare_files(files: list[Path]) -> tuple[list, list[dict]]:
    """([(file, prepared)], skipped): each file read and prepared (prepare_text); a file that
    cannot be is skipped, listed with its path, line and reason."""
    done, skipped = [], []
    for f in files:
        try:
            done.append((f, prepare_text(read_kern_text(f))))
        except KernError as e:
            skipped.append({"path": str(f), "line": e.line, "reason": e.reason})
    return done, skipped


def prepare_corpus(paths: list[Path], out: Path) -> dict:
    """Every .krn file under `paths` (files or folders) into `out` and `out`.json (statistics);
    returns the statistics. Unreadable files are skipped and listed with path, line, reason;
    when none is left, a UserError names the first and why."""
    files = kern_files(paths)
    targets = {Path(out).resolve(), Path(str(out) + ".json").resolve()}
    clash = next((f for f in files if f.resolve() in targets), None)
    if clash is not None:
        raise UserError(f"{clash}: --out would overwrite this input file")
    kept, spines, grace = [], Counter(), 0
    done, skipped = prepare_files(files)
    for _, prepared in done:
        kept.append("\n".join(prepared.body))
        spines.update(prepared.spines)
        grace += prepared.grace_fixed
    if not kept:
        raise UserError(f"no usable **kern file: {unusable(skipped)}")
    corpus = "\n".join(kept) + "\n"
    vocab = Counter(corpus)
    stats = {
        "files": len(files),
        "kept": len(kept),
        "skipped": skipped,
        "characters": len(corpus),
        "vocabulary_size": len(vocab),
        "vocabulary": dict(sorted(vocab.items())),
        "data_lines_by_spines": {str(k): v for k, v in sorted(spines.items())},
        "grace_Q_to_q": grace,
    }
    write_bytes(Path(out), corpus.encode())
    write_bytes(Path(str(out) + ".json"), (json.dumps(stats, indent=2) + "\n").encode())
    return stats
