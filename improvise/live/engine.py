"""The jam engine: single-threaded, driven by two calls.

- `handle(msg)`: a message from the performer, at `clock.now()`.
- `tick()`: the next 16th-note grid step is due; the engine plays what belongs to it.

A run loop (live/session.py) calls them in time order: the simulated performer with a
SimClock, real MIDI or OSC with a RealClock. Nothing here spawns a thread or blocks.

Modes (seed 003): `free` passes the performer through; `bass` and `chords` record one pass of
the loop from the next loop top, quantised to the grid, then loop it (and go back to free);
`improv` is the hybrid call and response: the performer keeps the rhythm and the velocity,
the machine supplies the pitches. Replacement starts and stops only at a phrase boundary
(`phrase_bars`, by default the loop), or at once on the sustain pedal (CC 64). The machine's
pitch is fitted to the chord under the note (chord tones on the beat, chord tones and the
key's blues scale off it) and kept within `span` semitones of the performer's register.

Drums (rule, seed 003): kick on each bar's first step, snare at each onset of the recorded
bassline, closed hi-hat on every eighth, once a bassline is recorded. The click has three
sounds: the loop's first beat, other bars' first beats, other beats.

Whatever arrives, every note-on the engine sends or records gets its note-off: the output
port keeps one instance of each note (ports.OutPort), a note-on for a pitch the performer
already holds ends the first one (a duplicate), a note-off for a pitch not held is dropped
(an orphan), at most `max_ons_per_step` note-ons are taken a grid step (the rest are dropped),
and `close()` releases every note still down and silences the output. `counts` says how
many messages each rule caught; a session writes them to session.json.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import asdict, dataclass, field

import mido
import numpy as np

from improvise.core.errors import ConfigError
from improvise.live.drums import rule_pattern
from improvise.live.grid import LoopSpec, tap_tempo
from improvise.live.pitches import fit_pitch
from improvise.live.ports import OutPort

MODES = ("free", "bass", "chords", "improv")
BLUES_PCS = (0, 3, 5, 6, 7, 10)  # the blues scale, relative to the key
DEFAULT_CONTROLS = {  # CC number -> action (--controls FILE replaces them: live/jam.py load_controls)
    20: "mode:bass",
    21: "mode:chords",
    22: "mode:improv",
    23: "mode:free",
    24: "tap",
    64: "pedal",
    14: "tempo",
    15: "temperature",
}


@dataclass
class JamConfig:
    loop: LoopSpec = field(default_factory=LoopSpec)  # bars, meter, tempo
    click: bool = True  # play the click track
    drums: str = "rule"  # rule: seed 003's drums from the bassline; model: a drum LSTM varies them; off
    key: int = 0  # pitch class of the key (0 = C): scale for the machine's off-beat notes
    phrase_bars: int | None = None  # replacement switches at multiples of this (None: the loop)
    span: int = 7  # machine pitches stay within this many semitones of the performer's register
    low: int = 36  # lowest machine pitch
    high: int = 96  # highest machine pitch
    generate_ahead: int = 32  # pitches generated at once; refilled below a quarter of this
    max_ons_per_step: int = 32  # performer note-ons taken a grid step; more is a flood: dropped and counted
    channels: dict = field(
        default_factory=lambda: {"human": 0, "machine": 1, "bass": 2, "chords": 3, "drums": 9, "click": 9}
    )  # output channel of each role
    click_notes: tuple = (76, 77, 37)  # GM high wood block (loop top), low wood block (bar), side stick
    drum_notes: tuple = (36, 38, 42)  # GM kick, snare, closed hi-hat
    controls: dict = field(default_factory=lambda: dict(DEFAULT_CONTROLS))
    lead_sheet: list | None = None  # pitch classes of the chord at each 16th of a lead sheet's form
    #                                 (cycled), for improv when no chords are recorded

    def validate(self) -> None:
        """A ConfigError for any setting out of its range (the loop's included)."""
        self.loop.validate()
        if self.phrase_bars is not None and (self.phrase_bars < 1 or self.loop.bars % self.phrase_bars):
            raise ConfigError(f"--phrase-bars {self.phrase_bars} must divide --bars {self.loop.bars}")
        if self.drums not in ("rule", "model", "off"):
            raise ConfigError(f"drums must be rule, model or off, not {self.drums!r}")
        if not 0 <= self.low <= self.high <= 127 or self.span < 1 or self.generate_ahead < 1:
            raise ConfigError("need 0 <= low <= high <= 127, span >= 1 and generate_ahead >= 1")
        if self.max_ons_per_step < 1:
            raise ConfigError("max_ons_per_step must be at least 1")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["controls"] = {str(k): v for k, v in self.controls.items()}
        return d


@dataclass
class Layer:
    """A recorded pass: notes as (on_step, off_step, pitch, velocity) in loop steps."""

    notes: list[tuple[int, int, int, int]]

    def events(self, loop_steps: int) -> dict[int, list[tuple[str, int, int]]]:
        """loop step -> [("off"|"on", pitch, velocity)], offs first at each step."""
        ev: dict[int, list] = {}
        for on, off, pitch, vel in self.notes:
            ev.setdefault(on, []).append(("on", pitch, vel))
            ev.setdefault(off % loop_steps, []).append(("off", pitch, 0))
        return {k: sorted(v, key=lambda e: e[0] != "off") for k, v in ev.items()}


class JamEngine:
    def __init__(self, config: JamConfig, out, clock, pitch_source=None, recorder=None, drum_model=None):
        config.validate()
        config = copy.deepcopy(config)  # tempo and temperature change live: never the caller's copy
        if config.drums == "model" and drum_model is None:
            raise ConfigError("drums 'model' needs a drum model (live.drums.DrumLSTM)")
        self.cfg, self.clock, self.source, self.drum_model = config, clock, pitch_source, drum_model
        self.drum_pass: list[int] | None = None  # this pass's drum tokens
        self.drum_next: list[int] | None = None  # the model's pattern for the next pass
        self.out = out if isinstance(out, OutPort) else OutPort(out)
        self.recorder = recorder  # recorder(time, role, msg) for the session file, or None
        spec = config.loop
        self.step = 0  # the next step tick() plays
        self.next_time = clock.now()  # when it is due
        self.mode = "free"
        self.layers: dict[str, Layer] = {}
        self._events: dict[str, dict] = {}
        self.recording: dict | None = None
        self.replace_requested = False
        self.replacing = False
        self.pedal = False
        self.buffer: list[int] = []
        self.history: list[int] = []  # the performer's pitches, newest last
        self.unprimed: list[int] = []  # of those, the ones the model has not heard yet
        self.down: dict[int, int] = {}  # performer's pitch held down -> the channel it came on
        self.held: dict[int, list[int]] = {}  # performer's pitch -> machine pitches sounding for it
        self.passing: dict[int, list[tuple[str, int]]] = {}  # performer's pitch -> (role, pitch) passed on
        self.pending_off: dict[int, list[tuple[str, int]]] = {}  # step -> one-step notes to end
        self.taps: list[float] = []
        self.temperature = 0.85
        self.log: list[dict] = []
        self.errors: list[str] = []
        self.counts: Counter = Counter()  # performer messages by what became of them (see the module doc)
        self.ons_this_step = 0  # note-ons taken since the last grid step
        self.phrase_steps = (config.phrase_bars or spec.bars) * spec.steps_per_bar
        self.scale = frozenset((config.key + i) % 12 for i in BLUES_PCS)  # the key's blues scale

    # ---- helpers ------------------------------------------------------------------------
    def _event(self, kind: str, **info) -> None:
        self.log.append({"time": round(self.clock.now(), 6), "step": self.step, "kind": kind, **info})

    def _send(self, role: str, msg: mido.Message) -> None:
        sent = self.out.send(msg, role)
        if self.recorder is not None:
            for r, m in sent:  # what went out, retrigger offs included, under the role that started each note
                self.recorder(self.clock.now(), r, m)

    def _note(self, role: str, pitch: int, velocity: int) -> None:
        ch = self.cfg.channels[role]
        if velocity > 0:
            self._send(role, mido.Message("note_on", channel=ch, note=pitch, velocity=velocity))
        else:
            self._send(role, mido.Message("note_off", channel=ch, note=pitch))

    def _hit(self, role: str, pitch: int, velocity: int) -> None:
        """A one-step note (click, drums): on now, off at the next step."""
        self._note(role, pitch, velocity)
        self.pending_off.setdefault(self.step + 1, []).append((role, pitch))

    def current_step(self) -> int:
        """The grid step nearest the present moment (the performer's notes are quantised so)."""
        return self.step + int(round((self.clock.now() - self.next_time) / self.cfg.loop.step_seconds))

    def chord_pcs(self, step: int) -> frozenset[int] | None:
        """Pitch classes of the recorded chords sounding at `step`, else of the lead sheet's
        chord there, else None."""
        layer = self.layers.get("chords")
        if layer is None:
            sheet = self.cfg.lead_sheet
            return frozenset(sheet[step % len(sheet)]) or None if sheet else None
        n = self.cfg.loop.loop_steps
        s = step % n
        pcs = {p % 12 for on, off, p, _ in layer.notes if on <= s < off}
        return frozenset(pcs) or None

    # ---- the two entry points -------------------------------------------------------------
    def handle(self, msg) -> None:
        """A message from the performer (a mido.Message or raw bytes). Never raises."""
        try:
            if not isinstance(msg, mido.Message):
                msg = mido.Message.from_bytes(list(msg))
            self._handle(msg)
        except (ValueError, TypeError, KeyError, IndexError) as e:  # junk bytes, odd values: drop the message
            self.errors.append(f"{type(e).__name__}: {e}"[:200])

    def tick(self) -> None:
        """Play grid step `self.step` (its time has come) and advance."""
        try:
            self._tick()
        except (ValueError, TypeError, KeyError, IndexError) as e:
            self.errors.append(f"tick {self.step}: {type(e).__name__}: {e}"[:200])
        self.step += 1
        self.next_time += self.cfg.loop.step_seconds
        self.ons_this_step = 0

    def close(self) -> None:
        """The engine's panic(): every performer note still down is released (in the recording
        too), every one-step note ended, then a note-off for every note still sounding and
        all-notes-off on every channel used. Nothing is left on, at the output or in the record."""
        for pitch in list(self.down):
            self._release(pitch)
        for step in sorted(self.pending_off):
            for role, pitch in self.pending_off[step]:
                self._note(role, pitch, 0)
        self.pending_off.clear()
        for role, msg in self.out.panic():
            if self.recorder is not None:
                self.recorder(self.clock.now(), role or "machine", msg)
        self._event("panic")

    # ---- performer -------------------------------------------------------------------------
    def _handle(self, msg: mido.Message) -> None:
        if msg.type == "control_change":
            return self._control(msg.control, msg.value)
        if msg.type not in ("note_on", "note_off"):
            return
        pitch = msg.note
        if msg.type == "note_off" or msg.velocity == 0:
            self.counts["note_off"] += 1
            if pitch not in self.down:
                self.counts["orphan_off"] += 1  # nothing to end: not passed on, not recorded
                return
            return self._release(pitch)
        self.counts["note_on"] += 1
        if self.ons_this_step >= self.cfg.max_ons_per_step:
            self.counts["dropped_over_step_limit"] += 1  # its note-off will be an orphan
            return
        self.ons_this_step += 1
        if pitch in self.down:
            self.counts["duplicate_on"] += 1  # the pitch is held already: end that note first
            self._release(pitch)
        self.down[pitch] = msg.channel
        if self.recorder is not None:
            self.recorder(self.clock.now(), "performer", msg)
        self.history = (self.history + [pitch])[-64:]
        self.unprimed = (self.unprimed + [pitch])[-64:]
        if self.recording is not None and self.mode in ("bass", "chords"):
            self._record(pitch, msg.velocity)
        if self.replacing and self.source is not None and self.mode not in ("bass", "chords"):
            return self._replace(pitch, msg.velocity)  # (a pass being recorded is played as it is)
        role = self.mode if self.mode in ("bass", "chords") else "human"
        self._note(role, pitch, msg.velocity)
        self.passing.setdefault(pitch, []).append((role, pitch))

    def _release(self, pitch: int) -> None:
        """The performer let go of `pitch` (held): end it in the recording and at the output."""
        channel = self.down.pop(pitch)
        if self.recorder is not None:
            self.recorder(
                self.clock.now(), "performer", mido.Message("note_off", channel=channel, note=pitch)
            )
        if self.recording is not None and self.mode in ("bass", "chords"):
            self._record(pitch, 0)
        for q in self.held.pop(pitch, []):
            self._note("machine", q, 0)
        for role, q in self.passing.pop(pitch, []):
            self._note(role, q, 0)

    def _replace(self, pitch: int, velocity: int) -> None:
        if not self.buffer:
            self._generate(4)  # only a few now: a grid step refills the buffer (tick)
        raw = self.buffer.pop(0)
        step = max(self.current_step(), 0)
        chord = self.chord_pcs(step)
        on_beat = step % self.cfg.loop.steps_per_beat == 0
        scale = self.scale
        allowed = chord if (chord and on_beat) else (chord | scale if chord else scale)
        register = float(np.median(self.history[-8:]))
        q = fit_pitch(raw, register, self.cfg.span, allowed, self.cfg.low, self.cfg.high)
        self._note("machine", q, velocity)
        self.held.setdefault(pitch, []).append(q)

    def _generate(self, n: int | None = None) -> None:
        self.source.prime(self.unprimed)
        self.unprimed = []
        self.buffer += self.source.generate(n or self.cfg.generate_ahead)
        self._event("generate", pitches=len(self.buffer))

    def _control(self, cc: int, value: int) -> None:
        action = self.cfg.controls.get(cc)
        if action is None:
            return
        if action.startswith("mode:") and value >= 64:
            self.set_mode(action[5:])
        elif action == "pedal":
            down = value >= 64
            if down != self.pedal:
                self.pedal = down
                self._set_replacing(down, "pedal")
        elif action == "tempo":
            self.set_tempo(40 + 200 * value / 127)
        elif action == "temperature" and hasattr(self.source, "temperature"):
            self.source.temperature = self.temperature = round(0.1 + 1.4 * value / 127, 3)
        elif action == "tap" and value >= 64:
            self.taps = [t for t in self.taps if self.clock.now() - t < 3.0] + [self.clock.now()]
            if len(self.taps) >= 3:
                self.set_tempo(tap_tempo(self.taps))

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {MODES}, not {mode!r}")
        n = self.cfg.loop.loop_steps
        if self.recording is not None and self.step - self.recording["start"] >= n:
            self._finish_recording()  # its pass is complete: keep it
        if mode == self.mode:
            return
        self._event("mode", mode=mode)
        self.mode = mode
        start = -(-self.step // n) * n  # the next loop top (this step, if it is one and not yet played)
        self.recording = (
            {"layer": mode, "start": start, "open": {}, "notes": []} if mode in ("bass", "chords") else None
        )
        self.replace_requested = mode == "improv"

    def set_tempo(self, bpm: float) -> None:
        bpm = float(min(max(bpm, 20.0), 400.0))
        self.cfg.loop.tempo_bpm = bpm
        self._event("tempo", bpm=round(bpm, 2))

    def _set_replacing(self, on: bool, why: str) -> None:
        if on == self.replacing:
            return
        self.replacing = on
        if on and self.source is not None:
            self._generate()
        self._event("replace", on=on, why=why)

    # ---- recording ---------------------------------------------------------------------------
    def _record(self, pitch: int, velocity: int) -> None:
        rec = self.recording
        step = self.current_step()
        if step < rec["start"]:
            return  # armed: the pass starts at the next loop top
        s = step - rec["start"]
        if velocity > 0:
            rec["open"].setdefault(pitch, []).append((s, velocity))
        elif rec["open"].get(pitch):
            on, vel = rec["open"][pitch].pop(0)
            rec["notes"].append((on, max(s, on + 1), pitch, vel))

    def _finish_recording(self) -> None:
        rec, n = self.recording, self.cfg.loop.loop_steps
        for pitch, opens in rec["open"].items():
            rec["notes"] += [(on, n, pitch, vel) for on, vel in opens]
        notes = sorted((on, min(off, on + n), p, v) for on, off, p, v in rec["notes"] if on < n)
        self.layers[rec["layer"]] = Layer(notes)
        self._events[rec["layer"]] = self.layers[rec["layer"]].events(n)
        self._event("recorded", layer=rec["layer"], notes=len(notes))
        self.recording = None
        self.mode = "free"
        self._event("mode", mode="free")

    # ---- the grid --------------------------------------------------------------------------
    def _tick(self) -> None:
        spec = self.cfg.loop
        n, s = spec.loop_steps, self.step % spec.loop_steps
        for role, pitch in self.pending_off.pop(self.step, []):
            self._note(role, pitch, 0)
        if self.recording is not None:
            if self.step == self.recording["start"]:
                self._event("record", layer=self.recording["layer"])
            elif self.step - self.recording["start"] == n:
                self._finish_recording()
        if self.step % self.phrase_steps == 0 and self.replace_requested != self.replacing and not self.pedal:
            self._set_replacing(self.replace_requested, "boundary")
        for name in ("bass", "chords"):
            rec = self.recording
            if rec is not None and rec["layer"] == name and self.step >= rec["start"]:
                continue  # being re-recorded: the old pass is silent
            for kind, pitch, vel in self._events.get(name, {}).get(s, []):
                self._note(name, pitch, vel if kind == "on" else 0)
        if self.cfg.drums != "off" and "bass" in self.layers:
            if s == 0 or self.drum_pass is None:
                onsets = {on for on, _, _, _ in self.layers["bass"].notes}
                self.drum_pass = self.drum_next or rule_pattern(n, spec.steps_per_bar, onsets)
                self.drum_next = None
            token = self.drum_pass[s]
            for bit, note, vel in zip((1, 2, 4), self.cfg.drum_notes, (100, 90, 60)):  # kick, snare, hat
                if token & bit:
                    self._hit("drums", note, vel)
        if self.cfg.click and s % spec.steps_per_beat == 0:
            top, bar, beat = self.cfg.click_notes
            note = top if s == 0 else bar if s % spec.steps_per_bar == 0 else beat
            self._hit("click", note, 100 if s == 0 else 80 if note == bar else 60)
        if self.replacing and self.source is not None:
            if len(self.buffer) < max(1, self.cfg.generate_ahead // 4):
                self._generate()
            elif self.unprimed:  # the model hears this step's notes now, not in the middle of the next step
                self.source.prime(self.unprimed)
                self.unprimed = []
        if (
            self.cfg.drums == "model" and self.drum_pass is not None and s == 0
        ):  # after this step's notes went out
            self.drum_next = self.drum_model.continue_pattern(self.drum_pass, n, spec.steps_per_bar)
            self._event("drums", generated=n)
