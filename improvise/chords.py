"""Chord symbols as users and data sets write them: `C7`, `Bb-7`, `F#m7b5`, `Ebmaj7`, `Ebj7`,
`G7alt`, `C7#9`, `D/F#`, `N.C.`, `C-6`, `Bbo7`, `A7sus4`, `Gb07`, `F^7`, `Cø7` ...

`parse_chord(text)` gives a `ChordSymbol`: root pitch class, a base quality (a key of
`improvise.music.QUALITIES`), extensions and alterations, and a bass note; `pitch_classes`
is the set a melody model or a metric can test against. The grammar is a table of spellings,
so an unknown one is reported, never guessed. (music21's `harmony.ChordSymbol` agrees on the
pitch classes of what both read; a test checks that.)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from improvise.music import PITCH_CLASS_NAMES, QUALITIES, Chord, parse_pitch_class
from improvise.errors import ConfigError

# spelling of the quality (after normalising the aliases below) -> (base quality, extensions)
_QUALITY_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("", ()), "m": ("m", ()), "dim": ("dim", ()), "aug": ("aug", ()), "sus": ("sus4", ()),
    "sus4": ("sus4", ()), "sus2": ("", ("sus2",)), "5": ("", ("no3",)),
    "6": ("6", ()), "m6": ("m6", ()), "69": ("6", ("9",)), "m69": ("m6", ("9",)), "mb6": ("m", ("b13",)),
    "add9": ("", ("9",)), "madd9": ("m", ("9",)), "2": ("", ("9",)),
    "7": ("7", ()), "9": ("7", ("9",)), "11": ("7", ("9", "11")), "13": ("7", ("9", "13")),
    "maj7": ("maj7", ()), "maj9": ("maj7", ("9",)), "maj11": ("maj7", ("9", "11")), "maj13": ("maj7", ("9", "13")),
    "m7": ("m7", ()), "m9": ("m7", ("9",)), "m11": ("m7", ("9", "11")), "m13": ("m7", ("9", "13")),
    "mmaj7": ("mmaj7", ()), "mmaj9": ("mmaj7", ("9",)),
    "m7b5": ("m7b5", ()), "m9b5": ("m7b5", ("9",)), "m11b5": ("m7b5", ("11",)),
    "dim7": ("dim7", ()), "7sus4": ("7sus4", ()), "9sus4": ("7sus4", ("9",)), "13sus4": ("7sus4", ("9", "13")),
    "7alt": ("7", ("b9", "#9", "#11", "b13")), "alt": ("7", ("b9", "#9", "#11", "b13")),
    "maug": ("m", ("#5",)), "augmaj7": ("maj7", ("#5",)), "aug7": ("7", ("#5",)),
}
# spelling variants, rewritten in this order at the start of the quality (regex, replacement)
_REWRITES = [
    (r"^(ø|h)7?", "m7b5"),
    (r"^(dim|o|°|0)7", "dim7"),
    (r"^(o|°|0)", "dim"),
    (r"^(min|mi|-)", "m"),
    (r"^m(maj|Maj|MA|Ma|ma|M|j|\^|Δ)(?=7|9|11|13)", "mmaj"),
    (r"^(maj|Maj|MAJ|MA|Ma|ma|M|j|\^|Δ)(?=7|9|11|13)", "maj"),
    (r"^(\^|Δ)$", "maj7"),
    (r"^(Maj|MAJ|maj)$", ""),
    (r"^\+", "aug"),
    (r"^(7|9|13)\+", r"\1#5"),
]
_ALTERATION = re.compile(r"(add)?([b#])(5|9|11|13)|add(9|11|13)|\((.*?)\)")
EXTENSION_INTERVALS = {"b9": 1, "9": 2, "#9": 3, "11": 5, "#11": 6, "b13": 8, "13": 9, "b5": 6, "#5": 8,
                       "sus2": 2}
NO_CHORD = ("N.C.", "NC", "N.C", "n.c.", "x")


class ChordParseError(ValueError):
    """A chord symbol this grammar does not know."""


@dataclass(frozen=True)
class ChordSymbol:
    root: int | None  # pitch class; None for N.C. (no chord)
    quality: str = ""  # key of improvise.music.QUALITIES
    extensions: tuple[str, ...] = ()  # '9', 'b9', '#11', '#5', 'sus2', 'no3' ...
    bass: int | None = None  # pitch class of a slash bass
    text: str = ""  # as written

    @property
    def is_no_chord(self) -> bool:
        return self.root is None

    @property
    def pitch_classes(self) -> frozenset[int]:
        if self.root is None:
            return frozenset()
        intervals = set(QUALITIES[self.quality])
        if "b5" in self.extensions or "#5" in self.extensions:
            intervals.discard(7)
        if "sus2" in self.extensions:
            intervals.discard(4)
            intervals.discard(3)
        if "no3" in self.extensions:
            intervals -= {3, 4}
        intervals |= {EXTENSION_INTERVALS[e] for e in self.extensions if e in EXTENSION_INTERVALS}
        pcs = {(self.root + i) % 12 for i in intervals}
        if self.bass is not None:
            pcs.add(self.bass)
        return frozenset(pcs)

    def voicing(self, low: int = 48) -> list[int]:
        """Close voicing of the pitch classes in [low, low + 11], sorted (none for N.C.)."""
        return sorted(low + (pc - low) % 12 for pc in self.pitch_classes)

    def transpose(self, semitones: int) -> "ChordSymbol":
        if self.root is None:
            return self
        bass = None if self.bass is None else (self.bass + semitones) % 12
        return ChordSymbol((self.root + semitones) % 12, self.quality, self.extensions, bass, "")

    @property
    def symbol(self) -> str:
        """A canonical spelling, e.g. 'Bbm7', 'G7(b9,#9,#11,b13)', 'D/F#'."""
        if self.root is None:
            return "N.C."
        ext = f"({','.join(self.extensions)})" if self.extensions else ""
        bass = f"/{PITCH_CLASS_NAMES[self.bass]}" if self.bass is not None else ""
        return f"{PITCH_CLASS_NAMES[self.root]}{self.quality}{ext}{bass}"

    def base(self) -> Chord:
        """The chord without extensions or bass, as an improvise.music.Chord."""
        if self.root is None:
            raise ConfigError("N.C. has no chord")
        return Chord(self.root, self.quality)

    def __str__(self) -> str:
        return self.symbol


def _normalise_quality(q: str) -> tuple[str, bool]:
    """Canonical spelling of a quality and whether it is suspended (sus / sus4)."""
    for pattern, replacement in _REWRITES:
        q = re.sub(pattern, replacement, q)
    sus = False
    if "sus2" not in q and "sus" in q:
        q = q.replace("sus4", "").replace("sus", "")
        sus = True
    return q, sus


def parse_chord(text: str) -> ChordSymbol:
    """Parse one chord symbol; raises ChordParseError naming the symbol when it cannot."""
    raw = text
    text = text.strip()
    if text in NO_CHORD:
        return ChordSymbol(None, text=raw)
    m = re.match(r"^([A-Ga-g])([b#♭♯]?)(.*)$", text)
    if not m:
        raise ChordParseError(f"not a chord symbol: {raw!r}")
    root = parse_pitch_class(m.group(1).upper() + m.group(2))
    rest = m.group(3).replace("(maj7)", "maj7").replace("/maj7", "maj7").strip()
    bass = None
    if "/" in rest:
        rest, bass_text = rest.rsplit("/", 1)
        try:
            bass = parse_pitch_class(bass_text)
        except ValueError:
            raise ChordParseError(f"bad bass note in {raw!r}") from None
    q, sus = _normalise_quality(rest)
    extensions: list[str] = []
    # split off alterations: b9, #11, #5, b13, add9, (b9,#11) ...
    base = q
    for n in range(len(q) + 1):  # the longest prefix that is in the table wins
        if q[:len(q) - n] in _QUALITY_TABLE:
            base = q[:len(q) - n]
            tail = q[len(q) - n:]
            break
    else:
        raise ChordParseError(f"unknown chord quality in {raw!r}")
    quality, ext = _QUALITY_TABLE[base]
    extensions += ext
    pos = 0
    while pos < len(tail):
        m2 = _ALTERATION.match(tail, pos)
        if not m2:
            if tail[pos] in ", ":
                pos += 1
                continue
            raise ChordParseError(f"unknown chord quality in {raw!r}")
        if m2.group(5) is not None:  # a parenthesised list
            for part in m2.group(5).replace(" ", ",").split(","):
                if part:
                    if part.lstrip("add") not in EXTENSION_INTERVALS:
                        raise ChordParseError(f"unknown extension {part!r} in {raw!r}")
                    extensions.append(part.lstrip("add"))
        elif m2.group(4):
            extensions.append(m2.group(4))
        else:
            extensions.append(m2.group(2) + m2.group(3))
        pos = m2.end()
    if quality == "" and any(e in ("b9", "#9", "#11", "b13", "13") for e in extensions):
        quality = "7"  # C(b9) and friends are dominant in practice
    if sus:
        if quality not in ("", "7"):
            raise ChordParseError(f"a suspended {quality} chord is not supported: {raw!r}")
        quality = "sus4" if quality == "" else "7sus4"
    if quality not in QUALITIES:
        raise ChordParseError(f"unknown chord quality in {raw!r}")
    return ChordSymbol(root, quality, tuple(dict.fromkeys(extensions)), bass, raw)


_WJD_EXTENSIONS = re.compile(r"(13|11|9|5)([#b]?)")


def parse_wjd_chord(text: str) -> ChordSymbol:
    """A Weimar Jazz Database chord: its alterations follow the number (`C79b` = C7(b9),
    `Ebj7911#` = Ebmaj7(9,#11), `Fsus7913` = F7sus4(9,13)); `-` is minor, `j` major, `NC` none."""
    m = re.match(r"^([A-G][b#]?)(\+j|\+|-j|-|j|o|m7b5|sus|)(7|6|)(.*?)(/[A-G][b#]?)?$", text.strip())
    if not m:
        return parse_chord(text)
    root, kind, seventh, tail, bass = m.groups()
    exts = []
    pos = 0
    while pos < len(tail):
        e = _WJD_EXTENSIONS.match(tail, pos)
        if not e:
            return parse_chord(text)  # not WJD's postfix style: the general grammar decides
        exts.append(e.group(2) + e.group(1))
        pos = e.end()
    spelled = root + {"+": "aug" if not seventh else "7#5" if seventh == "7" else "aug", "-j": "mmaj", "+j": "augmaj",
                      "-": "m", "j": "maj", "o": "dim", "m7b5": "m7b5", "sus": "sus", "": ""}[kind]
    if kind == "+" and seventh == "7":
        seventh = ""
    elif kind == "sus" and seventh:
        spelled = root + seventh + "sus4"
        seventh = ""
    elif kind == "j" and not seventh:
        spelled = root  # 'Cj' = major triad
    symbol = spelled + seventh + (f"({','.join(exts)})" if exts else "") + (bass or "")
    chord = parse_chord(symbol)
    return ChordSymbol(chord.root, chord.quality, chord.extensions, chord.bass, text)
