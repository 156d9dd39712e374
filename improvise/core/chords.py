"""Chord symbols as users and data sets write them: `C7`, `Bb-7`, `F#m7b5`, `Ebmaj7`, `Ebj7`,
`G7alt`, `C7#9`, `D/F#`, `N.C.`, `C-6`, `Bbo7`, `A7sus4`, `Gb07`, `F^7`, `Cø7` ...

`parse_chord(text)` gives a `ChordSymbol`: root pitch class, a base quality (a key of
`improvise.core.music.QUALITIES`), extensions and alterations, and a bass note; `pitch_classes`
is the set a melody model or a metric can test against. The grammar is a table of spellings,
so an unknown one is reported, never guessed. (music21's `harmony.ChordSymbol` agrees on the
pitch classes of what both read; a test checks that.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from improvise.core.errors import ConfigError
from improvise.core.music import PITCH_CLASS_NAMES, QUALITIES, Chord, parse_pitch_class

# spelling of the quality (after normalising the aliases below) -> (base quality, extensions)
_QUALITY_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("", ()),
    "m": ("m", ()),
    "dim": ("dim", ()),
    "aug": ("aug", ()),
    "sus": ("sus4", ()),
    "sus4": ("sus4", ()),
    "sus2": ("", ("sus2",)),
    "5": ("", ("no3",)),
    "6": ("6", ()),
    "m6": ("m6", ()),
    "69": ("6", ("9",)),
    "m69": ("m6", ("9",)),
    "mb6": ("m", ("b13",)),
    "add9": ("", ("9",)),
    "madd9": ("m", ("9",)),
    "2": ("", ("9",)),
    "7": ("7", ()),
    "9": ("7", ("9",)),
    "11": ("7", ("9", "11")),
    "13": ("7", ("9", "13")),
    "maj7": ("maj7", ()),
    "maj9": ("maj7", ("9",)),
    "maj11": ("maj7", ("9", "11")),
    "maj13": ("maj7", ("9", "13")),
    "m7": ("m7", ()),
    "m9": ("m7", ("9",)),
    "m11": ("m7", ("9", "11")),
    "m13": ("m7", ("9", "13")),
    "mmaj7": ("mmaj7", ()),
    "mmaj9": ("mmaj7", ("9",)),
    "mmaj11": ("mmaj7", ("9", "11")),
    "mmaj13": ("mmaj7", ("9", "13")),
    "m7b5": ("m7b5", ()),
    "m9b5": ("m7b5", ("9",)),
    "m11b5": ("m7b5", ("11",)),
    "dim7": ("dim7", ()),
    "7sus4": ("7sus4", ()),
    "9sus4": ("7sus4", ("9",)),
    "13sus4": ("7sus4", ("9", "13")),
    "7sus2": ("7", ("sus2",)),
    "7alt": ("7", ("b9", "#9", "#11", "b13")),
    "alt": ("7", ("b9", "#9", "#11", "b13")),
    "maug": ("m", ("#5",)),
    "augmaj7": ("maj7", ("#5",)),
    "aug7": ("7", ("#5",)),
    "aug9": ("7", ("9", "#5")),
}
# spelling variants, rewritten in this order at the start of the quality (regex, replacement)
_REWRITES = [
    (r"^(ø|h)9", "m9b5"),
    (r"^(ø|h)7?", "m7b5"),
    (r"^(dim|o|°|0)7", "dim7"),
    (r"^(o|°|0)", "dim"),
    (r"^(min|mi|-)", "m"),
    (r"^m\+", "maug"),
    (r"^m(maj|Maj|MA|Ma|ma|M|j|\^|Δ)(?=7|9|11|13)", "mmaj"),
    (r"^(maj|Maj|MAJ|MA|Ma|ma|M|j|\^|Δ)(?=7|9|11|13)", "maj"),
    (r"^(\^|Δ)$", "maj7"),
    (r"^(Maj|MAJ|maj|Ma|M)(?=6|$)", ""),  # CM, CM6, CM69: the major triad and its sixths
    (r"^(\+|aug)(maj|Maj|M|j|\^|Δ)7", "augmaj7"),
    (r"^\+", "aug"),
    (r"^(7|9|13)\+", r"\1#5"),
]
# an alteration after the quality: b9, #11, +5, -9, b6 (= b13), #4 (= #11), add9, add2, or a
# parenthesised list of them
_ALTERATION = re.compile(r"(add)?([b#+\-])(4|5|6|9|11|13)|add(2|4|6|9|11|13)|\((.*?)\)")
_SAME_DEGREE = {
    "b6": "b13",
    "#4": "#11",
    "2": "9",
    "4": "11",
    "6": "13",
    "+5": "#5",
    "-5": "b5",
    "+9": "#9",
    "-9": "b9",
    "+11": "#11",
    "-13": "b13",
    "#6": "b13",
    "b4": "11",
}
_ALTERS = {"b9": "9", "#9": "9", "#11": "11", "b13": "13"}  # an alteration replaces the implied natural
EXTENSION_INTERVALS = {
    "b9": 1,
    "9": 2,
    "#9": 3,
    "11": 5,
    "#11": 6,
    "b13": 8,
    "13": 9,
    "b5": 6,
    "#5": 8,
    "sus2": 2,
}
NO_CHORD = ("N.C.", "NC", "N.C", "n.c.", "x", "nc", "n.c", "NC.")


class ChordParseError(ValueError):
    """A chord symbol this grammar does not know."""


@dataclass(frozen=True)
class ChordSymbol:
    root: int | None  # pitch class; None for N.C. (no chord)
    quality: str = ""  # key of improvise.core.music.QUALITIES
    extensions: tuple[str, ...] = ()  # '9', 'b9', '#11', '#5', 'sus2', 'no3' ...
    bass: int | None = None  # pitch class of a slash bass (a polychord: the lower chord's root)
    text: str = ""  # as written
    lower: ChordSymbol | None = None  # a polychord's lower chord (`Eb7\\B6`, `Eb7/B6`)

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
        if self.lower is not None:
            pcs |= self.lower.pitch_classes
        return frozenset(pcs)

    def voicing(self, low: int = 48) -> list[int]:
        """Close voicing of the pitch classes in [low, low + 11], sorted (none for N.C.)."""
        return sorted(low + (pc - low) % 12 for pc in self.pitch_classes)

    def transpose(self, semitones: int) -> ChordSymbol:
        if self.root is None:
            return self
        bass = None if self.bass is None else (self.bass + semitones) % 12
        lower = None if self.lower is None else self.lower.transpose(semitones)
        return ChordSymbol((self.root + semitones) % 12, self.quality, self.extensions, bass, "", lower)

    @property
    def symbol(self) -> str:
        """A canonical spelling, e.g. 'Bbm7', 'G7(b9,#9,#11,b13)', 'D/F#', 'Eb7\\B6' (a polychord)."""
        if self.root is None:
            return "N.C."
        ext = f"({','.join(self.extensions)})" if self.extensions else ""
        if self.lower is not None:
            return f"{PITCH_CLASS_NAMES[self.root]}{self.quality}{ext}\\{self.lower.symbol}"
        bass = f"/{PITCH_CLASS_NAMES[self.bass]}" if self.bass is not None else ""
        return f"{PITCH_CLASS_NAMES[self.root]}{self.quality}{ext}{bass}"

    def base(self) -> Chord:
        """The chord without extensions or bass, as an improvise.core.music.Chord."""
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


def _alterations(tail: str, raw: str) -> list[str]:
    """The extensions written after the quality: `b9#11`, `(b9, #11)`, `add9`, `-5`, `b6` ..."""
    out: list[str] = []
    pos = 0
    while pos < len(tail):
        m = _ALTERATION.match(tail, pos)
        if not m:
            if tail[pos] in ", ":
                pos += 1
                continue
            raise ChordParseError(f"unknown chord quality in {raw!r}")
        if m.group(5) is not None:  # a parenthesised list
            for part in m.group(5).replace(" ", ",").split(","):
                part = part.removeprefix("add")
                part = _SAME_DEGREE.get(part, part)
                if part:
                    if part not in EXTENSION_INTERVALS:
                        raise ChordParseError(f"unknown extension {part!r} in {raw!r}")
                    out.append(part)
        elif m.group(4):
            out.append(_SAME_DEGREE.get(m.group(4), m.group(4)))
        else:
            ext = m.group(2) + m.group(3)
            out.append(_SAME_DEGREE.get(ext, ext))
        pos = m.end()
    return out


def _quality(rest: str, raw: str) -> tuple[str, tuple[str, ...]]:
    """The base quality and extensions of everything after the root (no bass)."""
    q, sus = _normalise_quality(rest)
    for n in range(len(q) + 1):  # the longest prefix that is in the table wins
        if q[: len(q) - n] in _QUALITY_TABLE:
            base, tail = q[: len(q) - n], q[len(q) - n :]
            break
    else:
        raise ChordParseError(f"unknown chord quality in {raw!r}")
    quality, implied = _QUALITY_TABLE[base]
    written = _alterations(tail, raw)
    altered = {_ALTERS[e] for e in written if e in _ALTERS}  # D13b9: the b9 replaces the 13's natural 9
    extensions = [e for e in implied if e not in altered] + written
    if quality == "" and any(e in ("b9", "#9", "#11", "b13", "13") for e in extensions):
        quality = "7"  # C(b9) and friends are dominant in practice
    if quality == "m7" and "b5" in extensions:
        quality, extensions = "m7b5", [e for e in extensions if e != "b5"]
    if sus:
        if quality not in ("", "7"):
            raise ChordParseError(f"a suspended {quality} chord is not supported: {raw!r}")
        quality = "sus4" if quality == "" else "7sus4"
    if quality not in QUALITIES:
        raise ChordParseError(f"unknown chord quality in {raw!r}")
    return quality, tuple(dict.fromkeys(extensions))


def _root(text: str, raw: str) -> tuple[int, str]:
    m = re.match(r"^([A-Ga-g])([b#♭♯]?)(.*)$", text)
    if not m:
        raise ChordParseError(f"not a chord symbol: {raw!r}")
    return parse_pitch_class(m.group(1).upper() + m.group(2)), m.group(3)


def parse_chord(text: str) -> ChordSymbol:
    """Parse one chord symbol; raises ChordParseError naming the symbol when it cannot.

    `X/B` with B a note is a slash chord (B in the bass); `X\\Y`, or `X/Y` with Y a chord
    (`Eb7/B6`), is a polychord, Impro-Visor's notation: X sounding over the chord Y, whose
    root is the bass; its pitch classes are both chords'."""
    raw = text
    text = text.strip().replace("6/9", "69")
    if text in NO_CHORD:
        return ChordSymbol(None, text=raw)
    if len(text) > 40:
        raise ChordParseError(f"not a chord symbol (too long): {raw[:40]!r}...")
    lower = None
    if "\\" in text:
        text, lower_text = text.split("\\", 1)
        lower = parse_chord(lower_text)
        if lower.root is None:
            raise ChordParseError(f"a polychord needs a lower chord: {raw!r}")
    root, rest = _root(text, raw)
    rest = rest.replace("(maj7)", "maj7").replace("/maj7", "maj7").strip()
    bass = None
    if "/" in rest:
        rest, bass_text = rest.rsplit("/", 1)
        try:
            bass = parse_pitch_class(bass_text)
        except ValueError:
            lower = _lower_chord(bass_text, raw)
    quality, extensions = _quality(rest, raw)
    if lower is not None:
        bass = lower.root
    return ChordSymbol(root, quality, extensions, bass, raw, lower)


def _lower_chord(text: str, raw: str) -> ChordSymbol:
    """The part after the slash of `Eb7/B6`: a chord, so the symbol is a polychord."""
    try:
        lower = parse_chord(text)
    except ChordParseError:
        raise ChordParseError(f"bad bass note in {raw!r}") from None
    if lower.root is None or "/" in text or "\\" in text:
        raise ChordParseError(f"bad bass note in {raw!r}")
    return lower


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
    spelled = (
        root
        + {
            "+": "aug" if not seventh else "7#5" if seventh == "7" else "aug",
            "-j": "mmaj",
            "+j": "augmaj",
            "-": "m",
            "j": "maj",
            "o": "dim",
            "m7b5": "m7b5",
            "sus": "sus",
            "": "",
        }[kind]
    )
    if kind == "+" and seventh == "7":
        seventh = ""
    elif kind == "sus" and seventh:
        spelled = root + seventh + "sus4"
        seventh = ""
    elif kind == "j" and not seventh:
        spelled = root  # 'Cj' = major triad
    symbol = spelled + seventh + (f"({','.join(exts)})" if exts else "") + (bass or "")
    chord = parse_chord(symbol)
    return ChordSymbol(chord.root, chord.quality, chord.extensions, chord.bass, text, chord.lower)
