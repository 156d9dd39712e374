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
sound no longer than the shorter. The duration of a chord is its first note's; a grace note (`q`)
lasts nothing.

The state is a small immutable tuple, so `KernGrammar.mask()` results are cached by (line kind, token
state, context flags) and cost one dictionary look-up per character once warm. The words live in
improvise.kern.vocabulary, the token states inside one field in improvise.kern.fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from improvise.core.errors import ConfigError
from improvise.kern.fields import (
    dynam_next,
    field_quarters,
    interp_can_end,
    interp_next,
    kern_can_end,
    kern_next,
    strict_duration_ok,
)
from improvise.kern.vocabulary import BARLINE, DYNAMICS

MAX_SPINES = 8  # active spines a split may reach (the corpora reach 7 once)
STRICT, CLOSING = 1, 2  # LineState.strict
MAX_STRICT_GRACE_LINES = 4  # grace-note lines in a row while sampling
MAX_STRICT_INTERP_LINES = 2  # interpretation lines in a row while sampling


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
    # 0 as Humdrum allows; STRICT while sampling; CLOSING: strict, and bringing the spines together
    strict: int = 0
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


def _limit(s: LineState, i: int):
    """While closing: the longest a new note in field i may last (until the last sounding note
    ends), so that the spines come to end together; None otherwise."""
    if s.strict != CLOSING or i >= len(s.spines) or s.spines[i][0] != "kern" or s.remaining[i]:
        return None
    longest = max((r for r, (t, _) in zip(s.remaining, s.spines) if t == "kern"), default=Fraction(0))
    return longest or None


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


def _end_field(s: LineState, ch: str, ctx: tuple) -> LineState | None:
    """The state after a tab (the next field) or a line end, or None when the field or the line
    cannot end here."""
    kind, tok = s.kind, s.tok
    durations = s.durations
    if kind == "interp":
        if not interp_can_end(tok, ctx):
            return None
        words = s.words + (tok[1],)
    else:
        if not (
            kern_can_end(tok) if ctx[0] == "kern" else tok[0] in "U" or tok[0] == "W" and tok[1] in DYNAMICS
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


def _new_line(s: LineState, kind: str = "start") -> LineState:
    """A line of `kind` after a finished one: spines, notes, rhythm and limits carried, the counts of
    interpretation and grace-note lines in a row back to 0."""
    return LineState(
        s.spines, kind, notes=s.notes, remaining=s.remaining, strict=s.strict, max_spines=s.max_spines
    )


def _start_interp(s: LineState, ctx: tuple) -> LineState | None:
    """The state after the `*` that starts an interpretation line, or None when none may come here."""
    tok = interp_next(("I", ""), "*", ctx) if ctx[10] else None
    if not tok:
        return None
    return LineState(
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


def _start_data(s: LineState) -> LineState:
    """A data line at its first field, before its first character is read."""
    return LineState(
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


def _interp_char(s: LineState, ch: str, ctx: tuple) -> LineState | None:
    """The state after `ch` inside an interpretation field, or None."""
    tok = interp_next(s.tok, ch, ctx)
    if tok is None:
        return None
    return LineState(
        s.spines,
        s.kind,
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


def _data_char(s: LineState, ch: str, ctx: tuple) -> LineState | None:
    """The state after `ch` inside a **kern or **dynam data field, or None; **kern fields also
    answer to the rhythm (nulls while a note sounds) and, strict, to the sampling limits."""
    tok = s.tok
    if ctx[0] == "kern":
        if tok[0] == "F" and (ctx[2] and ch != "." or ctx[4] and ch == "."):
            return None  # a note still sounding: only a null; strict and nothing sounding: no null
        if s.strict and not strict_duration_ok(tok, ch, ctx[-1]):
            return None  # strict: every note has a duration from STRICT_DURATIONS (closing: short enough)
        if ch == "q" and not ctx[5]:
            return None  # strict: a limit on grace-note lines in a row
        new = kern_next(tok, ch)
        notes = s.notes + (new is not None and new[0] == "N" and new[2] == 1)
    else:
        new, notes = dynam_next(tok, ch), s.notes
    if new is None:
        return None
    return LineState(
        s.spines,
        s.kind,
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


def advance(s: LineState, ch: str, ctx: tuple | None = None) -> LineState | None:
    """The state after `ch`, or None when `ch` would break the line."""
    ctx = _context(s) if ctx is None else ctx
    if s.kind == "bar":
        return _new_line(s) if ch == "\n" else None
    if s.kind == "start":
        if ch == BARLINE:
            return _new_line(s, "bar") if ctx[3] else None
        if ch == "*":
            return _start_interp(s, ctx)
        s = _start_data(s)
    if ch in "\t\n":
        return _end_field(s, ch, ctx)
    if s.kind == "interp":
        return _interp_char(s, ch, ctx)
    return _data_char(s, ch, ctx)


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
                s = _new_line(start)
                break
            s = nxt
    return errors, s
