"""Impro-Visor lead sheets (`.ls`): chords, sections, and the melody part as a solo.

The format (Impro-Visor's "leadsheet notation", Bob Keller, Harvey Mudd College) is a stream of
S-expressions and atoms. Lists are directives: `(title Blues in F)`, `(composer ...)`,
`(meter 3 4)`, `(key -1)` (sharps, negative for flats), `(tempo 160)`, `(part (type chords) ...)`
or `(part (type melody) ...)` (the atoms after it belong to that part), `(section ...)` (a new
section from the next bar). Atoms are:

- `|` (or `,`): a bar line; the chords between two bar lines share the bar evenly;
- `/`: a slot that keeps the previous chord;
- a word that starts with a capital: a chord (`F7`, `Bbm7b5`, `EbM7`, `NC`; `X/B` a slash
  chord, `X\\Y` a polychord);
- a word that starts with a small letter: a melody note or rest, `c+8` = the C above middle C
  (`c` is middle C, each `+` an octave up, `-` down), an eighth; `#`/`b` after the letter;
  durations `1 2 4 8 16 32`, `.` dotted, `/3` a triplet (`/5` ...), joined by `+` (`2+8`);
  `r4` a quarter rest.

Each melody part is a chorus of the solo: a new one starts at the next top of the form. A chord
Impro-Visor would not know is kept in `unparsed`; a directive this reader does not use is passed
over (styles, volumes, layout), which changes no chord or note.
"""

from __future__ import annotations

import re
from fractions import Fraction

from improvise.core.chords import ChordParseError, ChordSymbol, parse_chord
from improvise.core.errors import UserError
from improvise.leadsheet.model import MAX_MELODY_NOTES, FormBuilder, LeadSheet, MelodyNote, quarter_beats

_KEYS = ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"]
_NOTE = re.compile(r"^([a-g])([#bs]?)([+\-u]*)(.*)$")
_PCS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
MAX_DEPTH = 32  # nesting of directives


def _sexps(text: str, name: str) -> list:
    """Top-level items: lists (of atoms and lists) and atoms; bounded nesting."""
    out: list = []
    stack: list[list] = [out]
    for tok in re.findall(r'\(|\)|"[^"]*"|[^\s()]+', text):
        if tok == "(":
            if len(stack) > MAX_DEPTH:
                raise UserError(f"{name}: directives nested more than {MAX_DEPTH} deep")
            stack[-1].append([])
            stack.append(stack[-1][-1])
        elif tok == ")":
            if len(stack) == 1:
                raise UserError(f"{name}: a ')' without its '('")
            stack.pop()
        else:
            stack[-1].append(tok.strip('"'))
    if len(stack) > 1:
        raise UserError(f"{name}: a '(' without its ')'")
    return out


def duration(text: str) -> Fraction:
    """A note's length in whole notes: `8` = 1/8, `4.` = 3/8, `8/3` = 1/12, `2+8` = 5/8; no
    digits = an eighth. ValueError for anything else."""
    if not text:
        return Fraction(1, 8)
    total = Fraction(0)
    for k, term in enumerate(text.split("+")):
        m = re.match(r"^(\d{0,4})(?:/(\d{1,2}))?(\.{0,4})$", term)
        if not m or k >= 64 or (not m.group(1) and k == 0):
            raise ValueError(f"not a duration: {text[:30]!r}")
        n, d = int(m.group(1) or 8), int(m.group(2) or 1)
        if n == 0 or d == 0:
            raise ValueError(f"not a duration: {text[:30]!r}")
        value = Fraction(d - 1, n * d) if d > 1 else Fraction(1, n)
        inc = value
        for _ in m.group(3):
            inc /= 2
            value += inc
        total += value
    return total


def note(text: str) -> tuple[int | None, Fraction]:
    """(MIDI pitch or None for a rest, length in beats) of a melody atom; ValueError if bad."""
    t = text.lower()
    if t.startswith("r"):
        return None, duration(t[1:]) * 4
    m = _NOTE.match(t)
    if not m:
        raise ValueError(f"not a note: {text[:30]!r}")
    pc = _PCS[m.group(1)] + {"#": 1, "s": 1, "b": -1, "": 0}[m.group(2)]
    octave = sum(1 if c in "+u" else -1 for c in m.group(3))
    return 60 + pc + 12 * octave, duration(m.group(4)) * 4


class _Sheet:
    """What the stream says so far: meta, the chord stream by bars, melody parts."""

    def __init__(self, name: str):
        self.name, self.meta = name, {}
        self.form = FormBuilder(name)
        self.words: list[str] = []  # the open bar's chords and slashes
        self.previous: ChordSymbol | None = None
        self.unparsed: list[str] = []
        self.part = "chords"
        self.parts: list[list[tuple[int | None, Fraction]]] = [[]]
        self.n_notes = 0
        self.pending: str | None = None  # a section that starts after the open bar

    def close_bar(self) -> None:
        slots = []
        for w in self.words:
            if w == "/":
                if self.previous is not None:
                    slots.append(self.previous)
                continue
            try:
                self.previous = parse_chord("NC" if w == "NC" else w)
                slots.append(self.previous)
            except ChordParseError:
                self.unparsed.append(f"{w[:40]} (bar {len(self.form.bars) + 1})")
        if not self.words and self.previous is not None:
            slots = [self.previous]  # an empty bar: the chord goes on
        self.words = []
        if slots:
            self.form.bar(slots)
        if self.pending is not None:
            self.form.section(self.pending)
            self.pending = None

    def directive(self, item: list) -> None:
        head = item[0] if item and isinstance(item[0], str) else None
        args = [a for a in item[1:] if isinstance(a, str)]
        if head in ("title", "composer", "meter", "key", "tempo"):
            self.meta.setdefault(head, args)
        elif head in ("section", "phrase"):
            label = f"section {len(self.form.sections) + 1 + (self.pending is not None)}"
            if self.words:
                self.pending = label
            else:
                self.form.section(label)
        elif head == "part":
            kinds = [a[1] for a in item[1:] if isinstance(a, list) and len(a) > 1 and a[0] == "type"]
            if kinds and kinds[0] == "melody":
                if self.part == "melody" or self.parts[-1]:
                    self.parts.append([])
                self.part = "melody"
            elif kinds:
                self.part = "chords"

    def atom(self, word: str) -> None:
        if word[0] in "|,":
            if self.part == "chords":
                self.close_bar()
        elif word == "/":
            self.words.append(word)
        elif word[0].isupper():
            self.words.append(word)
        elif word[0].islower():
            self.melody(word)
        else:
            self.form.warn(f"passed over {word[:20]!r}")

    def melody(self, word: str) -> None:
        try:
            pitch, length = note(word)
        except ValueError as e:
            self.form.warn(f"passed over a melody atom: {e}")
            return
        if pitch is not None and not 0 <= pitch <= 127:
            self.form.warn(f"passed over {word[:20]!r}: outside the MIDI range")
            pitch = None
        self.n_notes += 1
        if self.n_notes > MAX_MELODY_NOTES:
            raise UserError(f"{self.name}: more than {MAX_MELODY_NOTES} melody notes")
        self.parts[-1].append((pitch, length))


def _melody(parts: list, chorus: Fraction) -> list:
    """Melody parts laid end to end, each from the next top of the form (in beats)."""
    out, start = [], Fraction(0)
    for part in parts:
        t = start
        for pitch, length in part:
            if pitch is not None:
                out.append(MelodyNote(pitch, t, length))
            t += length
        if t > start:
            start = -(-t // chorus) * chorus if chorus else t
    return out


def _meta(meta: dict, name: str) -> tuple[str, int, str | None]:
    title = " ".join(meta.get("title", [])) or name
    beats = 4
    m = meta.get("meter", [])
    if m:
        if not all(x.isdigit() and len(x) <= 6 for x in m[:2]):
            raise UserError(f"{name}: bad meter {' '.join(m)[:40]!r}")
        beats = quarter_beats(int(m[0]), int(m[1]) if len(m) > 1 else 4, name)
    k = meta.get("key", [])
    key = None
    if k and re.fullmatch(r"-?\d{1,2}", k[0]) and -7 <= int(k[0]) <= 7:
        key = _KEYS[int(k[0]) + 7]
    return title[:200], beats, key


def parse_impro(text: str, name: str = "Impro-Visor lead sheet"):
    """Read an Impro-Visor lead sheet into a LeadSheet with its melody."""
    sheet = _Sheet(name)
    for item in _sexps(text, name):
        if isinstance(item, list):
            sheet.directive(item)
        else:
            sheet.atom(item)
    if sheet.words:
        sheet.close_bar()
    title, beats, key = _meta(sheet.meta, name)
    bars = sheet.form.finish()
    melody = _melody(sheet.parts, Fraction(len(bars) * beats))
    return LeadSheet(
        title, bars, beats, key, sheet.unparsed, sheet.form.sections, sheet.form.warnings, melody
    )
