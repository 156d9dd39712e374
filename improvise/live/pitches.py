"""Where the machine's pitches come from in improv mode, and the rules that fit them to the
moment: the chord under the note and the human's register.

A pitch source has `prime(pitches)` (the human's recent MIDI pitches) and `generate(n)` (the
next n MIDI pitches). `BluesPitchSource` runs a trained blues model (the numpy single-step
path, no torch) in any key; `MarkovPitchSource` an order-k Markov chain over melodic intervals
(Todd's interval coding, so it is key- and register-free); `ZooPitchSource` any melody model of
the zoo (`improvise compare`); `CyclePitchSource` repeats a given
list (tests, demos). Any model with prime/generate plugs in.
"""

from __future__ import annotations

import numpy as np

from improvise.blues.generate import input_vector
from improvise.core.errors import ConfigError
from improvise.core.music import fold_into
from improvise.core.sample import draw


class CyclePitchSource:
    """Plays `pitches` over and over; priming is ignored."""

    def __init__(self, pitches: list[int]):
        if not pitches:
            raise ConfigError("a pitch source needs at least one pitch")
        self.pitches, self.i = list(pitches), 0

    def prime(self, pitches: list[int]) -> None:
        pass

    def generate(self, n: int) -> list[int]:
        out = [self.pitches[(self.i + k) % len(self.pitches)] for k in range(n)]
        self.i += n
        return out


class BluesPitchSource:
    """The blues chord/melody model as a pitch source. Human pitches are read as the model's
    nearest blues-scale tokens (in C, after taking `key` off) and stepped through the model,
    teacher-forced; then it free-runs, and its non-rest pitches, put back in `key`, are the
    machine's. The model's state carries on from call to call, as in a real duet."""

    def __init__(self, stepper, encoding, key: int = 0, temperature: float = 0.85, seed: int = 0):
        self.stepper, self.enc, self.key, self.temperature = stepper, encoding, key % 12, temperature
        self.rng = np.random.default_rng(seed)
        self.scale = np.asarray(encoding.pitches)
        self.stepper.reset()
        self.belief, self.chord, self.pitch, self.t = 0, 0, 0, 0

    @classmethod
    def from_run(cls, run_dir, **kw) -> BluesPitchSource:
        from improvise.blues.task import load_blues_run
        from improvise.encodings.blues import BluesEncoding
        from improvise.nn.reference import NumpyChordMelody

        model, _ = load_blues_run(run_dir)
        return cls(NumpyChordMelody.from_module(model), BluesEncoding(), **kw)

    def _step(self) -> np.ndarray:
        key = (self.belief, self.chord, self.pitch, self.t % self.enc.steps_per_bar)
        logits = self.stepper.step_key(key, lambda: input_vector(self.enc, *key))
        self.t += 1
        return logits

    def token_of(self, midi_pitch: int) -> int:
        """The blues-scale token nearest `midi_pitch` once the key is taken off."""
        p = 60 + (midi_pitch - self.key - 60) % 24  # folded into the two octaves from middle C
        return int(np.argmin(np.abs(self.scale - p)))

    def prime(self, pitches: list[int]) -> None:
        nc = self.enc.n_chords
        for p in pitches:
            logits = self._step()
            self.belief = self.chord = int(np.argmax(logits[:nc]))
            self.pitch = self.token_of(p)

    def generate(self, n: int) -> list[int]:
        nc, rest = self.enc.n_chords, self.enc.rest
        out: list[int] = []
        for _ in range(8 * n + 8):  # a model that only rests still returns
            logits = self._step()
            self.belief = self.chord = int(np.argmax(logits[:nc]))
            self.pitch = draw(logits[nc:], self.temperature, self.rng)
            if self.pitch != rest:
                out.append(int(self.scale[self.pitch]) + self.key)
                if len(out) == n:
                    break
        return out or [60 + self.key] * n


class MarkovPitchSource:
    """The package's Markov chain (nn.baselines) over intervals between successive notes,
    -24..+24 semitones (ids 0..48). Primed with the performer's intervals; generates from the
    performer's last pitch."""

    SPAN = 24

    def __init__(self, chain, seed: int = 0, temperature: float = 1.0, start: int = 60):
        self.chain, self.temperature = chain, temperature
        self.rng = np.random.default_rng(seed)
        self.context: list[int] = []
        self.last = start

    @classmethod
    def train(cls, melodies: list[list[int]] | None = None, order: int = 2, **kw) -> MarkovPitchSource:
        """Fit on MIDI pitch sequences (default: the melodies of the synthesized blues corpus)."""
        from improvise.nn.baselines import MarkovChain

        if melodies is None:
            from improvise.data.blues_synth import synth_blues_corpus

            melodies = [[n.pitch for n in t.melody] for t in synth_blues_corpus(8)]
        seqs = [cls._ids(m) for m in melodies if len(m) > 1]
        return cls(MarkovChain(order, 2 * cls.SPAN + 1, alpha=0.01).fit(seqs), **kw)

    @classmethod
    def _ids(cls, pitches: list[int]) -> list[int]:
        return [int(np.clip(b - a, -cls.SPAN, cls.SPAN)) + cls.SPAN for a, b in zip(pitches, pitches[1:])]

    def prime(self, pitches: list[int]) -> None:
        if pitches:
            self.context = (self.context + self._ids([self.last] + list(pitches)))[
                -max(self.chain.order, 1) :
            ]
            self.last = pitches[-1]

    def generate(self, n: int) -> list[int]:
        ids = self.chain.sample(
            n,
            self.rng,
            primer=self.context[-self.chain.order :] if self.chain.order else (),
            temperature=self.temperature,
        )
        out, p = [], self.last
        for step in ids - self.SPAN:  # a walk by the drawn intervals, folded by octaves into C3-C6
            p = fold_into(int(p + step), 48, 84)
            out.append(p)
        self.context = (self.context + ids.tolist())[-max(self.chain.order, 1) :]
        self.last = out[-1]
        return out


class ZooPitchSource:
    """A melody model of the zoo (one model folder of `improvise compare`) as a pitch source.
    The performer's pitches go in as eighth notes (a note-on, then a hold, on the model's
    sixteenth grid), folded into the model's range; then it free-runs until it has played `n`
    note-ons, whose pitches are the machine's. Its state carries on from call to call. Models
    over intervals (Todd's coding) are stepped with the interval from the last note played."""

    def __init__(self, model, temperature: float = 1.0, seed: int = 0, max_events: int = 64):
        from dataclasses import replace

        from improvise.encodings.zoo_inputs import IntervalEncoding
        from improvise.zoo.model import ZooStepper

        self.model, self.enc, self.temperature = model, model.enc, temperature
        self.rng = np.random.default_rng(seed)
        self.max_events = max_events  # drawn events a call may take per note asked for
        self.intervals = None
        if model.kind == "interval":
            self.intervals = replace(
                IntervalEncoding(), min_pitch=self.enc.min_pitch, max_pitch=self.enc.max_pitch
            )
        self.stepper = ZooStepper(model)
        self.last = 60
        self.logp = self.stepper.step(self._own(self.enc.NOTE_OFF))

    @classmethod
    def from_run(cls, run_dir, **kw) -> ZooPitchSource:
        from improvise.zoo.model import load_zoo_model

        return cls(load_zoo_model(run_dir), **kw)

    def _own(self, event: int) -> int:
        """An event id in the model's own vocabulary (an interval from the last pitch, for the
        interval model)."""
        if self.intervals is None or event < 2:
            return int(event)
        from dataclasses import replace

        return int(replace(self.intervals, anchor=self.last).to_intervals(np.array([event]))[0])

    def _event(self, own: int) -> int:
        if self.intervals is None or own < 2:
            return int(own)
        from dataclasses import replace

        return int(replace(self.intervals, anchor=self.last).to_events(np.array([own]))[0])

    def _feed(self, event: int) -> None:
        self.logp = self.stepper.step(self._own(event))
        if event >= 2:
            self.last = self.enc.min_pitch + event - 2

    def prime(self, pitches: list[int]) -> None:
        for p in pitches:
            self._feed(2 + self.enc.fold(int(p)) - self.enc.min_pitch)
            self._feed(self.enc.NO_EVENT)

    def generate(self, n: int) -> list[int]:
        out: list[int] = []
        for _ in range(n * self.max_events):
            event = self._event(draw(self.logp, self.temperature, self.rng))
            self._feed(event)
            if event >= 2:
                out.append(self.last)
                if len(out) == n:
                    break
        return out or [self.last] * n


def fit_pitch(
    pitch: int, register: float, span: int, allowed: frozenset[int] | None, low: int = 21, high: int = 108
) -> int:
    """`pitch` moved to the octave nearest the human's `register`, then to the nearest pitch
    whose class is in `allowed` (None: any), and kept within `span` semitones of the register
    and inside [low, high]. Ties go down."""
    centre = int(round(register))
    lo, hi = max(low, centre - span), min(high, centre + span)
    if lo > hi:
        lo = hi = min(max(centre, low), high)
    p = pitch + 12 * int(round((centre - pitch) / 12))
    candidates = [q for q in range(lo, hi + 1) if allowed is None or q % 12 in allowed]
    if not candidates:
        candidates = list(range(lo, hi + 1))
    return min(candidates, key=lambda q: (abs(q - p), q))
