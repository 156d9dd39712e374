"""iReal Pro charts: `irealb://` and `irealbook://` links, alone, in a text file, or in an
exported HTML playlist (`<a href="irealb://...">`).

A link is URL-encoded. `irealbook://` holds songs as `Title=Composer=Style=Key=n=Chart`;
`irealb://` as `Title=Composer==Style=Key==Music=Groove=Tempo=Repeats`, songs joined by `===`
and the playlist's name last, where Music is `1r34LbKcu7` followed by the chart scrambled in
blocks of 50 characters (in each block but a last one shorter than 52: characters 0-4 swap with
45-49 and 10-23 with 26-39, mirror-wise), and, once unscrambled, shortened: `XyQ` for three
blank cells, `LZ` for ` |`, `Kcl` for `| x`.

A chart: `T44` time signature (`T12` is 12/8), `*A` a section, `|` `[` `]` `Z` bar lines, `{ }`
repeats, `N1` `N2` endings, `x` the previous bar again, `r` the previous two bars again, `n`
N.C., `p` a slot that keeps the previous chord, `W/B` the previous chord over B, `(X)` an
alternate chord (not played, but it must parse), `<...>` text; `s l f S Q Y U` only change the
look. Chords in a bar share it evenly; where they cannot (3 chords in 4/4) the first takes the
extra beat, as iReal Pro plays them. Jumps written as text (D.C., D.S. al Coda) are not followed:
the form is played as written, and the reader says so in the sheet's warnings.

A file with several songs needs one picked: `FILE#TITLE` or `FILE#N` (1-based).
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from improvise.core.chords import ChordParseError, ChordSymbol, parse_chord
from improvise.core.errors import UserError
from improvise.leadsheet.model import FormBuilder, LeadSheet, quarter_beats

MUSIC_PREFIX = "1r34LbKcu7"
MAX_SONGS = 5000
_LINK = re.compile(
    r"(?<=[\"'])ireal(?:b|book)://[^\"'<>]+|ireal(?:b|book)://[^\"'<>\s]+"
)  # quoted: to the quote
_TOKEN = re.compile(
    r"(?P<time>T\d\d)|(?P<mark>\*[A-Za-z]?)|(?P<text><[^<>]{0,300}>?)|(?P<ending>N\d)"
    r"|(?P<bar>[{}\[\]|Z])|(?P<alt>\([^()]{0,60}\)?)"
    r"|(?P<chord>[A-GW][b#]?[^\s,|\[\]{}()<>*]*)|(?P<other>\S)"
)


def obfuscate50(block: str) -> str:
    """iReal Pro's scramble of one 50-character block (it is its own inverse)."""
    s = list(block)
    for i in list(range(5)) + list(range(10, 24)):
        s[i], s[49 - i] = block[49 - i], block[i]
    return "".join(s)


def unscramble(music: str) -> str:
    """The chart of an `irealb://` Music field (after the prefix), in the long form."""
    out = []
    while len(music) > 50:
        block, music = music[:50], music[50:]
        out.append(block if len(music) < 2 else obfuscate50(block))
    text = "".join(out) + music
    return text.replace("XyQ", "   ").replace("LZ", " |").replace("Kcl", "| x")


def scramble(chart: str) -> str:
    """The inverse of `unscramble` for a chart without the shortened forms (for tests)."""
    out = []
    while len(chart) > 50:
        block, chart = chart[:50], chart[50:]
        out.append(block if len(chart) < 2 else obfuscate50(block))
    return MUSIC_PREFIX + "".join(out) + chart


def _songs_irealb(body: str) -> list[dict]:
    parts = body.split("=")
    songs = []
    for i, part in enumerate(parts):
        if part.startswith(MUSIC_PREFIX) and i >= 4:
            title = parts[i - 6] if i >= 6 else parts[0]
            songs.append(
                {
                    "title": title,
                    "composer": parts[i - 5] if i >= 5 else "",
                    "key": parts[i - 2],
                    "chart": unscramble(part[len(MUSIC_PREFIX) :]),
                }
            )
    return songs


def _songs_irealbook(body: str) -> list[dict]:
    parts = [p for p in body.split("=")]
    songs = []
    k = 0
    while k + 5 < len(parts) and len(songs) < MAX_SONGS:
        if not parts[k]:
            k += 1
            continue
        title, composer, _style, key, _n, chart = parts[k : k + 6]
        songs.append({"title": title, "composer": composer, "key": key, "chart": chart})
        k += 6
    return songs


def songs_of(text: str, name: str) -> list[dict]:
    """Every song of every iReal Pro link in `text` (a bare link, text or HTML)."""
    text = text.strip()
    links = (
        [text] if text.startswith(("irealb://", "irealbook://")) and "<" not in text else _LINK.findall(text)
    )
    songs: list[dict] = []
    for link in links:
        body = unquote(html.unescape(link)).split("://", 1)[1]
        songs += _songs_irealb(body) if link.startswith("irealb://") else _songs_irealbook(body)
        if len(songs) > MAX_SONGS:
            raise UserError(f"{name}: more than {MAX_SONGS} songs")
    if not songs:
        raise UserError(f"{name}: no iReal Pro song found (expected irealb:// or irealbook:// links)")
    return songs


def _key(text: str) -> str | None:
    m = re.fullmatch(r"([A-G][b#]?)(-?)", text.strip())
    return (m.group(1) + ("m" if m.group(2) else "")) if m else None


def _even(slots: list[ChordSymbol], beats: int) -> list[ChordSymbol]:
    """Chords that cannot share the bar evenly: a slot a beat, the first taking what is left."""
    n = len(slots)
    if n <= 1 or beats % n == 0 or n > beats:
        return slots
    each, extra = divmod(beats, n)
    out = []
    for k, c in enumerate(slots):
        out += [c] * (each + (extra if k == 0 else 0))
    return out


class _Chart:
    """Feeds a chart's tokens into a FormBuilder, bar by bar."""

    def __init__(self, name: str):
        self.name, self.form = name, FormBuilder(name)
        self.beats: int | None = None
        self.cells: list = []  # the open bar: ChordSymbols, and 'x' / 'r' marks
        self.previous: ChordSymbol | None = None
        self.unparsed: list[str] = []
        self.skip_empty = False  # the bar after an 'r' (the sign spans two bars)

    def time(self, text: str) -> None:
        num, den = (12, 8) if text == "T12" else (int(text[1]), int(text[2]))
        beats = quarter_beats(num, den, self.name)
        if self.beats is not None and beats != self.beats and self.form.bars:
            raise UserError(
                f"{self.name}: the time signature changes to {num}/{den}; one signature a lead sheet"
            )
        self.beats = beats

    def chord(self, text: str) -> None:
        bar = len(self.form.bars) + 1
        if text.startswith("W"):  # an invisible root: the previous chord, over a new bass
            if self.previous is None or not text.startswith("W/"):
                self.unparsed.append(f"{text[:40]} (bar {bar})")
                return
            text = self.previous.symbol.split("/")[0].split("\\")[0] + text[1:]
        try:
            self.previous = parse_chord(text)
            self.cells.append(self.previous)
        except ChordParseError:
            self.unparsed.append(f"{text[:40]} (bar {bar})")

    def close_bar(self) -> None:
        cells, self.cells = self.cells, []
        if not cells:
            if self.skip_empty:
                self.skip_empty = False
            return
        self.skip_empty = False
        if "r" in cells:
            for bar in [list(b) for b in self.form.bars[-2:]]:
                self.form.bar(bar)
            self.skip_empty = True
            return
        if "x" in cells:
            if self.form.bars:
                self.form.bar(list(self.form.bars[-1]))
            return
        slots = [c for c in cells if isinstance(c, ChordSymbol)]
        if slots:
            self.form.bar(_even(slots, self.beats or 4))

    def token(self, m: re.Match) -> None:
        kind, text = m.lastgroup, m.group(0)
        if kind == "time":
            self.time(text)
        elif kind == "mark":
            self.form.section(text[1:] or "?")
        elif kind == "text":
            if re.search(r"D\.?\s*[CS]\.|Coda|Fine", text, re.I):
                self.form.warn(
                    f"the jump {text.strip('<>')[:40]!r} is not followed: the form is played as written"
                )
        elif kind == "ending":
            self.close_bar()
            self.form.ending(int(text[1]))
        elif kind == "bar":
            self.close_bar()
            if text == "{":
                self.form.repeat_start()
            elif text == "}":
                self.form.repeat_end()
        elif kind == "alt":
            for tok in re.split(r"[\s,]+", text.strip("()")):
                try:
                    if tok:
                        parse_chord(tok)
                except ChordParseError:
                    self.unparsed.append(f"({tok[:40]})")
        elif kind == "chord":
            self.chord(text)
        else:
            self.other(text)

    def other(self, text: str) -> None:
        if text in ("x", "r"):
            self.cells.append(text)
        elif text == "n":
            self.previous = ChordSymbol(None, text="N.C.")
            self.cells.append(self.previous)
        elif text == "p":
            if self.previous is not None:
                self.cells.append(self.previous)
        elif text not in "slfSQYU,":
            self.form.warn(f"passed over {text!r}")


def parse_chart(song: dict, name: str):
    """One song (title, composer, key, chart) as a LeadSheet."""
    title = song["title"][:200] or "?"
    chart = _Chart(f"{name}: {title}")
    for m in _TOKEN.finditer(song["chart"]):
        chart.token(m)
    chart.close_bar()
    bars = chart.form.finish()
    return LeadSheet(
        title,
        bars,
        chart.beats or 4,
        _key(song["key"]),
        chart.unparsed,
        chart.form.sections,
        chart.form.warnings,
    )


def read_ireal(text: str, name: str, pick: str | None = None):
    """The song of an iReal Pro link, text or HTML playlist; `pick` (a title or a 1-based number)
    chooses one of several."""
    songs = songs_of(text, name)
    if pick is not None:
        chosen = [s for s in songs if s["title"].lower() == pick.lower()]
        if not chosen and pick.isdigit() and 1 <= int(pick) <= len(songs):
            chosen = [songs[int(pick) - 1]]
        if not chosen:
            raise UserError(
                f"{name}: no song {pick[:60]!r} among {len(songs)} "
                f"({', '.join(s['title'][:30] for s in songs[:5])}{' ...' if len(songs) > 5 else ''})"
            )
        return parse_chart(chosen[0], name)
    if len(songs) > 1:
        raise UserError(
            f"{name}: {len(songs)} songs; pick one as {name}#TITLE or {name}#N "
            f"({', '.join(s['title'][:30] for s in songs[:5])}{' ...' if len(songs) > 5 else ''})"
        )
    return parse_chart(songs[0], name)
