"""Stacked recurrent layers stepped one input at a time in numpy, from a torch `nn.LSTM`,
`nn.GRU` or `nn.RNN` (tanh) state dict, batch 1: the shared layer of the package's fast paths.

`NumpyRNNStack(cell, state_dict, layers, prefix)` holds the weights transposed for row-vector
products, the two biases of each layer summed (GRU: except the new-gate hidden bias, which sits
inside the reset gate's product, as in PyTorch). `step(x)` advances every layer by one step and
returns the top layer's output; `step_row(i)` does the same for a one-hot input `x = e_i` by
reading a row of the first layer's input matrix instead of multiplying. Gate orders follow
PyTorch: LSTM i, f, g, o; GRU r, z, n.

`NumpyMelodyRNN(model)` is an `improvise.core.sample.Stepper` for `nn.melody_rnn.MelodyRNN`
(reset(), step(x) -> logits of the next event); models import no music code, so the caller
builds x as the model was trained on it.
"""

from __future__ import annotations

import numpy as np

from improvise.core.errors import ConfigError

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class NumpyRNNStack:
    """`layers` recurrent layers of one cell kind, batch 1, in `dtype` (float64 by default)."""

    def __init__(self, cell: str, state_dict: dict, layers: int, prefix: str = "rnn.", dtype=np.float64):
        if cell not in GATES:
            raise ConfigError(f"cell must be one of {sorted(GATES)}, not {cell!r}")
        sd = {
            k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v, dtype=dtype)
            for k, v in state_dict.items()
            if k.startswith(prefix)
        }
        self.cell, self.layers, self.dtype = cell, layers, dtype
        self.hidden = sd[f"{prefix}weight_hh_l0"].shape[1]
        H = self.hidden
        self.w_ih, self.w_hh, self.b, self.b_hn = [], [], [], []
        for i in range(layers):
            b_ih, b_hh = sd[f"{prefix}bias_ih_l{i}"], sd[f"{prefix}bias_hh_l{i}"]
            self.w_ih.append(np.ascontiguousarray(sd[f"{prefix}weight_ih_l{i}"].T))
            self.w_hh.append(np.ascontiguousarray(sd[f"{prefix}weight_hh_l{i}"].T))
            if cell == "gru":  # r and z take both biases; n's hidden bias is multiplied by r
                self.b.append(np.concatenate([b_ih[: 2 * H] + b_hh[: 2 * H], b_ih[2 * H :]]))
                self.b_hn.append(b_hh[2 * H :])
            else:
                self.b.append(b_ih + b_hh)
        self.reset()

    @property
    def input_size(self) -> int:
        return self.w_ih[0].shape[0]

    def reset(self) -> None:
        """Zero hidden (and cell) state in every layer."""
        self.h = [np.zeros(self.hidden, self.dtype) for _ in range(self.layers)]
        self.c = [np.zeros(self.hidden, self.dtype) for _ in range(self.layers)]

    def step(self, x: np.ndarray) -> np.ndarray:
        """The top layer's output after input `x` (a vector of input_size)."""
        x = np.asarray(x, dtype=self.dtype).reshape(-1)
        if x.shape[0] != self.input_size:
            raise ConfigError(f"input of {x.shape[0]} values, the network takes {self.input_size}")
        return self._layers(x @ self.w_ih[0])

    def step_row(self, index: int) -> np.ndarray:
        """step(e_index) for a one-hot input: a row of the first input matrix, no product."""
        return self._layers(self.w_ih[0][index])

    def _layers(self, projected: np.ndarray) -> np.ndarray:
        out = None
        for i in range(self.layers):
            xi = projected if i == 0 else out @ self.w_ih[i]
            out = self.h[i] = self._cell(i, xi + self.b[i])
        return out.copy()

    def _cell(self, i: int, zx: np.ndarray) -> np.ndarray:
        H, h = self.hidden, self.h[i]
        if self.cell == "rnn":
            return np.tanh(zx + h @ self.w_hh[i])
        if self.cell == "lstm":
            z = zx + h @ self.w_hh[i]
            gates = _sigmoid(z[: 2 * H])  # input, forget
            o = _sigmoid(z[3 * H :])
            self.c[i] = gates[H:] * self.c[i] + gates[:H] * np.tanh(z[2 * H : 3 * H])
            return o * np.tanh(self.c[i])
        zh = h @ self.w_hh[i]  # gru
        rz = _sigmoid(zx[: 2 * H] + zh[: 2 * H])
        n = np.tanh(zx[2 * H :] + rz[:H] * (zh[2 * H :] + self.b_hn[i]))
        return (1.0 - rz[H:]) * n + rz[H:] * h


class NumpyMelodyRNN:
    """A MelodyRNN's fast path, an improvise.core.sample.Stepper: `reset()`, then
    `step(x) -> logits` (float64 by default; a fresh array each call)."""

    def __init__(self, model, dtype=np.float64):
        c = model.config
        sd = model.state_dict()
        self.stack = NumpyRNNStack(c.cell, sd, c.layers, "rnn.", dtype)
        self.w_out = np.ascontiguousarray(sd["head.weight"].detach().cpu().numpy().astype(dtype).T)
        self.b_out = sd["head.bias"].detach().cpu().numpy().astype(dtype)

    def reset(self) -> None:
        self.stack.reset()

    def step(self, x: np.ndarray) -> np.ndarray:
        return self.stack.step(x) @ self.w_out + self.b_out

    def step_row(self, index: int) -> np.ndarray:
        """step(e_index) for a one-hot input."""
        return self.stack.step_row(index) @ self.w_out + self.b_out
