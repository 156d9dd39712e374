"""Drawing a solo over a chord track, one step at a time on the numpy fast path (one thread, no
torch in the loop): the inputs of `encodings.conditioned` built incrementally as indices of
their ones, the soloist's `SoloStepper`, and `core.sample.draw` at a temperature within a
register range, with a note-density bias."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from improvise.core.errors import ConfigError
from improvise.core.music import QUALITIES, Tune
from improvise.core.sample import check_temperature, draw
from improvise.encodings.conditioned import CAP, ChordConditionedEncoding, MotifMemory
from improvise.solo.stepper import SoloStepper


@dataclass
class SoloControls:
    temperature: float = 1.0  # 1 = the model's own distribution, 0 = argmax (improvise.core.sample)
    low: int = 55  # lowest note (MIDI)
    high: int = 84  # highest note
    # Added to every note-on logit: > 0 more notes, < 0 fewer. None: the run's calibration (its
    # players' phrase lengths), or 0.
    density: float | None = None
    seed: int = 0  # fixes every draw
    # Added to the note-on logits of the step's chord tones (triad + seventh), on beats 1 and 3
    # and elsewhere. None: the run's calibration (`solo.calibrate`: as often as the players), or 0.
    strong_tones: float | None = None
    other_tones: float | None = None
    # Added to the log-odds of the pitch the motif memory suggests (the leap that followed the
    # solo's latest intervals the last time it played them). None: the run's calibration, or 0.
    motif: float | None = None

    def validate(self) -> None:
        check_temperature(self.temperature)  # 0 = argmax (improvise.core.sample)
        if not 0 <= self.low < self.high <= 127:
            raise ConfigError("need 0 <= low < high <= 127")
        if self.density is not None and not -50 <= self.density <= 50:
            raise ConfigError(f"density must be in [-50, 50], not {self.density}")
        for name in ("strong_tones", "other_tones", "motif"):
            v = getattr(self, name)
            if v is not None and not -20 <= v <= 20:
                raise ConfigError(f"{name} must be in [-20, 20], not {v}")


def chord_columns(enc: ChordConditionedEncoding, chords: list, steps_per_bar: int) -> list[np.ndarray]:
    """For every step u, the input columns set by its position, its chord and the next change
    (the same as `enc.window` sets), as index arrays."""
    s = enc.encode_events(np.zeros(len(chords), dtype=np.int64), chords, steps_per_bar)
    o = enc.chord_offset
    tail = enc.last_offset + enc.n_pitches + 12 + CAP + 2
    cache: dict = {}
    out = []
    for u in range(len(chords)):
        key = (
            u % steps_per_bar,
            s.root[u],
            s.next_root[u],
            s.to_change[u],
            chords[u],
            s.next_rel[u].tobytes(),
        )
        if key not in cache:
            cols = [enc.pos_offset + (u % steps_per_bar) % enc.positions]
            if s.root[u] >= 0:
                rel = np.flatnonzero(s.rel[u])
                cols += [o + s.root[u], *(o + 12 + rel), *(o + 48 + (rel + s.root[u]) % 12)]
            if s.next_root[u] >= 0:
                cols += [o + 24 + s.next_root[u], *(o + 36 + np.flatnonzero(s.next_rel[u]))]
            cols.append(tail + s.to_change[u])
            cache[key] = np.array(sorted(cols), dtype=np.int64)
        out.append(cache[key])
    return out


def _mask_and_bias(enc: ChordConditionedEncoding, c: SoloControls) -> tuple[np.ndarray, np.ndarray]:
    n = enc.events.n_events
    pitches = enc.events.min_pitch + np.arange(n - 2)
    allowed = np.ones(n, dtype=bool)
    allowed[2:] = (pitches >= c.low) & (pitches <= c.high)
    bias = np.zeros(n)
    bias[2:] = c.temperature * (c.density or 0.0)  # density is added after dividing by the temperature
    return allowed, bias


def chord_tone_bias(
    enc: ChordConditionedEncoding, chords: list, steps_per_bar: int, steps_per_beat: int, c: SoloControls
) -> list | None:
    """For every step, (bias, mask): `c.strong_tones` on beats 1 and 3 (beat 1 in an odd meter:
    where `measures.strong_beat_ctr` counts) or `c.other_tones` elsewhere, for the note-ons of
    the step's chord tones (`measures.is_chord_tone`); None under N.C., or for every step when
    both are 0."""
    strong_b, other_b = c.strong_tones or 0.0, c.other_tones or 0.0
    if (strong_b == 0 and other_b == 0) or c.temperature == 0:
        return None
    beats = steps_per_bar // steps_per_beat
    strong = {0} if beats % 2 else set(range(0, steps_per_bar, 2 * steps_per_beat))
    pc = (enc.events.min_pitch + np.arange(enc.n_pitches)) % 12
    cache: dict = {}
    out: list = []
    for u, chord in enumerate(chords):
        root = getattr(chord, "root", None)
        b = strong_b if u % steps_per_bar in strong else other_b
        if root is None or b == 0:
            out.append(None)
            continue
        key = (root, chord.quality)
        if key not in cache:
            mask = np.zeros(enc.events.n_events, dtype=bool)
            mask[2:] = np.isin((pc - root) % 12, QUALITIES[chord.quality])
            cache[key] = mask
        out.append((b, cache[key]))
    return out


def favour(logits: np.ndarray, b: float, mask: np.ndarray, allowed: np.ndarray, temperature: float):
    """`logits` with `b` added (after the temperature) to the note-ons in `mask`, and every
    note-on moved so that their total probability is what it was: which pitch is played
    changes, not whether or when a note starts."""
    z = logits[2:] / temperature
    ok = allowed[2:]
    if not ok.any():
        return logits
    top = z[ok].max()
    before = np.log(np.exp(z[ok] - top).sum())
    moved = z + b * mask[2:]
    after = np.log(np.exp(moved[ok] - top).sum())
    out = logits.copy()
    out[2:] = temperature * (moved - (after - before))
    return out


def as_stepper(model) -> SoloStepper:
    """A SoloStepper (reset to the zero state) for a stepper or a `solo.model.SoloNet`."""
    if isinstance(model, SoloStepper):
        model.reset()
        return model
    from improvise.solo.model import stepper_weights

    return SoloStepper(stepper_weights(model), model.config)


def generate_solo(
    model,
    enc: ChordConditionedEncoding,
    chords: list,
    steps_per_bar: int = 16,
    controls: SoloControls | None = None,
    keep: np.ndarray | None = None,
    steps_per_beat: int = 4,
) -> np.ndarray:
    """Events for every step of `chords` (one chord a step) from `model` (a SoloNet or its
    SoloStepper), drawn with `controls`' register, density and biases (chord tones on beats 1
    and 3 and elsewhere, the motif memory's pitch: `favour`). `keep`: events to keep where >= 0
    (regenerating some bars of an earlier solo: the model hears the kept ones as its past)."""
    c = controls or SoloControls()
    c.validate()
    rng = np.random.default_rng(c.seed)
    allowed, bias = _mask_and_bias(enc, c)
    tones = chord_tone_bias(enc, chords, steps_per_bar, steps_per_beat, c)
    T = len(chords)
    cols = chord_columns(enc, chords, steps_per_bar)
    root = enc.encode_events(np.zeros(T, dtype=np.int64), chords, steps_per_bar).root
    stepper = as_stepper(model)
    n, lo = enc.n_pitches, enc.events.min_pitch
    o_last, o_rel = enc.last_offset, enc.last_offset + n
    o_since = o_rel + 12
    events = np.zeros(T, dtype=np.int64)
    events[0] = enc.events.NOTE_OFF if keep is None or keep[0] < 0 else keep[0]
    last, last_on, sounding = -1, -(10**9), False
    motif_masks = np.eye(enc.events.n_events, dtype=bool)[2:]  # [pitch index]: its note-on alone
    memory, motif, suggested = MotifMemory(), [], None
    motif_b = (c.motif or 0.0) if c.temperature > 0 else 0.0
    for t in range(T - 1):
        e = int(events[t])
        if e >= 2:
            last, last_on, sounding = e - 2, t, True
            leap, length = memory.add(e)
            motif = enc.motif_columns(leap, length)
            suggested = None if leap is None else last + leap
        elif e == 1:
            sounding = False
        u = t + 1
        extra = [e, o_since + min(u - last_on, CAP)]
        if last >= 0:
            extra.append(o_last + last)
            if root[u] >= 0:
                extra.append(o_rel + (last + lo - root[u]) % 12)
        if sounding:
            extra.append(o_since + CAP + 1)
        extra += motif
        active = np.concatenate([np.array(extra, dtype=np.int64), cols[u]])
        logits = stepper.step(active, int(root[u]), last)
        if keep is not None and keep[u] >= 0:
            events[u] = keep[u]
            continue
        if tones is not None and tones[u] is not None:
            logits = favour(logits, *tones[u], allowed, c.temperature)
        if motif_b and suggested is not None and 0 <= suggested < n:
            logits = favour(logits, motif_b, motif_masks[suggested], allowed, c.temperature)
        events[u] = draw(logits + bias, c.temperature, rng, allowed)
    return events


def events_to_tune(
    events: np.ndarray,
    chords: list,
    enc: ChordConditionedEncoding,
    steps_per_bar: int = 16,
    tempo_bpm: float = 160.0,
    steps_per_beat: int = 4,
) -> Tune:
    return Tune(
        chords=list(chords),
        melody=enc.events.events_to_notes(events),
        steps_per_bar=steps_per_bar,
        beats_per_bar=steps_per_bar // steps_per_beat,
        tempo_bpm=tempo_bpm,
    )
