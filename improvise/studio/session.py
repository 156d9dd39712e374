"""One jam session a WebSocket connection: the package's live engine on the page's clock.

The engine's time is the page's Web Audio time (`AudioContext.currentTime`). A performer's
message carries the page time it was played at, and the engine handles it at that time, so a
machine note answering it (improv mode) is stamped with the performer's own onset. Grid steps
are ticked `LOOKAHEAD` seconds before they are due and stamped with their exact time on the
grid, so the page schedules them on its audio clock ahead of time and the loop cannot drift
from that clock. The server learns the page's clock from the times in its messages
(`PageTime`). Nothing here touches the network: server.py feeds it and sends what it returns.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import mido

from improvise.core.errors import ConfigError, UserError
from improvise.live.engine import JamConfig, JamEngine
from improvise.live.grid import LoopSpec, parse_meter
from improvise.live.session import Recorder, write_session

LOOKAHEAD = 0.12  # seconds: grid steps are sent this long before they sound
START_DELAY = 0.15  # seconds from `hello`/`start` to the first grid step
GENERATE_AHEAD = 8  # the machine's pitches drawn at a time: a refill holds up the next key by less


class PageClock:
    """The engine's clock: set to the page time of whatever the engine is handling."""

    def __init__(self, t: float = 0.0):
        self.t = float(t)

    def now(self) -> float:
        return self.t

    def sleep_until(self, t: float) -> None:  # (the engine never sleeps; for the Clock protocol)
        self.t = max(self.t, float(t))


class PageTime:
    """The page's audio clock seen from the server: page time = perf_counter() + offset. Each
    message's page time minus its arrival time underestimates the offset by its transit time,
    so the largest of the samples of the last `window` seconds is the best estimate (recent
    ones only, so that the two clocks' drift does not pile up)."""

    def __init__(self, window: float = 10.0):
        self.samples: list[tuple[float, float]] = []  # (arrival, page time - arrival)
        self.window = window

    def observe(self, page_t: float, arrived: float | None = None) -> None:
        arrived = time.perf_counter() if arrived is None else arrived
        self.samples = [s for s in self.samples[-63:] if s[0] > arrived - self.window]
        self.samples.append((arrived, page_t - arrived))

    def offset(self) -> float | None:
        return max(o for _, o in self.samples) if self.samples else None

    def now(self) -> float | None:
        return time.perf_counter() + self.offset() if self.samples else None


class EventPort:
    """The engine's MIDI output, kept as [t, channel, pitch, velocity] for the page (velocity 0:
    note-off; pitch -1 with velocity -1: all notes off on that channel)."""

    def __init__(self, clock: PageClock):
        self.clock, self.events = clock, []

    def send(self, msg: mido.Message) -> None:
        t = round(self.clock.now(), 6)
        if msg.type == "note_on":
            self.events.append([t, msg.channel, msg.note, msg.velocity])
        elif msg.type == "note_off":
            self.events.append([t, msg.channel, msg.note, 0])
        elif msg.type == "control_change" and msg.control == 123:
            self.events.append([t, msg.channel, -1, -1])

    def take(self) -> list:
        out, self.events = self.events, []
        return out


def jam_config(msg: dict, old: JamConfig | None = None) -> JamConfig:
    """A JamConfig from a `config` message's fields over `old` (or the defaults)."""
    cfg = (
        copy.deepcopy(old)
        if old is not None
        else JamConfig(loop=LoopSpec(bars=2), generate_ahead=GENERATE_AHEAD)
    )
    if "meter" in msg:
        cfg.loop.beats_per_bar, cfg.loop.beat_unit = parse_meter(msg["meter"])
    cfg.loop.bars = msg.get("bars", cfg.loop.bars)
    cfg.loop.tempo_bpm = msg.get("tempo", cfg.loop.tempo_bpm)
    cfg.click = msg.get("click", cfg.click)
    cfg.drums = msg.get("drums", cfg.drums)
    cfg.key = msg.get("key", cfg.key)
    cfg.validate()
    return cfg


class StudioSession:
    """The engine of one page. `handle(msg, page_now)` takes a checked message and returns the
    replies; `tick_until(t)` plays the grid steps due before page time `t`; `close()` silences."""

    def __init__(self, sid: str, make_source, make_drums=None, out_root: Path | None = None):
        self.sid, self.make_source, self.make_drums = sid, make_source, make_drums
        self.out_root = Path(out_root) if out_root else None
        self.clock = PageClock()
        self.port = EventPort(self.clock)
        self.cfg = jam_config({})
        self.engine: JamEngine | None = None
        self.recorder = Recorder()
        self.running = False
        self.closed = False
        self.counts = {"messages": 0, "errors": 0, "notes_in": 0, "events_out": 0}

    # ---- the engine ------------------------------------------------------------------------
    def _build(self, start: float) -> None:
        """A fresh engine with the current config, its first step at page time `start`; the
        pitch source (and drum model) come from the server's factories."""
        drums = self.make_drums(self.cfg) if self.make_drums and self.cfg.drums == "model" else None
        source = self.make_source(self.cfg.key)
        self.clock.t = start
        self.engine = JamEngine(self.cfg, self.port, self.clock, source, self.recorder, drums)
        self.engine.next_time = start

    def _restart_grid(self, start: float) -> None:
        """Keep the engine and its loops; the grid continues from a loop top at `start`."""
        e = self.engine
        n = e.cfg.loop.loop_steps
        e.step = -(-e.step // n) * n
        e.next_time = start

    def state(self) -> dict:
        e = self.engine
        spec = (e.cfg if e else self.cfg).loop
        return {
            "type": "state",
            "session": self.sid,
            "running": self.running,
            "mode": e.mode if e else "free",
            "layers": sorted(e.layers) if e else [],
            "recording": (e.recording or {}).get("layer") if e else None,
            "replacing": e.replacing if e else False,
            "tempo": spec.tempo_bpm,
            "bars": spec.bars,
            "meter": f"{spec.beats_per_bar}/{spec.beat_unit}",
            "steps_per_bar": spec.steps_per_bar,
            "step_seconds": spec.step_seconds,
            "loop_start": self.loop_start(),
            "click": (e.cfg if e else self.cfg).click,
            "drums": (e.cfg if e else self.cfg).drums,
        }

    def loop_start(self) -> float | None:
        """Page time of the loop top at or before the engine's next step (None: not running)."""
        e = self.engine
        if e is None or not self.running:
            return None
        n = e.cfg.loop.loop_steps
        return round(e.next_time - (e.step % n) * e.cfg.loop.step_seconds, 6)

    # ---- messages --------------------------------------------------------------------------
    def handle(self, msg: dict, page_now: float) -> list[dict]:
        """Replies to one checked message (protocol.parse); a ConfigError or UserError becomes
        an error reply and changes nothing else."""
        self.counts["messages"] += 1
        kind = msg["type"]
        try:
            return getattr(self, f"_on_{kind}")(msg, page_now)
        except (ConfigError, UserError) as e:
            self.counts["errors"] += 1
            return [{"type": "error", "error": str(e)[:300], "ack": msg.get("id")}]

    def _notes(self, ack=None) -> dict:
        events = self.port.take()
        self.counts["events_out"] += len(events)
        return {"type": "notes", "events": events, "ack": ack}

    def _on_hello(self, msg, page_now):
        if self.engine is None:
            self._build(msg["t"] + START_DELAY)
        return [{"type": "welcome", "session": self.sid}, self.state()]

    def _performer(self, msg: mido.Message, t: float, ack) -> list[dict]:
        if self.engine is None:
            self._build(t + START_DELAY)
        self.clock.t = t
        self.engine.handle(msg)
        return [self._notes(ack)]

    def _on_note(self, msg, page_now):
        self.counts["notes_in"] += 1
        vel = msg["velocity"]
        m = mido.Message("note_on" if vel else "note_off", note=msg["pitch"], velocity=vel)
        return self._performer(m, msg["t"], msg.get("id"))

    def _on_cc(self, msg, page_now):
        m = mido.Message("control_change", control=msg["control"], value=msg["value"])
        return self._performer(m, msg["t"], msg.get("id")) + [self.state()]

    def _on_mode(self, msg, page_now):
        if self.engine is None:
            self._build(page_now + START_DELAY)
        self.clock.t = page_now
        self.engine.set_mode(msg["mode"])
        return [self._notes(), self.state()]

    def _on_config(self, msg, page_now):
        new = jam_config(msg, self.engine.cfg if self.engine else self.cfg)
        old, self.cfg = self.cfg, new
        e = self.engine
        shape = (new.loop.bars, new.loop.beats_per_bar, new.loop.beat_unit, new.key, new.drums)
        if e is None or shape != (
            old.loop.bars,
            old.loop.beats_per_bar,
            old.loop.beat_unit,
            old.key,
            old.drums,
        ):
            if e is not None:  # a new loop shape: a new engine, the old one silenced
                self.clock.t = page_now
                e.close()
            self._build(page_now + START_DELAY)
        else:  # tempo and click change live
            self.clock.t = page_now
            if new.loop.tempo_bpm != e.cfg.loop.tempo_bpm:
                e.set_tempo(new.loop.tempo_bpm)
            e.cfg.click = new.click
        return [self._notes(), self.state()]

    def _on_start(self, msg, page_now):
        if self.engine is None:
            self._build(page_now + START_DELAY)
        elif not self.running:
            self._restart_grid(page_now + START_DELAY)
        self.running = True
        return [self.state()]

    def _on_stop(self, msg, page_now):
        """Stop the grid; what it left sounding (the click's and drums' last hits) is ended."""
        self.running = False
        if self.engine is not None:
            self.clock.t = page_now
            self.engine.close()
        return [self._notes(), self.state()]

    def _on_panic(self, msg, page_now):
        """Stop the grid and silence everything: the engine releases every note it holds."""
        self.running = False
        if self.engine is not None:
            self.clock.t = page_now
            self.engine.close()
        return [self._notes(), {"type": "panic"}, self.state()]

    def _on_ping(self, msg, page_now):
        return [{"type": "pong", "id": msg["id"], "t": msg["t"]}]

    def _on_save(self, msg, page_now):
        return [{"type": "saved", "path": str(self.save())}]

    # ---- the grid ----------------------------------------------------------------------------
    def tick_until(self, page_t: float) -> list[dict]:
        """Tick every step due before page time `page_t` (each at its grid time); their notes,
        and the state when a tick changed it (a recording started or finished, the machine
        began or stopped answering)."""
        e = self.engine
        if e is None or not self.running:
            return []
        before, ticked = self._signature(), 0
        while e.next_time < page_t and ticked < 256:
            self.clock.t = e.next_time
            e.tick()
            ticked += 1
        out = [self._notes()] if self.port.events else []
        return out + ([self.state()] if self._signature() != before else [])

    def _signature(self) -> tuple:
        e = self.engine
        return (e.mode, tuple(sorted(e.layers)), (e.recording or {}).get("layer"), e.replacing)

    def next_due(self) -> float | None:
        """Page time of the next grid step, when running."""
        return self.engine.next_time if self.engine is not None and self.running else None

    def close(self) -> list:
        """Silence everything (the tab closed): the engine's note-offs, as events."""
        self.running = False
        if self.engine is not None and not self.closed:
            self.engine.close()
        self.closed = True
        return self.port.take()

    def sounding(self) -> int:
        """Notes the engine's output still holds on."""
        return len(self.engine.out.sounding) if self.engine is not None else 0

    # ---- run folders -------------------------------------------------------------------------
    def save(self, audio: str | None = None) -> Path:
        """The session as `improvise jam` writes it (session.mid, session.json; session.wav with
        `audio`) in a new folder under the studio's output folder."""
        if self.engine is None or self.out_root is None:
            raise UserError("nothing to save yet: play something first")
        out = self.out_root / f"jam-{time.strftime('%Y%m%d-%H%M%S')}-{self.sid}"
        origin = self.recorder.events[0][0] if self.recorder.events else 0.0
        rec = Recorder()  # session.mid starts at the first note, not when the page was opened
        rec.events = [(t - origin, role, msg) for t, role, msg in self.recorder.events]
        extra = {"studio": True, "page_time_origin": origin, "input": dict(self.engine.counts)}
        write_session(out, self.engine, rec, extra, audio)
        return out
