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
from improvise.nn.losses import event_loss


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
        return logits, event_loss(logits, targets), state


class NumpyCharStep:
    """One character at a time with a CharLSTM's weights (numpy, batch 1; float32 unless
    `dtype` says otherwise), an improvise.core.sample.Stepper: `reset()`, then
    `step(char_id) -> logits` (a fresh array each call). The layers are the shared
    nn.numpy_rnn.NumpyRNNStack; a character's one-hot input reads a row of the first layer."""

    def __init__(self, model: CharLSTM, dtype=np.float32):
        from improvise.nn.numpy_rnn import NumpyRNNStack

        c = model.config
        sd = model.state_dict()
        self.stack = NumpyRNNStack("lstm", sd, c.layers, "lstm.", dtype)
        self.w_out = np.ascontiguousarray(sd["head.weight"].detach().cpu().numpy().astype(dtype).T)
        self.b_out = sd["head.bias"].detach().cpu().numpy().astype(dtype)

    def reset(self) -> None:
        self.stack.reset()

    def step(self, char_id: int) -> np.ndarray:
        return self.stack.step_row(char_id) @ self.w_out + self.b_out
