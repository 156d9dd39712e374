"""MIDI export with mido, following seed 001: chords held in the octave below middle C
(MIDI 48-59), melody from middle C up, two tracks, tempo and time signature set."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import mido

from improvise.core.errors import ConfigError
from improvise.core.music import Tune
from improvise.core.runs import write_bytes

TICKS_PER_BEAT = 480


@dataclass
class MidiStyle:
    chord_program: int = 4  # General MIDI electric piano 1 (0-based program number)
    melody_program: int = 65  # General MIDI alto sax
    chord_low: int = 48  # chords voiced in [chord_low, chord_low + 11]: C3-B3
    chord_velocity: int = 62  # held chords sit under the melody
    strong_velocity: int = 100  # melody notes on steps 0 and 4 of a bar
    weak_velocity: int = 82  # other melody notes
    swing: float = 0.5  # share of a beat taken by its first eighth: 0.5 straight, 0.67 triplet swing
    # (two or four steps a beat: step_to_tick)

    def validate(self) -> None:
        if not 0.5 <= self.swing < 1.0:
            raise ConfigError(f"swing must be in [0.5, 1), not {self.swing}")


def _track(
    name: str, events: list[tuple[int, int, mido.Message]], head: list[mido.MetaMessage]
) -> mido.MidiTrack:
    """Absolute-time events -> a track with delta times; note-offs sort before note-ons."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0), *head])
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def step_to_tick(steps_per_beat: int, swing: float = 0.5, onsets=None):
    """Grid step -> MIDI tick. With two steps a beat and swing s, the off-beat eighth starts
    s of the way through the beat (0.5 = straight eighths). With four steps a beat (the
    soloist's swing-aware grid, data.wjd), a beat whose step 3 holds no onset (in `onsets`, the
    melody's onset steps) is swung: its steps fall at 0, s/2, s and (1 + s)/2 of the beat, so an
    off-beat eighth (step 2) comes at s and a triplet (steps 0, 1, 2) at s = 2/3 is exact; a
    beat with a note on its last sixteenth is a sixteenth run and stays straight."""
    step_ticks = TICKS_PER_BEAT // steps_per_beat
    if steps_per_beat not in (2, 4) or swing == 0.5:
        return lambda step: step * step_ticks
    if steps_per_beat == 2:
        off = int(round(TICKS_PER_BEAT * swing))
        return lambda step: (step // 2) * TICKS_PER_BEAT + (off if step % 2 else 0)
    straight_beats = {t // 4 for t in (onsets or ()) if t % 4 == 3}
    swung = [int(round(TICKS_PER_BEAT * f)) for f in (0.0, swing / 2, swing, (1 + swing) / 2)]
    return lambda step: (
        (step // 4) * TICKS_PER_BEAT
        + (step % 4 * step_ticks if step // 4 in straight_beats else swung[step % 4])
    )


def tune_to_midi(tune: Tune, style: MidiStyle | None = None) -> mido.MidiFile:
    """A type-1 MIDI file: track 0 the chords (with tempo and meter), track 1 the melody."""
    style = style or MidiStyle()
    style.validate()
    tick = step_to_tick(tune.steps_per_beat, style.swing, {n.start for n in tune.melody})
    chord_events: list = [(0, 1, mido.Message("program_change", channel=0, program=style.chord_program))]
    for start, length, chord in tune.chord_spans():
        for pitch in chord.voicing(style.chord_low):
            chord_events.append(
                (
                    tick(start),
                    2,
                    mido.Message("note_on", channel=0, note=pitch, velocity=style.chord_velocity),
                )
            )
            chord_events.append((tick(start + length), 0, mido.Message("note_off", channel=0, note=pitch)))
    melody_events: list = [(0, 1, mido.Message("program_change", channel=1, program=style.melody_program))]
    for note in tune.melody:
        strong = note.start % tune.steps_per_bar in (0, tune.steps_per_bar // 2)
        velocity = style.strong_velocity if strong else style.weak_velocity
        melody_events.append(
            (tick(note.start), 2, mido.Message("note_on", channel=1, note=note.pitch, velocity=velocity))
        )
        melody_events.append(
            (tick(note.start + note.length), 0, mido.Message("note_off", channel=1, note=note.pitch))
        )
    head = [
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tune.tempo_bpm), time=0),
        mido.MetaMessage("time_signature", numerator=tune.beats_per_bar, denominator=4, time=0),
    ]
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    mid.tracks.append(_track("chords", chord_events, head))
    mid.tracks.append(_track("melody", melody_events, []))
    return mid


def write_midi(tune: Tune, path: Path, style: MidiStyle | None = None) -> None:
    """Write `tune` as a MIDI file at `path` (temporary file, then rename)."""
    buf = io.BytesIO()
    tune_to_midi(tune, style).save(file=buf)
    write_bytes(Path(path), buf.getvalue())
