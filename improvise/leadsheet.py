"""Lead sheets: chord changes bar by bar, read from a plain text format or from the
jazz-standards JSON (iReal Pro playlists), expanded into the form as it is played.

Text format (one tune a file; `#` starts a comment):

    title: Blues in F
    time: 4/4
    key: F
    |: F7 | Bb7 | F7 | F7 :| Bb7 | Bb7 | F7 | D7 | G-7 | C7 | F7 D7 | G-7 C7 |

Bars are separated by `|`; chords inside a bar share it evenly (`F7 D7` = two beats each in
4/4); `%` or an empty slot repeats the previous chord; `|: ... :|` is played twice.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from improvise.chords import ChordParseError, ChordSymbol, parse_chord
from improvise.errors import UserError
from improvise.music import PITCH_CLASS_NAMES, parse_pitch_class


@dataclass
class LeadSheet:
    """A tune's played form: a list of bars, each a list of equal chord slots."""

    title: str
    bars: list[list[ChordSymbol]]
    beats_per_bar: int = 4
    key: str | None = None  # as written, e.g. 'F', 'Dmin'
    unparsed: list[str] = field(default_factory=list)  # chord tokens that could not be read

    def chord_per_step(self, steps_per_beat: int = 2) -> list[ChordSymbol]:
        """The chord at every grid step; a bar's slots share its steps evenly, the first
        slots taking any remainder."""
        out: list[ChordSymbol] = []
        steps = self.beats_per_bar * steps_per_beat
        for bar in self.bars:
            n = len(bar)
            base, extra = divmod(steps, n)
            for k, chord in enumerate(bar):
                out += [chord] * (base + (1 if k < extra else 0))
        return out

    def key_root(self) -> int | None:
        if not self.key:
            return None
        m = re.match(r"^([A-G][b#]?)", self.key)
        return parse_pitch_class(m.group(1)) if m else None

    def transpose(self, semitones: int) -> "LeadSheet":
        key = self.key
        root = self.key_root()
        if root is not None:
            key = PITCH_CLASS_NAMES[(root + semitones) % 12] + re.sub(r"^[A-G][b#]?", "", self.key)
        return LeadSheet(self.title, [[c.transpose(semitones) for c in bar] for bar in self.bars],
                         self.beats_per_bar, key, list(self.unparsed))

    def to_key(self, key: str) -> "LeadSheet":
        """Transposed so that its key's root is `key`'s (shortest way, up to a tritone)."""
        here = self.key_root()
        if here is None:
            raise UserError(f"{self.title}: the lead sheet has no key to transpose from")
        try:
            target = parse_pitch_class(key)
        except ValueError:
            raise UserError(f"not a key: {key!r}") from None
        shift = (target - here) % 12
        return self.transpose(shift - 12 if shift > 6 else shift)


def _slots(tokens: list[str], previous: ChordSymbol | None, unparsed: list[str]) -> list[ChordSymbol]:
    out = []
    for tok in tokens:
        tok = tok.strip()
        if tok in ("", "%"):
            if previous is None:
                continue
            out.append(previous)
            continue
        try:
            chord = parse_chord(tok)
        except ChordParseError:
            unparsed.append(tok)
            continue
        out.append(chord)
        previous = chord
    return out


def parse_text(text: str, name: str = "lead sheet") -> LeadSheet:
    """Read the plain text format; a bad chord or repeat raises UserError naming it."""
    meta, body = {}, []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^(title|time|key)\s*:\s*(.*)$", line, re.I)
        if m:
            meta[m.group(1).lower()] = m.group(2).strip()
        elif line:
            body.append(line)
    beats = 4
    if "time" in meta:
        m = re.match(r"^(\d+)\s*/\s*(\d+)$", meta["time"])
        if not m or int(m.group(1)) < 1:
            raise UserError(f"{name}: bad time signature {meta['time']!r}")
        beats = int(m.group(1))
    flat = " ".join(body).replace("|:", " |: ").replace(":|", " :| ")
    bars, repeat_start, unparsed, previous = [], None, [], None
    for part in re.split(r"(\|:|:\||\|)", flat):
        part = part.strip()
        if part == "|:":
            repeat_start = len(bars)
        elif part == ":|":
            if repeat_start is None:
                repeat_start = 0
            bars += bars[repeat_start:]
            repeat_start = None
        elif part and part != "|":
            slots = _slots(part.split(), previous, unparsed)
            if slots:
                bars.append(slots)
                previous = slots[-1]
    if unparsed:
        raise UserError(f"{name}: cannot read chord(s) {', '.join(repr(u) for u in unparsed[:5])}")
    if not bars:
        raise UserError(f"{name}: no bars found")
    return LeadSheet(meta.get("title", name), bars, beats, meta.get("key"))


def _segment_bars(chords: str, previous: ChordSymbol | None, unparsed: list[str]) -> list[list[ChordSymbol]]:
    chords = re.sub(r"\([^)]*\)", "", chords)  # alternates: keep the main chord
    bars = []
    for bar in chords.split("|"):
        slots = _slots(bar.split(","), previous, unparsed)
        if not slots and previous is not None:
            slots = [previous]
        if slots:
            bars.append(slots)
            previous = slots[-1]
    return bars


def expand_standard(tune: dict) -> LeadSheet:
    """One tune of JazzStandards.json as played: sections in order, a section with endings
    played once per ending (main part, then that ending)."""
    beats = int(str(tune.get("TimeSignature") or "4/4").split("/")[0])
    bars: list[list[ChordSymbol]] = []
    unparsed: list[str] = []
    for section in tune.get("Sections", []):
        main = section.get("MainSegment", {}).get("Chords", "")
        endings = [e.get("Chords", "") for e in section.get("Endings", [])] or [None]
        for ending in endings:
            prev = bars[-1][-1] if bars else None
            bars += _segment_bars(main, prev, unparsed)
            if ending is not None:
                bars += _segment_bars(ending, bars[-1][-1] if bars else None, unparsed)
    return LeadSheet(tune.get("Title", "?"), bars, beats, tune.get("Key"), unparsed)


def load_standards(path: Path) -> list[dict]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{path}: not a readable JSON file ({str(e).splitlines()[0]})") from None
    if not isinstance(data, list) or not all(isinstance(t, dict) and "Sections" in t for t in data):
        raise UserError(f"{path}: expected a list of tunes with 'Sections' (JazzStandards.json)")
    return data


def load_leadsheet(source: str, standards: Path | None = None, wjd: Path | None = None) -> LeadSheet:
    """A text lead sheet file, a MusicXML file with chord symbols, `wjd:MELID` (the changes
    under a WJD solo, with `wjd` the database folder), or a title looked up
    (case-insensitively) in `standards`."""
    path = Path(source)
    if source.lower().startswith("wjd:"):
        from improvise.leadsheet_sources import wjd_leadsheet

        if wjd is None:
            raise UserError(f"{source}: pass --wjd FOLDER to read a WJD solo's changes")
        try:
            return wjd_leadsheet(wjd, int(source[4:]))
        except ValueError:
            raise UserError(f"{source}: expected wjd:MELID, a number") from None
    if path.is_file() and path.suffix.lower() in (".xml", ".musicxml", ".mxl"):
        from improvise.leadsheet_sources import read_musicxml_leadsheet

        return read_musicxml_leadsheet(path)
    if path.is_file():
        try:
            return parse_text(path.read_text(), str(path))
        except UnicodeDecodeError:
            raise UserError(f"{path}: not a text file") from None
    if standards is None:
        raise UserError(f"{source}: no such file (to look up a title, pass --standards JazzStandards.json)")
    tunes = load_standards(standards)
    matches = [t for t in tunes if t.get("Title", "").lower() == source.lower()]
    if not matches:
        near = [t["Title"] for t in tunes if source.lower() in t.get("Title", "").lower()][:5]
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise UserError(f"{standards}: no tune titled {source!r}{hint}")
    return expand_standard(matches[0])


def format_bars(sheet: LeadSheet, per_line: int = 4) -> str:
    cells = [" ".join(c.symbol for c in bar) for bar in sheet.bars]
    width = max(len(c) for c in cells) if cells else 0
    lines = []
    for i in range(0, len(cells), per_line):
        row = " | ".join(f"{c:<{width}}" for c in cells[i:i + per_line])
        lines.append(f"{i + 1:4d}  | {row} |")
    return "\n".join(lines)


def parse_rate(tunes: list[dict]) -> dict:
    """How many chord tokens of a standards file parse, and which do not."""
    total, bad = 0, []
    for tune in tunes:
        sheet = expand_standard(tune)
        bad += [(tune.get("Title", "?"), tok) for tok in sheet.unparsed]
        total += sum(len(b) for b in sheet.bars) + len(sheet.unparsed)
    return {"tunes": len(tunes), "tokens": total, "unparsed": len(bad),
            "parsed_rate": 1 - len(bad) / total if total else 1.0, "examples": bad[:20]}
