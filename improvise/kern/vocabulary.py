"""The words of the **kern line grammar (improvise.kern.grammar): pitches, durations, signifiers,
dynamics, and the interpretation words (clefs, key signatures, keys, meters, tempi), each with its
set of prefixes for reading one character at a time, and the narrower tables used while sampling."""

from __future__ import annotations

# sampling: every duration a multiple of 1/24 quarter, so closing can always fill a gap (96 is 1/24)
STRICT_DURATIONS = frozenset(["1", "2", "4", "8", "16", "32", "3", "6", "12", "24", "48", "96"])
UNDOTTED = frozenset(["32", "48", "96"])  # strict: no dot (every duration stays a multiple of 1/24 quarter)
MAX_CHORD = 8  # notes in one **kern field
MAX_SIGNIFIERS = 8  # signifiers after a pitch
BARLINE = "@"
DURATIONS = frozenset(["0", "00"] + [str(n) for n in range(1, 1000)])  # reciprocal: 4 a quarter, 0 a breve
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
# y, X: hidden/editorial
DYNAMICS = frozenset(w + hide for w in DYNAMIC_WORDS for hide in ("", "y", "yy", "X"))
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
    """Every prefix of every word, the empty one included."""
    return frozenset(w[:i] for w in words for i in range(len(w) + 1))


INTERP_PREFIXES = _prefixes(INTERPRETATIONS)
STRICT_INTERPRETATIONS = frozenset(["*", "*^", "*v", "*clefG2", "*clefF4"])  # sampling: spines, clefs
STRICT_INTERP_PREFIXES = _prefixes(STRICT_INTERPRETATIONS)
DYNAM_PREFIXES = _prefixes(DYNAMICS)
DURATION_PREFIXES = _prefixes(DURATIONS)
PITCHES = "abcdefgABCDEFG"
MAX_LETTERS = {c: (4 if c.islower() else 3) for c in PITCHES}  # up to cccc (C7) and CCC (C1)
