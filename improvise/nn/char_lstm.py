"""A character LSTM language model: Karpathy's char-rnn (one-hot input, stacked LSTM layers,
dropout between them, a softmax over the characters).

`CharLSTM.forward(x, targets=None, state=None) -> (logits, loss, state)`, x (T, B) character ids
time first, `loss` the mean cross-entropy over the targets that are not -1. `NumpyCharStep`
runs the same weights one character at a time in float32 numpy, for fast sampling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from improvise.core.errors import ConfigError


@dataclass
class CharLSTMConfig:
    vocab_size: int  # characters the model reads and predicts
    hidden: int = 128  # units a layer (char-rnn's -rnn_size 128)
    layers: int = 3  # stacked LSTM layers (char-rnn's -num_layers 3)
    dropout: float = 0.05  # between layers and before the output, training only (seed 004's Mozart run)

    def __post_init__(self) -> None:
        if min(self.vocab_size, self.hidden, self.layers) < 1 or not 0 <= self.dropout < 1:
            raise ConfigError("sizes must be positive and dropout in [0, 1)")

    def to_dict(self) -> dict:
        return asdict(self)


class CharLSTM(nn.Module):
    def __init__(self, config: CharLSTMConfig):
        super().__init__()
        self.config = c = config
        self.lstm = nn.LSTM(
            c.vocab_size, c.hidden, num_layers=c.layers, dropout=c.dropout if c.layers > 1 else 0
        )
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden, c.vocab_size)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        h, state = self.lstm(F.one_hot(x, self.config.vocab_size).to(self.head.weight.dtype), state)
        logits = self.head(self.drop(h))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)
        return logits, loss, state


class NumpyCharStep:
    """One character at a time with a CharLSTM's weights (numpy, batch 1; float32 unless
    `dtype` says otherwise), an improvise.core.sample.Stepper: `reset()`, then
    `step(char_id) -> logits` (a fresh array each call)."""

    def __init__(self, model: CharLSTM, dtype=np.float32):
        c = model.config
        sd = {k: v.detach().cpu().numpy().astype(dtype) for k, v in model.state_dict().items()}
        self.hidden, self.layers, self.dtype = c.hidden, c.layers, dtype
        # layer 0's one-hot input selects a column of W_ih: keep them as rows, with both biases added
        self.embed = np.ascontiguousarray(
            sd["lstm.weight_ih_l0"].T + sd["lstm.bias_ih_l0"] + sd["lstm.bias_hh_l0"]
        )
        self.w_hh = [np.ascontiguousarray(sd[f"lstm.weight_hh_l{i}"].T) for i in range(c.layers)]
        self.w_ih = [None] + [np.ascontiguousarray(sd[f"lstm.weight_ih_l{i}"].T) for i in range(1, c.layers)]
        self.bias = [None] + [sd[f"lstm.bias_ih_l{i}"] + sd[f"lstm.bias_hh_l{i}"] for i in range(1, c.layers)]
        self.w_out = np.ascontiguousarray(sd["head.weight"].T)
        self.b_out = sd["head.bias"]
        self.reset()

    def reset(self) -> None:
        self.h = [np.zeros(self.hidden, self.dtype) for _ in range(self.layers)]
        self.c = [np.zeros(self.hidden, self.dtype) for _ in range(self.layers)]

    def step(self, char_id: int) -> np.ndarray:
        H = self.hidden
        x = None
        for i in range(self.layers):
            if i == 0:
                z = self.embed[char_id] + self.h[0] @ self.w_hh[0]
            else:
                z = x @ self.w_ih[i] + self.h[i] @ self.w_hh[i] + self.bias[i]
            g = 1.0 / (1.0 + np.exp(-z[: 2 * H]))  # input and forget gates (PyTorch order i, f, g, o)
            o = 1.0 / (1.0 + np.exp(-z[3 * H :]))
            self.c[i] = g[H:] * self.c[i] + g[:H] * np.tanh(z[2 * H : 3 * H])
            x = self.h[i] = o * np.tanh(self.c[i])
        return x @ self.w_out + self.b_out
