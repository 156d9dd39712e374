"""An incremental **kern line grammar over characters, for masking a character model's choices
while it samples (valid by construction) and for checking text afterwards.

It reads the prepared body text of `improvise kern prepare` (a barline is the line `@`, no
comments, no header) one character at a time. A line is a barline `@`, an interpretation line
(every field starts with `*`) or a data line; it has exactly one tab-separated field per active
spine. Interpretations: `*^` splits a **kern spine (at most MAX_SPINES spines), a run of two or
more `*v` joins adjacent spines that came from the same spine, and the other words come from a
fixed list (clefs, key signatures, keys, meters, tempi); `*-` and `*+` are left to the finishing
pass. A **kern data field is `.` or notes separated by single spaces: opening slurs/ties, a
duration from DURATIONS with dots, a pitch (one letter repeated, or `r`), accidentals, then
signifiers (stems, beams, tie ends, articulations, grace `q`); a **dynam field is `.` or
dynamics from DYNAMICS.

Rhythm, as verovio's Humdrum reader checks it: each **kern spine knows how long its last note
still sounds. A spine whose note still sounds must have a null `.` on the next data line; the
line lasts until the first of the spines' notes ends (no time at all when a spine with nothing
sounding has a null, as beside a grace note). A barline needs every note ended; spines joined
sound no longer than the shorter. The duration of a chord is its first note's; a grace note (`q`) lasts nothing.

The state is a small immutable tuple, so `KernGrammar.mask()` results are cached by (line kind, token state,
context flags) and cost one dictionary look-up per character once warm.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from improvise.core.errors import ConfigError

MAX_SPINES = 8  # active spines a split may reach (the corpora reach 7 once)
STRICT, CLOSING = 1, 2  # LineState.strict
STRICT_DURATIONS = frozenset(["1", "2", "4", "8", "16", "32", "3", "6", "12", "24", "48", "96"])  # sampling:
# every duration a multiple of 1/24 quarter, so closing can always fill a gap (96 is 1/24)
UNDOTTED = frozenset(["32", "48", "96"])  # strict: no dot (every duration stays a multiple of 1/24 quarter)
MAX_STRICT_GRACE_LINES = 4  # grace-note lines in a row while sampling
MAX_CHORD = 8  # notes in one **kern field
MAX_SIGNIFIERS = 8  # signifiers after a pitch
BARLINE = "@"
DURATIONS = frozenset(
    ["0", "00"] + [str(n) for n in range(1, 1000)]
)  # reciprocal durations: 4 a quarter, 0 a breve
OPENERS = "([{&"  # before the duration: slur, tie start, phrase, elision
SIGNIFIERS = "\\/LJkK')]}_`;y&X^:TtzSWwMmq"  # after the pitch: stems, beams, articulations, ends, grace
DYNAMIC_WORDS = (
    "p",
    "pp",
    "ppp",
    "mp",
    "mf",
    "f",
    "ff",
    "fff",
    "fp",
    "sf",
    "sfz",
    "fz",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
)
DYNAMICS = frozenset(
    w + hide for w in DYNAMIC_WORDS for hide in ("", "y", "yy", "X")
)  # y, X: hidden/editorial
MAJOR_KEYS = [
    k + ":" for k in ("C", "G", "D", "A", "E", "B", "F#", "C#", "F", "B-", "E-", "A-", "D-", "G-", "C-")
]
KEYS = MAJOR_KEYS + [k.lower() for k in MAJOR_KEYS]
SHARPS, FLATS = "f#c#g#d#a#e#b#", "b-e-a-d-g-c-f-"
KEY_SIGNATURES = (
    ["k[]"] + [f"k[{SHARPS[: 2 * n]}]" for n in range(1, 8)] + [f"k[{FLATS[: 2 * n]}]" for n in range(1, 8)]
)
METERS = [f"M{n}/{d}" for d in (1, 2, 4, 8, 16, 32) for n in range(1, 33)] + [
    "met(c)",
    "met(c|)",
    "met(C|)",
    "met(C)",
]
CLEFS = ["clefG2", "clefF4", "clefC3", "clefC4", "clefGv2"]
SECTION_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789[],")  # *>label
MAX_SECTION = 40  # characters of a section label or expansion list (*>norep[A,B])
INTERPRETATIONS = frozenset(
    ["*", "*^", "*v", "*>", "*Ipiano", "*staff1", "*staff2", "*staff1/2", "*staff3"]
    + ["*" + w for w in KEYS + KEY_SIGNATURES + METERS + CLEFS]
    + [f"*MM{t}" for t in range(20, 321)]
)


def _prefixes(words) -> frozenset:
    return frozenset(w[:i] for w in words for i in range(len(w) + 1))


INTERP_PREFIXES = _prefixes(INTERPRETATIONS)
STRICT_INTERPRETATIONS = frozenset(
    ["*", "*^", "*v", "*clefG2", "*clefF4"]
)  # while sampling: spines and clefs
STRICT_INTERP_PREFIXES = _prefixes(STRICT_INTERPRETATIONS)
MAX_STRICT_INTERP_LINES = 2  # interpretation lines in a row while sampling
DYNAM_PREFIXES = _prefixes(DYNAMICS)
DURATION_PREFIXES = _prefixes(DURATIONS)
PITCHES = "abcdefgABCDEFG"
MAX_LETTERS = {c: (4 if c.islower() else 3) for c in PITCHES}  # up to cccc (C7) and CCC (C1)


@dataclass(frozen=True)
class LineState:
    """Where the grammar stands: the active spines, as (type, origin) pairs (spines split from one
    spine share its origin), the line being read and notes counted so far."""

    spines: tuple  # ((type, origin), ...)
    kind: str = "start"  # start | bar | interp | data
    field: int = 0  # index of the field being read
    tok: tuple = ("F",)  # token state inside the field
    words: tuple = ()  # interpretation words of this line's finished fields
    notes: int = 0  # pitched notes read on finished lines and this one (chord notes each)
    remaining: tuple = ()  # quarter notes each spine's last note still sounds (Fractions)
    text: str = ""  # the field being read so far (for its duration)
    durations: tuple = ()  # the duration each finished field of this data line starts (None: null)
    strict: int = (
        0  # 0 as Humdrum allows; STRICT while sampling; CLOSING: strict, and bringing the spines together
    )
    interp_lines: int = 0  # interpretation lines just before this one
    max_spines: int = MAX_SPINES  # active spines a split may reach
    zero_lines: int = 0  # data lines in a row that took no time (grace notes)


def initial_state(
    layout=("kern", "kern", "dynam"), origins=None, strict: int = 0, max_spines: int = MAX_SPINES
) -> LineState:
    """The state at the start of a body: spine types, and the spine each came from (by default
    each its own; spines split in a header share one). `strict` (STRICT) rhythm, for sampling: a **kern
    spine whose note has ended takes a new note or rest on the next data line (a null is allowed
    only while a note sounds), every note has a duration from STRICT_DURATIONS, spines join only
    when their notes end together, and interpretations are limited to STRICT_INTERPRETATIONS, at
    most MAX_STRICT_INTERP_LINES lines in a row. Splits stop at `max_spines` active spines (the
    layout's own count: no splits)."""
    for t in layout:
        if t not in ("kern", "dynam"):
            raise ConfigError(f"spine type **{t} is not supported by the grammar (only **kern and **dynam)")
    spines = tuple(zip(layout, origins if origins is not None else range(len(layout))))
    return LineState(spines, remaining=(Fraction(0),) * len(spines), strict=strict, max_spines=max_spines)


def field_quarters(field: str) -> Fraction:
    """A **kern data field's duration in quarter notes: its first note's (0 for a grace note)."""
    head = field.split(" ", 1)[0].lstrip(OPENERS)
    digits = ""
    for ch in head:
        if not ch.isdigit():
            break
        digits += ch
    if not digits or "q" in head or len(digits) > 3:  # no duration has more than 3 digits (DURATIONS)
        return Fraction(0)
    base = Fraction(8 * 2 ** (len(digits) - 1)) if set(digits) == {"0"} else Fraction(4, int(digits))
    dots = len(head[len(digits) :]) - len(head[len(digits) :].lstrip("."))
    return base * (2 - Fraction(1, 2**dots))


def _limit(s: LineState, i: int):
    """While closing: the longest a new note in field i may last (until the last sounding note
    ends), so that the spines come to end together; None otherwise."""
    if s.strict != CLOSING or i >= len(s.spines) or s.spines[i][0] != "kern" or s.remaining[i]:
        return None
    longest = max((r for r, (t, _) in zip(s.remaining, s.spines) if t == "kern"), default=Fraction(0))
    return longest or None


def _recip_quarters(digits: str, dots: int = 0) -> Fraction:
    base = Fraction(8 * 2 ** (len(digits) - 1)) if set(digits) == {"0"} else Fraction(4, int(digits))
    return base * (2 - Fraction(1, 2**dots))


def _context(s: LineState) -> tuple:
    """Everything beyond (kind, tok) that decides which character may come next: the field's
    spine type, last field?, its note still sounding?, a barline allowed?, and for
    interpretations: a join must go on?, *v allowed?, *^ allowed?"""
    n, i = len(s.spines), s.field
    last = i == n - 1
    sounding = i < n and s.spines[i][0] == "kern" and s.remaining[i] > 0
    ended = s.strict and i < n and s.spines[i][0] == "kern" and not s.remaining[i]  # strict: no null
    if s.kind != "interp" and not (s.kind == "start" and i == 0):
        grace_ok = not s.strict or s.zero_lines < MAX_STRICT_GRACE_LINES and s.strict != CLOSING
        return (s.spines[i][0] if i < n else None, last, sounding, False, ended, grace_ok, _limit(s, i))
    bar_ok = s.kind == "start" and not any(s.remaining)
    run = 0
    while run < len(s.words) and s.words[-1 - run] == "*v":
        run += 1

    def joinable(a: int, b: int) -> bool:
        return s.spines[a] == s.spines[b] and (not s.strict or s.remaining[a] == s.remaining[b])

    v_ok = (i > 0 and joinable(i, i - 1)) if run else (i + 1 < n and joinable(i, i + 1))
    after = len(_apply_interpretations(s.spines, s.words))  # spines this line's finished fields leave
    split_ok = s.spines[i][0] == "kern" and run != 1 and after + 2 + (n - i - 1) <= s.max_spines
    interp_ok = not s.strict or s.interp_lines < MAX_STRICT_INTERP_LINES and s.strict != CLOSING
    grace_ok = not s.strict or s.zero_lines < MAX_STRICT_GRACE_LINES and s.strict != CLOSING
    return (
        s.spines[i][0],
        last,
        sounding,
        bar_ok,
        ended,
        grace_ok,
        run == 1,
        v_ok,
        split_ok,
        s.strict,
        interp_ok,
        _limit(s, i),
    )


def _kern_next(tok: tuple, ch: str):
    """The next token state of a **kern field after `ch`, or None. tok[0]: F field start,
    S note start, P openers, D duration, O dots, N pitch, R rest, A accidental, G signifiers, U null."""
    k = tok[0]
    chord = tok[-1] if k != "F" else 0
    if k in "FSP":
        if k == "F" and ch == ".":
            return ("U", 0)
        opened = tok[1] if k == "P" else 0
        if ch in OPENERS and opened < 3:
            return ("P", opened + 1, chord)
        if ch in "0123456789" and ch in DURATION_PREFIXES:
            return ("D", ch, chord)
        if ch in PITCHES:
            return ("N", ch, 1, True, chord)  # True: no duration, so a grace note (q) must follow
        return None
    if k == "D":
        if tok[1] + ch in DURATION_PREFIXES:
            return ("D", tok[1] + ch, chord)
        if tok[1] not in DURATIONS:
            return None
        if ch == ".":
            return ("O", 1, chord)
    if k == "O" and ch == "." and tok[1] < 2:
        return ("O", tok[1] + 1, chord)
    if k in "DO":
        if ch in PITCHES:
            return ("N", ch, 1, False, chord)
        if ch == "r":
            return ("R", 1, chord)
        return None
    if k == "N" and ch == tok[1] and tok[2] < MAX_LETTERS[ch]:
        return ("N", ch, tok[2] + 1, tok[3], chord)
    if k == "R" and ch == "r" and tok[1] < 2:
        return ("R", 2, chord)
    if k == "N" and ch in "#-n":
        return ("A", ch, 1, tok[3], chord)
    if k == "A" and ch == tok[1] and ch != "n" and tok[2] < 2:
        return ("A", ch, 2, tok[3], chord)
    if k in "NRAG":
        graceless = tok[3] if k in "NA" else (tok[2] if k == "G" else False)
        count = tok[1] if k == "G" else 0
        if ch in SIGNIFIERS and (count < MAX_SIGNIFIERS or ch == "q" and graceless):
            return ("G", count + 1, graceless and ch != "q", chord)
        if ch == " " and not graceless and chord + 1 < MAX_CHORD:
            return ("S", chord + 1)
    return None


def _kern_can_end(tok: tuple) -> bool:
    k = tok[0]
    return k in "UR" or (k in "NA" and not tok[3]) or (k == "G" and not tok[2])


def _dynam_next(tok: tuple, ch: str):
    """tok: ("F",) field start, ("W", word, count) inside a dynamic, ("U", 0) null, ("S", count)."""
    k = tok[0]
    if k == "F" and ch == ".":
        return ("U", 0)
    if k in "FS":
        return ("W", ch, tok[1] if k == "S" else 0) if ch in DYNAM_PREFIXES else None
    if k == "W":
        if tok[1] + ch in DYNAM_PREFIXES:
            return ("W", tok[1] + ch, tok[2])
        if ch == " " and tok[1] in DYNAMICS and tok[2] < 1:
            return ("S", tok[2] + 1)
    return None


def _interp_next(tok: tuple, ch: str, ctx: tuple):
    """tok: ("I", prefix); ctx[6:]: a join must go on, *v allowed, *^ allowed; strict; lines allowed."""
    prefix = tok[1] + ch
    if ctx[9] and prefix not in STRICT_INTERP_PREFIXES:
        return None
    if tok[1].startswith("*>"):  # a section label: letters and digits
        return ("I", prefix) if ch in SECTION_CHARS and len(prefix) <= 2 + MAX_SECTION else None
    if prefix not in INTERP_PREFIXES:
        return None
    if prefix == "*v" and not ctx[7] or prefix == "*^" and not ctx[8] or ctx[6] and prefix not in ("*", "*v"):
        return None
    return ("I", prefix)


def _interp_can_end(tok: tuple, ctx: tuple) -> bool:
    label = tok[1].startswith("*>") and len(tok[1]) > 2
    words = STRICT_INTERPRETATIONS if ctx[9] else INTERPRETATIONS
    return (label or tok[1] in words and tok[1] != "*>") and (tok[1] == "*v" or not ctx[6])


def _apply_interpretations(spines: tuple, words: tuple, join=lambda run: run[0]) -> tuple:
    """Spine values after an interpretation line: *^ doubles, a run of *v becomes join(run)."""
    out, i = [], 0
    while i < len(words):
        if words[i] == "*v":
            j = i
            while j < len(words) and words[j] == "*v":
                j += 1
            out.append(join(spines[i:j]))
            i = j
            continue
        out += [spines[i]] * (2 if words[i] == "*^" else 1)
        i += 1
    return tuple(out)


def _end_data_line(s: LineState, durations: tuple) -> tuple:
    """Each spine's remaining duration after a data line whose fields start `durations`."""
    rem = [r if d is None else d for r, d in zip(s.remaining, durations)]
    ends = [
        r if d is None else d
        for r, d, (t, _) in zip(s.remaining, durations, s.spines)
        if t == "kern" and (d is not None or r > 0)
    ]  # a null with nothing sounding sets no time
    step = min(ends) if ends else Fraction(0)
    return tuple(
        max(r - step, Fraction(0)) if t == "kern" else Fraction(0) for r, (t, _) in zip(rem, s.spines)
    )


def _strict_duration_ok(tok: tuple, ch: str, limit) -> bool:
    """Strict durations: from STRICT_DURATIONS (and at most `limit` long while closing), at most
    one dot and none on UNDOTTED."""
    k = tok[0]
    if k in "FSP":
        if ch in PITCHES:
            return False
        if not ch.isdigit():
            return True
    allowed = STRICT_DURATIONS
    if k in "FSPD" and ch.isdigit():
        prefix = (tok[1] if k == "D" else "") + ch
        return any(d.startswith(prefix) and (limit is None or _recip_quarters(d) <= limit) for d in allowed)
    if k == "D" and ch == ".":
        return tok[1] not in UNDOTTED and (limit is None or _recip_quarters(tok[1], 1) <= limit)
    if k == "O" and ch == ".":
        return False
    if k in "DO" and limit is not None:
        digits, dots = (tok[1], 0) if k == "D" else (None, tok[1])
        if digits is None:
            return True  # a dot was only allowed within the limit
        return digits in allowed and _recip_quarters(digits) <= limit
    return True


def _end_field(s: LineState, ch: str, ctx: tuple) -> LineState | None:
    """The state after a tab (the next field) or a line end, or None when the field or the line
    cannot end here."""
    kind, tok = s.kind, s.tok
    durations = s.durations
    if kind == "interp":
        if not _interp_can_end(tok, ctx):
            return None
        words = s.words + (tok[1],)
    else:
        if not (
            _kern_can_end(tok) if ctx[0] == "kern" else tok[0] in "U" or tok[0] == "W" and tok[1] in DYNAMICS
        ):
            return None
        words = ()
        durations += (None if tok[0] == "U" or ctx[0] != "kern" else field_quarters(s.text),)
    if ch == "\t":
        if ctx[1]:
            return None
        return LineState(
            s.spines,
            kind,
            s.field + 1,
            ("I", "") if kind == "interp" else ("F",),
            words,
            s.notes,
            s.remaining,
            "",
            durations,
            s.strict,
            s.interp_lines,
            s.max_spines,
            s.zero_lines,
        )
    if not ctx[1]:
        return None
    if kind == "interp":
        return LineState(
            _apply_interpretations(s.spines, words),
            notes=s.notes,
            remaining=_apply_interpretations(s.remaining, words, min),
            strict=s.strict,
            max_spines=s.max_spines,
            interp_lines=s.interp_lines + 1,
            zero_lines=s.zero_lines,
        )
    remaining = _end_data_line(s, durations)
    took_no_time = any(d == 0 for d in durations if d is not None)  # a grace note holds the line at 0
    return LineState(
        s.spines,
        notes=s.notes,
        remaining=remaining,
        strict=s.strict,
        max_spines=s.max_spines,
        zero_lines=s.zero_lines + 1 if took_no_time else 0,
    )


def advance(s: LineState, ch: str, ctx: tuple | None = None) -> LineState | None:
    """The state after `ch`, or None when `ch` would break the line."""
    ctx = _context(s) if ctx is None else ctx
    if s.kind == "bar":
        if ch != "\n":
            return None
        return LineState(
            s.spines, notes=s.notes, remaining=s.remaining, strict=s.strict, max_spines=s.max_spines
        )
    if s.kind == "start":
        if ch == BARLINE:
            if not ctx[3]:
                return None
            return LineState(
                s.spines,
                "bar",
                notes=s.notes,
                remaining=s.remaining,
                strict=s.strict,
                max_spines=s.max_spines,
            )
        if ch == "*":
            tok = _interp_next(("I", ""), ch, ctx) if ctx[10] else None
            return (
                LineState(
                    s.spines,
                    "interp",
                    0,
                    tok,
                    (),
                    s.notes,
                    s.remaining,
                    strict=s.strict,
                    max_spines=s.max_spines,
                    interp_lines=s.interp_lines,
                    zero_lines=s.zero_lines,
                )
                if tok
                else None
            )
        s = LineState(
            s.spines,
            "data",
            0,
            ("F",),
            (),
            s.notes,
            s.remaining,
            strict=s.strict,
            max_spines=s.max_spines,
            zero_lines=s.zero_lines,
        )
    kind, tok = s.kind, s.tok
    if ch in "\t\n":
        return _end_field(s, ch, ctx)
    if kind == "interp":
        tok = _interp_next(tok, ch, ctx)
        return (
            None
            if tok is None
            else LineState(
                s.spines,
                kind,
                s.field,
                tok,
                s.words,
                s.notes,
                s.remaining,
                strict=s.strict,
                interp_lines=s.interp_lines,
                max_spines=s.max_spines,
                zero_lines=s.zero_lines,
            )
        )
    if ctx[0] == "kern":
        if tok[0] == "F" and (ctx[2] and ch != "." or ctx[4] and ch == "."):
            return None  # a note still sounding: only a null; strict and nothing sounding: no null
        if s.strict and not _strict_duration_ok(tok, ch, ctx[-1]):
            return None  # strict: every note has a duration from STRICT_DURATIONS (closing: short enough)
        if ch == "q" and not ctx[5]:
            return None  # strict: a limit on grace-note lines in a row
        new = _kern_next(tok, ch)
        notes = s.notes + (new is not None and new[0] == "N" and new[2] == 1)
    else:
        new, notes = _dynam_next(tok, ch), s.notes
    return (
        None
        if new is None
        else LineState(
            s.spines,
            kind,
            s.field,
            new,
            s.words,
            notes,
            s.remaining,
            s.text + ch,
            s.durations,
            s.strict,
            max_spines=s.max_spines,
            zero_lines=s.zero_lines,
        )
    )


LOOKAHEAD = 10  # characters the mask looks ahead for dead ends


class KernGrammar:
    """Masks over a character vocabulary: `mask(state)` is a boolean array, True where the
    character keeps the line valid; `step(state, char_id)` moves on. Masks are cached."""

    def __init__(self, chars: str | list[str]):
        self.chars = list(chars)
        self._cache: dict = {}

    def mask(self, s: LineState, depth: int = 0) -> np.ndarray:
        """Characters that keep the line valid and, looking up to LOOKAHEAD characters on, can
        still finish it with this vocabulary (no dead ends such as `*c` without an `l`)."""
        ctx = _context(s)
        key = (s.kind, s.tok, ctx)
        m = self._cache.get(key)
        if m is None:
            m = np.zeros(len(self.chars), dtype=bool)
            for i, c in enumerate(self.chars):
                nxt = advance(s, c, ctx) if len(c) == 1 else None
                m[i] = nxt is not None and (
                    c == "\n" or depth >= LOOKAHEAD or self.mask(nxt, depth + 1).any()
                )
            self._cache[key] = m
        return m

    def step(self, s: LineState, char_id: int) -> LineState | None:
        """The state after character `char_id`, or None when it breaks the line."""
        return advance(s, self.chars[char_id])


def check_body(
    lines, layout=("kern", "kern", "dynam"), origins=None, strict: int = 0
) -> tuple[list[dict], LineState]:
    """Check prepared body lines (`@` barlines, no header, no terminators); returns the errors
    (line number from 1, column from 1, the line, the reason) and the final state. After a
    broken line the spines stay as they were before it. A barline may also be written with one
    `@` field per spine (`@<tab><tab>` for three spines, as a finished file's `=` lines)."""
    s, errors = initial_state(layout, origins, strict), []
    for n, line in enumerate(lines, 1):
        start = s
        if line.startswith(BARLINE) and "\t" in line:
            if line.count("\t") + 1 != len(s.spines):
                errors.append(
                    {
                        "line": n,
                        "column": 1,
                        "text": line[:120],
                        "reason": f"{line.count(chr(9)) + 1} barline fields where {len(s.spines)} spines "
                        "are active",
                    }
                )
            line = BARLINE
        for col, ch in enumerate(line + "\n", 1):
            nxt = advance(s, ch)
            if nxt is None:
                n_fields = line.count("\t") + 1
                reason = (
                    f"{n_fields} fields where {len(start.spines)} spines are active"
                    if n_fields != len(start.spines) and not line.startswith(BARLINE)
                    else f"{ch!r} not allowed here"
                )
                errors.append({"line": n, "column": col, "text": line[:120], "reason": reason})
                s = LineState(
                    start.spines,
                    notes=start.notes,
                    remaining=start.remaining,
                    strict=start.strict,
                    max_spines=start.max_spines,
                )
                break
            s = nxt
    return errors, s
