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
        H = c.hidden
        order = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]  # torch's i f g o -> i f o g
        self.w_in = np.ascontiguousarray(w["rnn.weight_ih_l0"][order].T)  # (I, 4H): rows summed per input
        self.w_hh = np.ascontiguousarray(w["rnn.weight_hh_l0"][order])
        self.b = (w["rnn.bias_ih_l0"] + w["rnn.bias_hh_l0"])[order]
        # every output at once: events, the 12 degree scores, the 73 leap scores
        self.w_out = np.concatenate([w["head.weight"], w["degree.weight"], w["leap.weight"]])
        self.b_out = np.concatenate([w["head.bias"], np.zeros(12 + LEAPS)])
        self.degree_map, self.leap_map = index_maps(c.n_events - 2, c.min_pitch)
        self.reset()

    def reset(self) -> None:
        self.h = np.zeros(self.config.hidden)
        self.c = np.zeros(self.config.hidden)

    def step(self, active, root: int | None = None, last: int | None = None) -> np.ndarray:
        """`active`: the input's ones (int array); `root` (0-11, -1 for none) and `last` (the
        last pitch's index, -1 for none) are read from it unless given."""
        c, H, n = self.config, self.config.hidden, self.config.n_events
        if root is None or last is None:
            active = np.asarray(active, dtype=np.int64)
            r = active[(active >= c.root_offset) & (active < c.root_offset + 12)] - c.root_offset
            k = active[(active >= c.last_offset) & (active < c.last_offset + n - 2)] - c.last_offset
            root, last = (int(r[0]) if len(r) else -1), (int(k[0]) if len(k) else -1)
        g = self.w_in[active].sum(0)
        g += self.w_hh @ self.h
        g += self.b
        gates = 1.0 / (1.0 + np.exp(-g[: 3 * H]))
        self.c = gates[H : 2 * H] * self.c + gates[:H] * np.tanh(g[3 * H :])
        self.h = gates[2 * H :] * np.tanh(self.c)
        out = self.w_out @ self.h
        out += self.b_out
        logits = out[:n]
        if root >= 0:
            logits[2:] += out[n : n + 12][self.degree_map[root]]
        if last >= 0:
            logits[2:] += out[n + 12 :][self.leap_map[last]]
        return logits
