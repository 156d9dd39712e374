"""Token states inside one field of a **kern body line, read one character at a time: a **kern
field (openers, duration, dots, pitch, accidentals, signifiers, chords), a **dynam field and an
interpretation word; what a strict (sampling) duration may be; a field's duration in quarter notes.
The line grammar (improvise.kern.grammar) decides which field is read and what the rhythm allows."""

from __future__ import annotations

from fractions import Fraction

from improvise.kern.vocabulary import (
    DURATION_PREFIXES,
    DURATIONS,
    DYNAM_PREFIXES,
    DYNAMICS,
    INTERP_PREFIXES,
    INTERPRETATIONS,
    MAX_CHORD,
    MAX_LETTERS,
    MAX_SECTION,
    MAX_SIGNIFIERS,
    OPENERS,
    PITCHES,
    SECTION_CHARS,
    SIGNIFIERS,
    STRICT_DURATIONS,
    STRICT_INTERP_PREFIXES,
    STRICT_INTERPRETATIONS,
    UNDOTTED,
)


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


def recip_quarters(digits: str, dots: int = 0) -> Fraction:
    """A reciprocal duration (`4`, `00`) with `dots` dots, in quarter notes."""
    base = Fraction(8 * 2 ** (len(digits) - 1)) if set(digits) == {"0"} else Fraction(4, int(digits))
    return base * (2 - Fraction(1, 2**dots))


def kern_next(tok: tuple, ch: str):
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


def kern_can_end(tok: tuple) -> bool:
    """Whether a **kern field may end in token state `tok`: a null, a rest, or a note that needs
    no grace `q`."""
    k = tok[0]
    return k in "UR" or (k in "NA" and not tok[3]) or (k == "G" and not tok[2])


def dynam_next(tok: tuple, ch: str):
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


def interp_next(tok: tuple, ch: str, ctx: tuple):
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


def interp_can_end(tok: tuple, ctx: tuple) -> bool:
    """Whether an interpretation field may end at `tok`: a whole word (strict: a sampling word) or a
    section label, and `*v` while a join must go on."""
    label = tok[1].startswith("*>") and len(tok[1]) > 2
    words = STRICT_INTERPRETATIONS if ctx[9] else INTERPRETATIONS
    return (label or tok[1] in words and tok[1] != "*>") and (tok[1] == "*v" or not ctx[6])


def strict_duration_ok(tok: tuple, ch: str, limit) -> bool:
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
        return any(d.startswith(prefix) and (limit is None or recip_quarters(d) <= limit) for d in allowed)
    if k == "D" and ch == ".":
        return tok[1] not in UNDOTTED and (limit is None or recip_quarters(tok[1], 1) <= limit)
    if k == "O" and ch == ".":
        return False
    if k in "DO" and limit is not None:
        digits, dots = (tok[1], 0) if k == "D" else (None, tok[1])
        if digits is None:
            return True  # a dot was only allowed within the limit
        return digits in allowed and recip_quarters(digits) <= limit
    return True
