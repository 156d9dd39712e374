"""Lead sheets: chord changes bar by bar, expanded into the form as it is played, from any of
the formats users have. This module is the model (`LeadSheet`, `FormBuilder`) that every reader
builds; `improvise.leadsheet.load.load_leadsheet(source)` picks the reader.

Formats (each reader in its own module; none drops a chord silently: a chord symbol it cannot
read is listed in `LeadSheet.unparsed`, which `improvise leadsheet show` prints and `improvise
solo` refuses):

- the plain text format below (`improvise.leadsheet.text`);
- MusicXML (`.musicxml`, `.xml`) and compressed MusicXML (`.mxl`) with chord symbols;
- Impro-Visor lead sheets (`.ls`): chords, sections, and the melody part as a solo
  (`improvise.leadsheet.impro`);
- iReal Pro links (`irealb://`, `irealbook://`), as a bare link, a text file holding links, or
  an exported HTML playlist (`improvise.leadsheet.ireal`); `FILE#TITLE` or `FILE#N` picks one
  song of several;
- the jazz-standards JSON (a title looked up in `--standards`), and `wjd:MELID`, the changes
  under a Weimar Jazz Database solo (`improvise.leadsheet.sources`).

The format comes from the file: its extension, else its first bytes
(`leadsheet_load.sniff_format`).

Text format (one tune a file):

    title: Blues in F
    time: 4/4
    key: F
    # a comment: '#' at the start of a line (after spaces); ';' starts one anywhere
    section: A
    |: F7 | Bb7 | F7 | F7 :| Bb7 | Bb7 | F7 | D7#9 | G-7 | C7 | F7 D7 |1 G-7 C7 :|2 Gb7 B7 |

Bars are separated by `|`; chords inside a bar share it evenly (`F7 D7` = two beats each in
4/4); `%`, `/` or `.` is a slot that keeps the previous chord; `|: ... :|` is played twice;
`|1` (or `[1`) starts a first ending, `:|2` (or `|2`) a second one; `section: NAME` on a line
of its own names the bars that follow. `#` inside a line is a sharp (`F#m7`, `C7#9`).

Every loop over what a file says is bounded: at most `checks.MAX_BARS` bars in the played form,
`checks.MAX_BEATS_PER_BAR` beats a bar, `MAX_SLOTS_PER_BAR` chords a bar, `MAX_FILE_BYTES` read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from improvise.core.checks import MAX_BARS, MAX_BEATS_PER_BAR, check_in_file
from improvise.core.chords import ChordSymbol
from improvise.core.errors import UserError
from improvise.core.music import PITCH_CLASS_NAMES, parse_pitch_class

MAX_SLOTS_PER_BAR = 64  # chords written in one bar
MAX_FILE_BYTES = 16 << 20  # a lead sheet file read whole (16 MiB; real ones are a few KiB)
MAX_MELODY_NOTES = 200_000  # notes of a lead sheet's melody part


@dataclass(frozen=True)
class MelodyNote:
    """A note of a lead sheet's melody: MIDI pitch, onset and length in beats from the top."""

    pitch: int
    start: Fraction
    length: Fraction


@dataclass
class LeadSheet:
    """A tune's played form: a list of bars, each a list of equal chord slots."""

    title: str
    bars: list[list[ChordSymbol]]
    beats_per_bar: int = 4
    key: str | None = None  # as written, e.g. 'F', 'Dmin'
    unparsed: list[str] = field(default_factory=list)  # chord tokens that could not be read
    sections: list[tuple[int, str]] = field(default_factory=list)  # (first bar, 0-based; label)
    warnings: list[str] = field(default_factory=list)  # what the reader passed over, said once
    melody: list[MelodyNote] = field(default_factory=list)  # a melody part (Impro-Visor), beats

    def chord_per_step(self, steps_per_beat: int = 2) -> list[ChordSymbol]:
        """The chord at every grid step; a bar's slots share its steps evenly, the first
        slots taking any remainder (with more slots than steps, each step takes the slot
        sounding at its start)."""
        out: list[ChordSymbol] = []
        steps = self.beats_per_bar * steps_per_beat
        for bar in self.bars:
            n = len(bar)
            if n > steps:
                out += [bar[k * n // steps] for k in range(steps)]
                continue
            base, extra = divmod(steps, n)
            for k, chord in enumerate(bar):
                out += [chord] * (base + (1 if k < extra else 0))
        return out

    def key_root(self) -> int | None:
        if not self.key:
            return None
        m = re.match(r"^([A-G][b#]?)", self.key)
        return parse_pitch_class(m.group(1)) if m else None

    def transpose(self, semitones: int) -> LeadSheet:
        key = self.key
        root = self.key_root()
        if root is not None:
            key = PITCH_CLASS_NAMES[(root + semitones) % 12] + re.sub(r"^[A-G][b#]?", "", self.key)
        melody = [MelodyNote(n.pitch + semitones, n.start, n.length) for n in self.melody]
        return LeadSheet(
            self.title,
            [[c.transpose(semitones) for c in bar] for bar in self.bars],
            self.beats_per_bar,
            key,
            list(self.unparsed),
            list(self.sections),
            list(self.warnings),
            [n for n in melody if 0 <= n.pitch <= 127],
        )

    def to_key(self, key: str) -> LeadSheet:
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

    def solo_tune(self, steps_per_beat: int = 4, tempo_bpm: float = 120.0):
        """The melody part as a solo: a Tune on a grid of `steps_per_beat` steps a beat, the
        form's chords repeated under it for as many choruses as the melody lasts."""
        from improvise.core.music import Note, Tune

        chorus = self.chord_per_step(steps_per_beat)
        end = max((n.start + n.length for n in self.melody), default=Fraction(0))
        choruses = max(1, -(-round(end * steps_per_beat) // max(1, len(chorus))))
        chords = chorus * choruses
        notes = {}
        for n in self.melody:
            start = round(n.start * steps_per_beat)
            if 0 <= start < len(chords) and start not in notes:
                notes[start] = Note(n.pitch, start, max(1, round(n.length * steps_per_beat)))
        return Tune(
            chords=chords,
            melody=[notes[k] for k in sorted(notes)],
            steps_per_bar=self.beats_per_bar * steps_per_beat,
            beats_per_bar=self.beats_per_bar,
            tempo_bpm=tempo_bpm,
        )


class FormBuilder:
    """The played form from written bars and repeat marks, every loop bounded.

    `repeat_start()` / `repeat_end()` play the bars between them twice (an end without a start
    repeats from the last end or the top); `ending(n)` marks where a first ending begins, so
    that each `repeat_end()` after it replays only the bars before it. No call makes the form
    longer than `checks.MAX_BARS` bars: it raises a UserError naming `name` first."""

    def __init__(self, name: str):
        self.name = name
        self.bars: list[list[ChordSymbol]] = []
        self.sections: list[tuple[int, str]] = []
        self.warnings: list[str] = []
        self._start = 0  # first bar of the body a repeat end plays again
        self._body_end: int | None = None  # where the first ending begins
        self._open: int | None = None  # bar of a repeat start not yet closed
        self._section: str | None = None

    def _room(self, n: int) -> None:
        if len(self.bars) + n > MAX_BARS:
            raise UserError(
                f"{self.name}: the played form would be longer than {MAX_BARS} bars "
                "(the most a lead sheet may have)"
            )

    def section(self, label: str) -> None:
        self._section = label[:40]

    def bar(self, slots: list[ChordSymbol]) -> None:
        if len(slots) > MAX_SLOTS_PER_BAR:
            raise UserError(
                f"{self.name}: bar {len(self.bars) + 1} has {len(slots)} chords; at most "
                f"{MAX_SLOTS_PER_BAR} fit in a bar"
            )
        self._room(1)
        if self._section is not None:
            self.sections.append((len(self.bars), self._section))
            self._section = None
        self.bars.append(slots)

    def repeat_start(self) -> None:
        if self._open is not None:
            self.warn(f"the repeat opened at bar {self._open + 1} is never closed: played once")
        self._start = self._open = len(self.bars)
        self._body_end = None

    def ending(self, number: int) -> None:
        if self._body_end is None:
            self._body_end = len(self.bars)

    def repeat_end(self, times: int = 2) -> None:
        end = self._body_end if self._body_end is not None else len(self.bars)
        body = self.bars[self._start : end]
        self._room(len(body) * (times - 1))
        self.bars += [list(b) for b in body] * (times - 1)
        if self._body_end is None:
            self._start = len(self.bars)
        self._open = None

    def warn(self, text: str) -> None:
        if text not in self.warnings and len(self.warnings) < 50:
            self.warnings.append(text)

    def finish(self) -> list[list[ChordSymbol]]:
        if self._open is not None:
            self.warn(f"the repeat opened at bar {self._open + 1} is never closed: played once")
            self._open = None
        if not self.bars:
            raise UserError(f"{self.name}: no bars found")
        return self.bars


def quarter_beats(numerator: int, denominator: int, where: str) -> int:
    """Quarter-note beats in a bar of `numerator/denominator` (6/8 -> 3), bounded; a UserError
    naming `where` for a time signature that is out of range or not whole quarters (7/8)."""
    if not 1 <= numerator <= MAX_BEATS_PER_BAR or denominator not in (1, 2, 4, 8, 16, 32, 64):
        raise UserError(
            f"{where}: time signature {numerator}/{denominator} is out of range "
            f"(1 to {MAX_BEATS_PER_BAR} beats of a whole, half, quarter ... 64th note)"
        )
    beats = Fraction(numerator * 4, denominator)
    if beats.denominator != 1:
        raise UserError(
            f"{where}: time signature {numerator}/{denominator} is not a whole number of "
            "quarter notes; lead sheets here count bars in quarter-note beats"
        )
    return int(beats)


def read_text(path: Path, what: str = "lead sheet") -> str:
    """A text file read whole: a UserError for a folder, a missing, huge or binary file."""
    path = check_in_file(path, what)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UserError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB; not a {what}")
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise UserError(f"{path}: a binary file, not a {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def format_bars(sheet: LeadSheet, per_line: int = 4) -> str:
    """The played form as a grid, `per_line` bars a line, each line led by its bar number and
    any section that starts in it."""
    cells = [" ".join(c.symbol for c in bar) for bar in sheet.bars]
    width = max(len(c) for c in cells) if cells else 0
    starts = dict(sheet.sections)
    lines = []
    for i in range(0, len(cells), per_line):
        labels = [starts[k] for k in range(i, i + per_line) if k in starts]
        row = " | ".join(f"{c:<{width}}" for c in cells[i : i + per_line])
        lines.append(f"{i + 1:4d}  | {row} |" + (f"  [{', '.join(labels)}]" if labels else ""))
    return "\n".join(lines)
