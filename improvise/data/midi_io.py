"""MIDI files into Tunes: one track as the melody, or the highest voice of all tracks (the
"skyline"), quantised to `steps_per_beat` steps a quarter note. MIDI files carry no chord
symbols, so the chord track is N.C."""

from __future__ import annotations

from pathlib import Path

import mido

from improvise.core.chords import ChordSymbol
from improvise.core.errors import UserError
from improvise.core.music import Note, Tune


def read_midi(path: Path, steps_per_beat: int = 4, track: int | None = None) -> Tune:
    """The melody of a MIDI file: `track` (index), or the highest sounding note at each step."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        mid = mido.MidiFile(path)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as e:
        raise UserError(f"{path}: not a readable MIDI file ({e})") from None
    if track is not None and not 0 <= track < len(mid.tracks):
        raise UserError(f"{path}: no track {track} (it has {len(mid.tracks)})")
    tpb = mid.ticks_per_beat
    spans: list[tuple[int, int, int]] = []  # (start tick, end tick, pitch)
    for i, tr in enumerate(mid.tracks):
        if track is not None and i != track:
            continue
        now, sounding = 0, {}
        for msg in tr:
            now += msg.time
            if msg.type == "note_on" and msg.velocity > 0 and msg.channel != 9:
                sounding.setdefault((msg.channel, msg.note), now)
            elif msg.type in ("note_off", "note_on") and (msg.channel, msg.note) in sounding:
                spans.append((sounding.pop((msg.channel, msg.note)), now, msg.note))
    onsets: dict[int, Note] = {}
    for start, end, pitch in spans:
        step = round(start / tpb * steps_per_beat)
        length = max(1, round((end - start) / tpb * steps_per_beat))
        if step not in onsets or pitch > onsets[step].pitch:
            onsets[step] = Note(pitch, step, length)
    if not onsets:
        raise UserError(f"{path}: no notes" + (f" in track {track}" if track is not None else ""))
    melody = sorted(onsets.values(), key=lambda n: n.start)
    bar = 4 * steps_per_beat
    n_steps = -(-(melody[-1].start + melody[-1].length) // bar) * bar
    melody = [
        Note(
            n.pitch,
            n.start,
            min(n.length, (melody[i + 1].start if i + 1 < len(melody) else n_steps) - n.start),
            n.velocity,
        )
        for i, n in enumerate(melody)
    ]
    return Tune(chords=[ChordSymbol(None)] * n_steps, melody=melody, steps_per_bar=bar)
