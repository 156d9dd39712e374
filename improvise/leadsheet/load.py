"""Loading a lead sheet: `load_leadsheet(source)` picks the reader for a file, an iReal Pro link,
`wjd:MELID` or a title in the standards file (the formats are described in `improvise.leadsheet.model`).

This module sits above the readers (`leadsheet_text`, `leadsheet_impro`, `leadsheet_ireal`,
`leadsheet_sources`), which sit above the model in `improvise.leadsheet.model`: no module below imports
one above it.
"""

from __future__ import annotations

import re
from pathlib import Path

from improvise.core.checks import check_in_file
from improvise.core.errors import UserError
from improvise.leadsheet.model import LeadSheet, read_text


def sniff_format(path: Path) -> str:
    """'musicxml', 'mxl', 'impro', 'ireal', 'standards' or 'text', from the extension and the
    first bytes of the file."""
    ext = path.suffix.lower()
    if ext in (".musicxml", ".xml"):
        return "musicxml"
    if ext == ".mxl":
        return "mxl"
    if ext == ".ls":
        return "impro"
    with open(path, "rb") as f:
        head = f.read(4096)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"PK\x03\x04"):
        return "mxl"
    if text.startswith(b"<?xml") or text.startswith(b"<score-partwise") or b"<score-partwise" in text:
        return "musicxml"
    if b"irealb://" in text or b"irealbook://" in text or ext in (".html", ".htm"):
        return "ireal"
    if ext == ".json" or text.startswith(b"["):
        return "standards"
    if text.startswith(b"(title") or re.match(rb"^\((title|composer|meter|key|part|section)\b", text):
        return "impro"
    return "text"


def _read_file(path: Path, kind: str, pick: str | None = None) -> LeadSheet:
    if kind in ("musicxml", "mxl"):
        from improvise.leadsheet.sources import read_musicxml_leadsheet

        return read_musicxml_leadsheet(path)
    if kind == "impro":
        from improvise.leadsheet.impro import parse_impro

        return parse_impro(read_text(path, "Impro-Visor lead sheet"), str(path))
    if kind == "ireal":
        from improvise.leadsheet.ireal import read_ireal

        return read_ireal(read_text(path, "iReal Pro playlist"), str(path), pick)
    if kind == "standards":
        from improvise.leadsheet.sources import expand_standard, load_standards

        tunes = load_standards(path)
        if len(tunes) != 1:
            raise UserError(
                f"{path}: a standards file of {len(tunes)} tunes; pass it as --standards "
                "and a title as the lead sheet"
            )
        return expand_standard(tunes[0])
    from improvise.leadsheet.text import parse_text

    return parse_text(read_text(path), str(path))


def load_leadsheet(source: str, standards: Path | None = None, wjd: Path | None = None) -> LeadSheet:
    """A lead sheet file of any format above, an iReal Pro link, `wjd:MELID` (the changes under
    a WJD solo, with `wjd` the database folder), or a title looked up (case-insensitively) in
    `standards`."""
    source = str(source)
    if source.lower().startswith("wjd:"):
        from improvise.leadsheet.sources import wjd_leadsheet

        if wjd is None:
            raise UserError(f"{source}: pass --wjd FOLDER to read a WJD solo's changes")
        if not source[4:].strip().isdigit() or len(source) > 14:
            raise UserError(f"{source}: expected wjd:MELID, a number")
        return wjd_leadsheet(wjd, int(source[4:]))
    if source.lower().startswith(("irealb://", "irealbook://")):
        from improvise.leadsheet.ireal import read_ireal

        return read_ireal(source, "iReal Pro link")
    path = Path(source)
    if path.exists() and not path.is_dir():
        check_in_file(path, "lead sheet")
        return _read_file(path, sniff_format(path))
    head, _, pick = source.rpartition("#")
    if head and Path(head).is_file() and sniff_format(Path(head)) == "ireal":
        return _read_file(check_in_file(Path(head), "lead sheet"), "ireal", pick)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a lead sheet")
    if standards is None:
        raise UserError(f"{source}: no such file (to look up a title, pass --standards JazzStandards.json)")
    from improvise.leadsheet.sources import find_standard

    return find_standard(Path(standards), source)
