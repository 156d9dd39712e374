"""MIDI ports for the engine. Every output goes through `OutPort`, which keeps the notes that
sound so that every note-on gets its note-off and `panic()` can silence them; `MemoryPort` is
an in-memory port for tests and simulations; `open_midi` opens real ports through mido and
python-rtmidi."""

from __future__ import annotations

import os
import sys
from collections import Counter, deque
from contextlib import contextmanager

import mido

from improvise.core.errors import UserError


class OutPort:
    """Wraps anything with `send(msg)`; keeps at most one sounding instance of each (channel,
    note), so that the output is always a clean on/off alternation:

    - a note-on for a note already sounding sends that note's off first (a retrigger);
    - a note-off for a note not sounding is dropped;
    - `panic()` sends an off for every note still sounding, then all-notes-off (CC 123).

    `send` and `panic` return what actually went out, as (role, message), the role being the
    one given with the note-on, so a recording of them has the same pairs as the output.
    A port that fails to send (a network error, a vanished MIDI device) is counted in
    `counts["send_errors"]`, never raised: the show goes on."""

    def __init__(self, port):
        self.port = port
        self.sounding: dict[tuple[int, int], str | None] = {}  # (channel, note) -> role of its note-on
        self.channels: set[int] = set()
        self.counts: Counter = Counter()

    def send(self, msg: mido.Message, role: str | None = None) -> list[tuple[str | None, mido.Message]]:
        """Send `msg` (a note-on started by `role`) by the rules above; returns what went out."""
        out: list[tuple[str | None, mido.Message]] = []
        if msg.type in ("note_on", "note_off"):
            key = (msg.channel, msg.note)
            if key in self.sounding:  # end it: an off asked for, or a retrigger
                out.append(
                    (self.sounding.pop(key), mido.Message("note_off", channel=msg.channel, note=msg.note))
                )
                self.counts["retriggered"] += msg.type == "note_on" and msg.velocity > 0
            if msg.type == "note_on" and msg.velocity > 0:
                self.sounding[key] = role
                self.channels.add(msg.channel)
                out.append((role, msg))
        else:
            out.append((role, msg))
        for _, m in out:
            self._send(m)
        return out

    def _send(self, msg: mido.Message) -> None:
        try:
            self.port.send(msg)
        except (OSError, RuntimeError, SystemError, ValueError):
            self.counts["send_errors"] += 1

    def panic(self) -> list[tuple[str | None, mido.Message]]:
        """A note-off for every sounding note, then all-notes-off on every channel used;
        returns the note-offs sent, with their roles."""
        out = [
            (role, mido.Message("note_off", channel=ch, note=note))
            for (ch, note), role in sorted(self.sounding.items())
        ]
        self.sounding.clear()
        for _, m in out:
            self._send(m)
        for channel in sorted(self.channels):
            self._send(mido.Message("control_change", channel=channel, control=123, value=0))
        return out


class MemoryPort:
    """An in-memory MIDI port: `feed()` queues input, `iter_pending()` drains it; `send()`
    appends (time, message) to `sent`, time from `clock` when one is given."""

    def __init__(self, clock=None):
        self.clock = clock
        self.pending: deque = deque()
        self.sent: list[tuple[float, mido.Message]] = []

    def feed(self, msg: mido.Message) -> None:
        self.pending.append(msg)

    def iter_pending(self):
        while self.pending:
            yield self.pending.popleft()

    def send(self, msg: mido.Message) -> None:
        self.sent.append((self.clock.now() if self.clock else 0.0, msg))

    def sounding(self) -> set[tuple[int, int]]:
        """(channel, note) pairs left on by what was sent, all-notes-off included."""
        on: dict[tuple[int, int], int] = {}
        for _, m in self.sent:
            if m.type == "note_on" and m.velocity > 0:
                on[(m.channel, m.note)] = on.get((m.channel, m.note), 0) + 1
            elif m.type in ("note_on", "note_off") and on.get((m.channel, m.note)):
                on[(m.channel, m.note)] -= 1
            elif m.type == "control_change" and m.control == 123:
                on = {k: v for k, v in on.items() if k[0] != m.channel}
        return {k for k, v in on.items() if v > 0}

    def open_notes(self) -> int:
        """Note-ons sent that no note-off followed (all-notes-off does not count): 0 when every
        note-on got its own note-off."""
        count: dict[tuple[int, int], int] = {}
        for _, m in self.sent:
            key = (m.channel, m.note) if m.type in ("note_on", "note_off") else None
            if key is not None and m.type == "note_on" and m.velocity > 0:
                count[key] = count.get(key, 0) + 1
            elif key is not None and count.get(key):
                count[key] -= 1
        return sum(count.values())


def open_midi(input_name: str | None, output_name: str | None, virtual: bool = False):
    """Real ports through mido (python-rtmidi); `virtual` creates ports of those names for
    other programs to connect to (ALSA, CoreMIDI). A one-line UserError when the system has
    no MIDI (no ALSA sequencer, say) or no port of that name."""
    inp = out = None
    try:
        with quiet_stderr():
            inp = mido.open_input(input_name, virtual=virtual) if input_name is not None else None
            out = mido.open_output(output_name, virtual=virtual) if output_name is not None else None
    except Exception as e:  # noqa: BLE001  (rtmidi raises its own error classes; all mean "no such port")
        if inp is not None:
            inp.close()
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        flag = "--midi-out" if inp is not None or input_name is None else "--midi-in"
        raise UserError(
            f"{flag}: cannot open MIDI ports ({first[:160]}); available outputs: {_names()}"
        ) from None
    return inp, out


def _names() -> str:
    try:
        with quiet_stderr():
            return ", ".join(mido.get_output_names()) or "none"
    except Exception:  # noqa: BLE001  (no MIDI system at all)
        return "none (no MIDI system)"


@contextmanager
def quiet_stderr():
    """File descriptor 2 to /dev/null for the duration: ALSA's C library prints its own lines
    ("ALSA lib seq_hw.c: ... failed") when there is no sequencer; the error we raise says it once."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no stderr to silence
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
