"""Reading a MIDI file for the live engine: a performance to simulate (`live.session`) or a drum
pattern (`live.drums`), bounded in size, every way it can be malformed one line naming it.
"""

from __future__ import annotations

from pathlib import Path

import mido

from improvise.core.checks import check_in_file, file_error

MAX_MIDI_BYTES = 8 << 20  # a performance or drum-pattern MIDI file (hours of dense playing)


def read_midi(path: Path, what: str = "MIDI file") -> mido.MidiFile:
    """A MIDI file, or a one-line UserError naming it: missing, a folder, too big, or anything
    mido cannot parse (truncated, random bytes, bad data bytes, no ticks a beat)."""
    path = check_in_file(path, what)
    size = path.stat().st_size
    if size > MAX_MIDI_BYTES:
        raise file_error(
            path, f"{size / 2**20:.1f} MiB; a {what} of at most {MAX_MIDI_BYTES >> 20} MiB, please"
        )
    try:
        mid = mido.MidiFile(path)
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001  (mido's parser raises many kinds: each means a malformed file)
        raise file_error(path, f"not a readable MIDI file ({str(e)[:120] or type(e).__name__})") from None
    if mid.type not in (0, 1, 2):
        raise file_error(
            path, f"not a readable MIDI file (format {mid.type}; MIDI files are format 0, 1 or 2)"
        )
    if mid.ticks_per_beat < 0:  # the header's division has its top bit set: frames a second, ticks a frame
        raise file_error(path, "SMPTE timing (frames a second) is not supported: save it with ticks a beat")
    if mid.ticks_per_beat == 0:
        raise file_error(path, "not a readable MIDI file (0 ticks a beat)")
    return mid


def timed_messages(mid: mido.MidiFile):
    """(seconds, message) of every message: the tracks merged (types 0 and 1), or played one
    after another, each with its own tempo (type 2: independent sequences)."""
    if mid.type != 2:
        t = 0.0
        for msg in mid:  # merged tracks, delta times in seconds
            t += msg.time
            yield t, msg
        return
    start = 0.0
    for track in mid.tracks:
        tempo, t = 500_000, start
        for msg in track:
            t += mido.tick2second(msg.time, mid.ticks_per_beat, tempo)
            if msg.type == "set_tempo":
                tempo = msg.tempo
            yield t, msg
        start = t
