"""The soloist's numpy fast path (the `core.sample.Stepper` shape), with no torch: one LSTM
step of `solo.model.SoloNet` in eval mode, the input given as the indices of its ones (every
input of `encodings.conditioned` is 0 or 1), about 40 us a step at 128 units on one thread.
The weights are a dict of arrays (WEIGHT_NAMES, the network's state-dict names): from the
network (`model.stepper_weights`) or a run folder's weights.npz (`solo.runs`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from improvise.core.errors import ConfigError

LEAPS = 73  # -36 .. +36 semitones
WEIGHT_NAMES = (
    "rnn.weight_ih_l0",
    "rnn.weight_hh_l0",
    "rnn.bias_ih_l0",
    "rnn.bias_hh_l0",
    "head.weight",
    "head.bias",
    "degree.weight",
    "leap.weight",
)


@dataclass
class SoloNetConfig:
    input_size: int  # width of an input vector (ChordConditionedEncoding.size)
    n_events: int  # hold, note-off, then n_pitches note-ons
    root_offset: int  # input columns of the predicted step's chord root (12)
    last_offset: int  # input columns of the last note's pitch (n_events - 2)
    hidden: int = 128
    dropout: float = 0.2
    min_pitch: int = 48  # MIDI pitch of note-on 0

    def __post_init__(self) -> None:
        if min(self.input_size, self.n_events - 2, self.hidden) < 1 or not 0 <= self.dropout < 1:
            raise ConfigError("sizes must be positive and dropout in [0, 1)")
        if not 0 <= self.root_offset <= self.input_size - 12:
            raise ConfigError("root_offset outside the input")
        if not 0 <= self.last_offset <= self.input_size - (self.n_events - 2):
            raise ConfigError("last_offset outside the input")

    def to_dict(self) -> dict:
        return asdict(self)


def index_maps(n_pitches: int, min_pitch: int) -> tuple[np.ndarray, np.ndarray]:
    """degree[r, p] = (p's pitch class - r) mod 12; leap[j, p] = p - j + 36."""
    pc = (min_pitch + np.arange(n_pitches)) % 12
    degree = (pc[None, :] - np.arange(12)[:, None]) % 12
    leap = np.arange(n_pitches)[None, :] - np.arange(n_pitches)[:, None] + LEAPS // 2
    return degree, leap


class SoloStepper:
    """`step(active)` takes the indices of the input's ones and returns the next event's logits;
    `config` is the network's SoloNetConfig (or anything with its fields)."""

    def __init__(self, weights: dict, config):
        self.config = c = config
        w = {k: np.asarray(weights[k], dtype=np.float64) for k in WEIGHT_NAMES}
        self.w_in = np.ascontiguousarray(w["rnn.weight_ih_l0"].T)  # (I, 4H): rows summed per active input
        self.w_hh = np.ascontiguousarray(w["rnn.weight_hh_l0"])
        self.b = w["rnn.bias_ih_l0"] + w["rnn.bias_hh_l0"]
        # every output at once: events, the 12 degree scores, the 73 leap scores
        self.w_out = np.concatenate([w["head.weight"], w["degree.weight"], w["leap.weight"]])
        self.b_out = np.concatenate([w["head.bias"], np.zeros(12 + LEAPS)])
        self.degree_map, self.leap_map = index_maps(c.n_events - 2, c.min_pitch)
        self.reset()

    def reset(self) -> None:
        self.h = np.zeros(self.config.hidden)
        self.c = np.zeros(self.config.hidden)

    def step(self, active) -> np.ndarray:
        c, H = self.config, self.config.hidden
        active = np.asarray(active)
        g = self.w_in[active].sum(0) + self.w_hh @ self.h + self.b
        i, f, o = (1.0 / (1.0 + np.exp(-g[k * H : (k + 1) * H])) for k in (0, 1, 3))
        self.c = f * self.c + i * np.tanh(g[2 * H : 3 * H])
        self.h = o * np.tanh(self.c)
        out = self.w_out @ self.h + self.b_out
        n = c.n_events - 2
        logits = out[: c.n_events].copy()
        roots = active[(active >= c.root_offset) & (active < c.root_offset + 12)] - c.root_offset
        if len(roots):
            logits[2:] += out[c.n_events : c.n_events + 12][self.degree_map[roots[0]]]
        last = active[(active >= c.last_offset) & (active < c.last_offset + n)] - c.last_offset
        if len(last):
            logits[2:] += out[c.n_events + 12 :][self.leap_map[last[0]]]
        return logits
