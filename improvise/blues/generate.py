"""One free-running sampler for the chord/melody models.

From a single primer step the model predicts the next (chord, pitch) pair; each is drawn at
its own temperature (0 = argmax; improvise.core.sample.draw) and fed back as the next input, step after step.

What the chord layer is fed back is `feedback`:
- "belief" (default): the model's most likely chord. The chord that sounds is still drawn at
  `chord_temperature`, and the melody layer hears that one; but the model keeps count of the
  form from what it believes, so an unlikely draw is a passing substitution, not a lost bar.
- "sample": the drawn chord, as in seed 000; one unlucky draw at a chord change can shift
  the model's count of the form for good.
With `chord_temperature` 0 the two are the same.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from improvise.core.errors import ConfigError
from improvise.core.sample import check_temperature, draw

FEEDBACKS = ("belief", "sample")


@dataclass
class GenerateConfig:
    choruses: int = 1  # choruses to generate, primer step included
    chord_temperature: float = 0.0  # 0 = argmax chord (seed 000's headline setting)
    pitch_temperature: float = 0.85  # seed 000
    seed: int = 0  # fixes every draw
    feedback: str = "belief"  # what the chord layer is fed back: belief | sample
    primer_chord: int = 0  # chord id of step 0 (C7)
    primer_pitch: int = 0  # pitch id of step 0 (C4)

    def validate(self) -> None:
        if self.choruses < 1:
            raise ConfigError(f"choruses must be at least 1, not {self.choruses}")
        check_temperature(self.chord_temperature)  # 0 = argmax (improvise.core.sample)
        check_temperature(self.pitch_temperature)
        if self.feedback not in FEEDBACKS:
            raise ConfigError(f"feedback must be one of {FEEDBACKS}, not {self.feedback!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def input_vector(encoding, form_chord: int, played_chord: int, pitch: int, pos: int) -> np.ndarray:
    """The model's input for one step (the layout is BluesEncoding's): the chord the form is
    at, the chord played, the pitch token, the step's position in its bar."""
    x = np.zeros(encoding.input_size)
    x[encoding.form_chord_slice.start + form_chord] = 1.0
    x[encoding.played_chord_slice.start + played_chord] = 1.0
    x[encoding.pitch_slice.start + pitch] = 1.0
    x[encoding.clock_slice] = encoding.clock(np.array([pos]))[0]
    return x


@lru_cache(maxsize=4096)
def _input_of(encoding, key: tuple[int, int, int, int]) -> np.ndarray:
    """input_vector(encoding, *key), kept (read-only): every new stepper (one a training
    snapshot) meets the same few hundred inputs again."""
    x = input_vector(encoding, *key)
    x.flags.writeable = False
    return x


def generate(stepper, encoding, n_steps: int, cfg: GenerateConfig) -> tuple[np.ndarray, np.ndarray]:
    """Free-run `stepper` for `n_steps` steps. Returns (chord ids, pitch ids); index 0 is the
    primer. The stepper (an improvise.core.sample.Stepper) also has step_key(key, x_fn) ->
    logits, where the input x_fn() is fully determined by the hashable key (see
    nn.reference.NumpyChordMelody)."""
    cfg.validate()
    rng = np.random.default_rng(cfg.seed)
    n_chords = encoding.n_chords
    chords = np.zeros(n_steps, dtype=np.int64)
    pitches = np.zeros(n_steps, dtype=np.int64)
    chord, pitch = chords[0], pitches[0] = cfg.primer_chord, cfg.primer_pitch
    belief = chord
    spb = encoding.steps_per_bar
    # at chord temperature 0 the drawn chord is the argmax, the belief itself
    believe_draw = cfg.feedback == "sample" or cfg.chord_temperature == 0
    stepper.reset()

    for t in range(n_steps - 1):
        key = (belief, chord, pitch, t % spb)
        logits = stepper.step_key(key, lambda key=key: _input_of(encoding, key))
        chord_logits = logits[:n_chords]
        chord = chords[t + 1] = draw(chord_logits, cfg.chord_temperature, rng)
        pitch = pitches[t + 1] = draw(logits[n_chords:], cfg.pitch_temperature, rng)
        belief = chord if believe_draw else int(chord_logits.argmax())
    return chords, pitches
