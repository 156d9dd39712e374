"""Plain music containers on a step grid: pitches, chords, progressions, melodies, tunes.

Nothing here knows about tensors or models. Pitches are MIDI numbers (60 = middle C);
time is counted in grid steps (the blues uses eighth notes: 8 steps a 4/4 bar).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from improvise.core.errors import ConfigError

PITCH_CLASS_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Chord qualities as intervals above the root (semitones). The symbol suffix is the key.
QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),  # major triad
    "m": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus4": (0, 5, 7),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "mmaj7": (0, 3, 7, 11),
    "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "7sus4": (0, 5, 7, 10),
}


def is_chord_tone(pitch: int, chord) -> bool | None:
    """Whether `pitch` is in `chord`'s triad plus seventh (QUALITIES); None under N.C."""
    if getattr(chord, "root", None) is None:
        return None
    return (pitch - chord.root) % 12 in QUALITIES[chord.quality]


def pitch_name(midi: int) -> str:
    """MIDI number to a name with octave, e.g. 60 -> 'C4', 63 -> 'Eb4'."""
    return f"{PITCH_CLASS_NAMES[midi % 12]}{midi // 12 - 1}"


def fold_into(pitch: int, low: int, high: int) -> int:
    """`pitch` moved by whole octaves into [low, high] (a range at least an octave wide)."""
    if high - low < 11:
        raise ValueError(f"[{low}, {high}] is narrower than an octave")
    if pitch < low:
        pitch += 12 * ((low - pitch + 11) // 12)
    elif pitch > high:
        pitch -= 12 * ((pitch - high + 11) // 12)
    return pitch


def parse_pitch_class(name: str) -> int:
    """'C' -> 0, 'Eb' -> 3, 'F#' -> 6. Raises ValueError on anything else."""
    if not name or name[0].upper() not in _LETTER_PC:
        raise ConfigError(f"not a pitch name: {name!r}")
    pc = _LETTER_PC[name[0].upper()]
    for accidental in name[1:]:
        if accidental in "b♭":
            pc -= 1
        elif accidental in "#♯":
            pc += 1
        else:
            raise ConfigError(f"not a pitch name: {name!r}")
    return pc % 12


@dataclass(frozen=True)
class Chord:
    """A chord as a root pitch class (0 = C) and a quality key of QUALITIES."""

    root: int
    quality: str = "7"

    def __post_init__(self) -> None:
        if self.quality not in QUALITIES:
            raise ConfigError(f"unknown chord quality {self.quality!r}")
        object.__setattr__(self, "root", self.root % 12)

    @classmethod
    def parse(cls, symbol: str) -> Chord:
        """Parse a simple symbol: a root ('C', 'Bb', 'F#') and a QUALITIES suffix ('7', 'm7')."""
        symbol = symbol.strip()
        n = 2 if len(symbol) > 1 and symbol[1] in "b#♭♯" else 1
        root = parse_pitch_class(symbol[:n])
        quality = symbol[n:]
        if quality not in QUALITIES:
            raise ConfigError(f"unknown chord quality in {symbol!r}")
        return cls(root, quality)

    @property
    def symbol(self) -> str:
        return PITCH_CLASS_NAMES[self.root] + self.quality

    @property
    def pitch_classes(self) -> frozenset[int]:
        return frozenset((self.root + i) % 12 for i in QUALITIES[self.quality])

    def voicing(self, low: int = 48) -> list[int]:
        """Close voicing with every chord tone in the octave [low, low + 11], sorted."""
        return sorted(low + (pc - low) % 12 for pc in self.pitch_classes)

    def __str__(self) -> str:
        return self.symbol


@dataclass(frozen=True)
class Progression:
    """Chords on a grid: one chord a bar, a bar of `steps_per_bar` steps."""

    bars: tuple[Chord, ...]
    steps_per_bar: int = 8

    @classmethod
    def parse(cls, text: str, steps_per_bar: int = 8) -> Progression:
        """'| C7 | F7 | C7 |' -> Progression (one chord a bar)."""
        symbols = [s for s in text.replace("|", " ").split() if s]
        return cls(tuple(Chord.parse(s) for s in symbols), steps_per_bar)

    @property
    def steps(self) -> int:
        return len(self.bars) * self.steps_per_bar

    def chord_at(self, step: int) -> Chord:
        """The chord sounding at `step`; the progression repeats past its end."""
        return self.bars[(step // self.steps_per_bar) % len(self.bars)]

    def per_step(self, n_steps: int | None = None) -> list[Chord]:
        return [self.chord_at(t) for t in range(self.steps if n_steps is None else n_steps)]

    def __str__(self) -> str:
        return "| " + " | ".join(c.symbol for c in self.bars) + " |"


@dataclass(frozen=True)
class Note:
    """One note: MIDI pitch, onset and length in grid steps, MIDI velocity."""

    pitch: int
    start: int
    length: int = 1
    velocity: int = 96


@dataclass
class Tune:
    """A melody over a chord progression, both on the same grid.

    `chords` holds the chord sounding at each step (so generated music whose chords
    wander from the form is still representable); `melody` holds notes on that grid.
    """

    chords: list[Chord]
    melody: list[Note] = field(default_factory=list)
    steps_per_bar: int = 8
    beats_per_bar: int = 4
    tempo_bpm: float = 120.0

    @property
    def steps(self) -> int:
        return len(self.chords)

    @property
    def steps_per_beat(self) -> int:
        return self.steps_per_bar // self.beats_per_bar

    def chord_spans(self) -> list[tuple[int, int, Chord]]:
        """Runs of the same chord as (start, length, chord)."""
        spans: list[tuple[int, int, Chord]] = []
        for t, chord in enumerate(self.chords):
            if spans and spans[-1][2] == chord:
                start, length, _ = spans[-1]
                spans[-1] = (start, length + 1, chord)
            else:
                spans.append((t, 1, chord))
        return spans
