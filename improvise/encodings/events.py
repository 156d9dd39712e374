"""Monophonic melody events on a step grid, as Magenta's melody encodings (layout in
`MelodyEventEncoding`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from improvise.core.errors import ConfigError
from improvise.core.music import Note, Tune, fold_into


@dataclass(frozen=True)
class MelodyEventEncoding:
    """Monophonic melody events on a grid, as Magenta's melody encodings (one event a step).

    Event ids, index by index (`n_events` = 2 + max_pitch - min_pitch + 1; 39 by default):

        0      NO_EVENT: the previous note (or rest) goes on
        1      NOTE_OFF: silence starts here
        2 + k  NOTE_ON of MIDI pitch min_pitch + k

    Pitches outside [min_pitch, max_pitch] are moved by octaves into the range.
    """

    min_pitch: int = 48  # C3
    max_pitch: int = 84  # C6

    def __post_init__(self) -> None:
        if not (
            isinstance(self.min_pitch, int)
            and isinstance(self.max_pitch, int)
            and 0 <= self.min_pitch
            and self.min_pitch + 11 <= self.max_pitch <= 127
        ):
            raise ConfigError(
                f"pitch range [{self.min_pitch}, {self.max_pitch}] must lie in MIDI 0-127 "
                "and span an octave at least"
            )

    NO_EVENT = 0
    NOTE_OFF = 1

    @property
    def n_events(self) -> int:
        return 2 + self.max_pitch - self.min_pitch + 1

    def fold(self, pitch: int) -> int:
        return fold_into(pitch, self.min_pitch, self.max_pitch)

    def tune_to_events(self, tune: Tune) -> np.ndarray:
        ev = np.full(tune.steps, self.NO_EVENT, dtype=np.int64)
        if tune.steps:
            ev[0] = self.NOTE_OFF
        for note in sorted(tune.melody, key=lambda n: n.start):
            if not 0 <= note.start < tune.steps:
                continue
            ev[note.start] = 2 + self.fold(note.pitch) - self.min_pitch
            end = note.start + note.length
            if end < tune.steps and ev[end] == self.NO_EVENT:
                ev[end] = self.NOTE_OFF
        return ev

    def events_to_notes(self, events: np.ndarray) -> list[Note]:
        notes, start, pitch = [], None, None
        for t, e in enumerate(list(events) + [self.NOTE_OFF]):
            if e != self.NO_EVENT and start is not None:
                notes.append(Note(pitch, start, t - start))
                start = None
            if e >= 2:
                start, pitch = t, self.min_pitch + int(e) - 2
        return notes
