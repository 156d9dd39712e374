"""Lead sheets shipped with the package (improvise/solo/leadsheets/, the text format of
`improvise.leadsheet.model`), so a title such as "Blues For Alice" resolves with no data folder
and no standards file. The changes are written out by the project; `builtin_titles()` lists them.
"""

from __future__ import annotations

import re
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "leadsheets"


def _key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", title.lower())


def _titles() -> dict[str, Path]:
    out = {}
    for path in sorted(FOLDER.glob("*.txt")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("title:"):
                    out[line.split(":", 1)[1].strip()] = path
                    break
    return out


def builtin_titles() -> list[str]:
    """The titles of the shipped lead sheets."""
    return sorted(_titles())


def find_builtin(title: str) -> Path | None:
    """The shipped lead sheet called `title` (case, spaces and punctuation ignored), or None."""
    want = _key(title)
    return next((p for t, p in _titles().items() if _key(t) == want), None) if want else None
