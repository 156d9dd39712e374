"""MIDI ports for the engine. Every output goes through `OutPort`, which keeps the notes that
sound so that `panic()` can silence them; `MemoryPort` is an in-memory port for tests and
simulations; `open_midi` opens real ports through mido and python-rtmidi."""
from __future__ import annotations

from collections import deque

import mido

from improvise.errors import UserError


class OutPort:
    """Wraps anything with `send(msg)`; tracks sounding (channel, note) pairs."""

    def __init__(self, port):
        self.port = port
        self.sounding: dict[tuple[int, int], int] = {}  # (channel, note) -> note-ons not yet closed
        self.channels: set[int] = set()

    def send(self, msg: mido.Message) -> None:
        if msg.type == "note_on" and msg.velocity > 0:
            key = (msg.channel, msg.note)
            self.sounding[key] = self.sounding.get(key, 0) + 1
            self.channels.add(msg.channel)
        elif msg.type in ("note_off", "note_on"):
            key = (msg.channel, msg.note)
            if key not in self.sounding:
                return  # never send an off for a note we did not start
            self.sounding[key] -= 1
            if self.sounding[key] <= 0:
                del self.sounding[key]
            msg = mido.Message("note_off", channel=msg.channel, note=msg.note)
        self.port.send(msg)

    def panic(self) -> None:
        """A note-off for every sounding note, then all-notes-off on every channel used."""
        for (channel, note), count in sorted(self.sounding.items()):
            for _ in range(count):
                self.port.send(mido.Message("note_off", channel=channel, note=note))
        self.sounding.clear()
        for channel in sorted(self.channels):
            self.port.send(mido.Message("control_change", channel=channel, control=123, value=0))


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


def open_midi(input_name: str | None, output_name: str | None, virtual: bool = False):
    """Real ports through mido (python-rtmidi); `virtual` creates ports of those names for
    other programs to connect to (ALSA, CoreMIDI). A one-line UserError when the system has
    no MIDI (no ALSA sequencer, say) or no port of that name."""
    try:
        inp = mido.open_input(input_name, virtual=virtual) if input_name is not None else None
        out = mido.open_output(output_name, virtual=virtual) if output_name is not None else None
    except (OSError, IOError, SystemError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"cannot open MIDI ports ({first[:160]}); available outputs: {_names()}") from None
    return inp, out


def _names() -> str:
    try:
        return ", ".join(mido.get_output_names()) or "none"
    except Exception:  # noqa: BLE001  (no MIDI system at all)
        return "none (no MIDI system)"
