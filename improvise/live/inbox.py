"""What the performer sent, waiting for the engine: a bounded queue between the inputs (an
OSC socket, a MIDI input port) and `JamEngine.handle`, for the live run loop (session.py).

The run loop fills the queue and hands its messages to the engine only until a little before
each grid step (`serve`), so that a flood of input delays the input, never the beat: what is
not handled before the step waits for after it. The queue holds at most `capacity` messages;
past that, new note-ons are dropped (a note-off is still taken, up to twice the capacity, so
that the notes already sounding can end), and `counts` says how many.
"""

from __future__ import annotations

import select
import time
from collections import Counter, deque

CAPACITY = 4096  # messages waiting; a performer sends a few a step, a flood thousands
MIDI_POLL = 0.001  # seconds between looks at a MIDI input port (it has nothing to wait on)


def is_note_off(msg) -> bool:
    return getattr(msg, "type", None) == "note_off" or (
        getattr(msg, "type", None) == "note_on" and msg.velocity == 0
    )


class Inbox:
    """Messages from `osc_in` (an osc.OscIn) and `midi_in` (anything with `iter_pending()`),
    in arrival order; `counts`: received, dropped_queue_full, junk_datagrams."""

    def __init__(self, osc_in=None, midi_in=None, capacity: int = CAPACITY):
        self.osc_in, self.midi_in, self.capacity = osc_in, midi_in, capacity
        self.queue: deque = deque()
        self.counts: Counter = Counter()

    def put(self, msg) -> None:
        """Queue `msg`, unless the queue is full (note-offs have room for twice as many)."""
        limit = 2 * self.capacity if is_note_off(msg) else self.capacity
        if len(self.queue) >= limit:
            self.counts["dropped_queue_full"] += 1
            return
        self.counts["received"] += 1
        self.queue.append(msg)

    def fill(self, until: float, now) -> None:
        """Read what the inputs have waiting into the queue, until there is no more or `now()`
        reaches `until`."""
        if self.midi_in is not None:
            for m in self.midi_in.iter_pending():
                self.put(m)
        if self.osc_in is None:
            return
        while now() < until:
            got = self.osc_in.read()
            if got is None:
                return
            if not got:
                self.counts["junk_datagrams"] += 1
            for m in got:
                self.put(m)

    def wait(self, timeout: float) -> None:
        """Sleep until input may have arrived, at most `timeout` seconds."""
        if timeout <= 0:
            return
        if self.midi_in is not None:
            timeout = min(timeout, MIDI_POLL)
        if self.osc_in is not None:
            select.select([self.osc_in.sock], [], [], timeout)
        else:
            time.sleep(timeout)


def serve(engine, inbox: Inbox, until: float) -> None:
    """Hand the engine what arrives until the engine's clock reads `until` (a little before
    its next step); what is still queued then waits for the next call."""
    clock = engine.clock
    while True:
        inbox.fill(until, clock.now)
        while inbox.queue and clock.now() < until:
            deliver(engine, inbox.queue.popleft())
        left = until - clock.now()
        if left <= 0:
            return
        if not inbox.queue:
            inbox.wait(left)


def deliver(engine, msg) -> None:
    """One message to the engine: a ("mode", name) pair sets the mode, anything else is handled."""
    if isinstance(msg, tuple) and len(msg) == 2 and msg[0] == "mode":
        try:
            engine.set_mode(msg[1])
        except ValueError as e:
            engine.errors.append(str(e)[:200])
            engine.counts["bad_mode"] += 1
    else:
        engine.handle(msg)
