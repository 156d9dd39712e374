"""The plain text lead-sheet format (described in `improvise.leadsheet.model`): meta lines, then bars
between `|`, with repeats `|: :|` and endings `|1 :|2`.

Comments: a line whose first non-space character is `#`, and anything after `;`. A `#` inside
a line is a sharp (`| C7#9 | F#m7 B7 |`), never a comment. A chord token that does not parse is
kept in `LeadSheet.unparsed` with its bar number, never dropped silently.
"""

from __future__ import annotations

import re

from improvise.core.chords import ChordParseError, ChordSymbol, parse_chord
from improvise.core.errors import UserError
from improvise.leadsheet.model import FormBuilder, LeadSheet, quarter_beats

_META = re.compile(r"^(title|time|key|section)\s*:\s*(.*)$", re.I)
# repeat start, repeat end (with an optional ending number after it), ending, bar line, a word
_TOKEN = re.compile(
    r"(?P<start>\|{1,2}:)|(?P<end>:\|{1,2}\]?)(?P<next>\d)?\.?|(?P<ending>[|\[])(?P<num>\d)\.?"
    r"|(?P<bar>\|\]|\|\||\||\])|(?P<word>[^\s|\[\]]+|\[|\])"
)
_CONTINUE = ("%", "/", ".")


def _strip_comment(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    return line.split(";", 1)[0].strip()


def _time(meta: dict, name: str) -> int:
    if "time" not in meta:
        return 4
    m = re.match(r"^(\d{1,12})\s*/\s*(\d{1,12})$", meta["time"])
    if not m:
        raise UserError(f"{name}: bad time signature {meta['time'][:40]!r} (write it like 3/4)")
    return quarter_beats(int(m.group(1)), int(m.group(2)), name)


def _slots(
    words: list[str], previous: ChordSymbol | None, unparsed: list[str], bar: int
) -> list[ChordSymbol]:
    """A bar's chord slots; a token that does not parse is recorded with its bar number."""
    out = []
    for tok in words:
        if tok in _CONTINUE:
            if previous is not None:
                out.append(previous)
            continue
        try:
            chord = parse_chord(tok)
        except ChordParseError:
            unparsed.append(f"{tok[:40]} (bar {bar})")
            continue
        out.append(chord)
        previous = chord
    return out


class _Reader:
    """Feeds the tokens of the body, bar by bar, into a FormBuilder."""

    def __init__(self, name: str):
        self.form = FormBuilder(name)
        self.words: list[str] = []
        self.unparsed: list[str] = []
        self.previous: ChordSymbol | None = None
        self.written = 0  # bars as written, for the numbers in messages

    def close_bar(self) -> None:
        if not self.words:
            return
        self.written += 1
        slots = _slots(self.words, self.previous, self.unparsed, self.written)
        self.words = []
        if slots:
            self.form.bar(slots)
            self.previous = slots[-1]

    def token(self, m: re.Match) -> None:
        if m.group("word"):
            if len(self.words) >= 4 * 64:
                raise UserError(f"{self.form.name}: bar {self.written + 1} has too many chords")
            self.words.append(m.group("word"))
            return
        self.close_bar()
        if m.group("start"):
            self.form.repeat_start()
        elif m.group("end"):
            self.form.repeat_end()
            if m.group("next"):
                self.form.ending(int(m.group("next")))
        elif m.group("ending"):
            self.form.ending(int(m.group("num")))


def parse_text(text: str, name: str = "lead sheet"):
    """Read the text format; chords that do not parse are listed in the result's `unparsed`."""
    meta: dict[str, str] = {}
    reader = _Reader(name)
    for line in text.splitlines():
        line = _strip_comment(line)
        m = _META.match(line)
        if m and m.group(1).lower() == "section":
            reader.close_bar()
            reader.form.section(m.group(2).strip() or "?")
        elif m:
            meta[m.group(1).lower()] = m.group(2).strip()
        else:
            for tok in _TOKEN.finditer(line):
                reader.token(tok)
    reader.close_bar()
    beats = _time(meta, name)
    bars = reader.form.finish()
    return LeadSheet(
        meta.get("title", name)[:200],
        bars,
        beats,
        meta.get("key") or None,
        reader.unparsed,
        reader.form.sections,
        reader.form.warnings,
    )
