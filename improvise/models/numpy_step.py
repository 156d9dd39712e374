"""Single-step inference of `ChordMelodyNet` in numpy: no torch at run time, a few
microseconds a step. Used by `improvise.generate` and, later, the live engine.

Weights come from the torch state dict (as arrays), so a checkpoint trained with torch runs
here unchanged; a test checks both give the same logits.
"""
from __future__ import annotations

import numpy as np


class _Layer:
    """One recurrent layer (lstm | gru | rnn) with PyTorch's weight layout, row-vector form."""

    def __init__(self, cell: str, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray):
        self.cell = cell
        self.hidden = w_hh.shape[1]
        self.w_ih_t = np.ascontiguousarray(w_ih.T, dtype=np.float64)
        self.w_hh_t = np.ascontiguousarray(w_hh.T, dtype=np.float64)
        self.b_ih = b_ih.astype(np.float64)
        self.b_hh = b_hh.astype(np.float64)
        self.b = self.b_ih + self.b_hh
        if cell == "lstm":
            # one exp for all four gates: tanh(z) = 2 * sigmoid(2z) - 1 on the cell-input block
            h = self.hidden
            self.scale = np.ones(4 * h)
            self.scale[2 * h:3 * h] = 2.0
            self.w_ih_t = self.w_ih_t * self.scale
            self.w_hh_t = self.w_hh_t * self.scale
            self.b = self.b * self.scale

    def zero_state(self, batch: int):
        h = np.zeros((batch, self.hidden))
        return (h, np.zeros_like(h)) if self.cell == "lstm" else h

    def step(self, projected: np.ndarray, state):
        """Advance one step from `projected` = input @ w_ih_t (the input weights already applied)."""
        H = self.hidden
        if self.cell == "lstm":
            h, c = state
            s = 1.0 / (1.0 + np.exp(-(projected + h @ self.w_hh_t + self.b)))
            c = s[:, H:2 * H] * c + s[:, :H] * (2.0 * s[:, 2 * H:3 * H] - 1.0)
            h = s[:, 3 * H:] * np.tanh(c)
            return h, (h, c)
        if self.cell == "gru":
            gi = projected + self.b_ih
            gh = state @ self.w_hh_t + self.b_hh
            rz = 1.0 / (1.0 + np.exp(-(gi[:, :2 * H] + gh[:, :2 * H])))
            n = np.tanh(gi[:, 2 * H:] + rz[:, :H] * gh[:, 2 * H:])
            z = rz[:, H:]
            h = (1.0 - z) * n + z * state
            return h, h
        h = np.tanh(projected + state @ self.w_hh_t + self.b)
        return h, h


class NumpyChordMelody:
    """Step-by-step twin of ChordMelodyNet. `step(x)` takes (B, input_size) and returns
    (B, n_chords + n_pitches) logits, advancing the internal state."""

    def __init__(self, config, state_dict: dict):
        sd = {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in state_dict.items()}
        self.config = config
        self.chord_idx = np.asarray(config.chord_inputs)
        self.melody_idx = np.asarray(config.melody_inputs)
        self.chord = _Layer(config.cell, sd["chord_rnn.weight_ih_l0"], sd["chord_rnn.weight_hh_l0"],
                            sd["chord_rnn.bias_ih_l0"], sd["chord_rnn.bias_hh_l0"])
        self.melody = _Layer(config.cell, sd["melody_rnn.weight_ih_l0"], sd["melody_rnn.weight_hh_l0"],
                             sd["melody_rnn.bias_ih_l0"], sd["melody_rnn.bias_hh_l0"])
        # the melody layer's input is [h1, x[melody_idx]]: split its weights to skip the concat
        w = self.melody.w_ih_t
        self.melody_from_h1 = np.ascontiguousarray(w[:config.chord_hidden])
        self.melody_from_x = np.ascontiguousarray(w[config.chord_hidden:])
        self.head_c = (sd["chord_head.weight"].T.astype(np.float64), sd["chord_head.bias"].astype(np.float64))
        self.head_p = (sd["pitch_head.weight"].T.astype(np.float64), sd["pitch_head.bias"].astype(np.float64))
        self.reset()

    @classmethod
    def from_module(cls, module) -> "NumpyChordMelody":
        return cls(module.config, module.state_dict())

    def reset(self, batch: int = 1) -> None:
        self.state = (self.chord.zero_state(batch), self.melody.zero_state(batch))

    def step(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        chord_state, melody_state = self.state
        h1, chord_state = self.chord.step(x[:, self.chord_idx] @ self.chord.w_ih_t, chord_state)
        projected = h1 @ self.melody_from_h1 + x[:, self.melody_idx] @ self.melody_from_x
        h2, melody_state = self.melody.step(projected, melody_state)
        self.state = (chord_state, melody_state)
        return np.concatenate([h1 @ self.head_c[0] + self.head_c[1], h2 @ self.head_p[0] + self.head_p[1]], axis=1)
