"""Next-event models over a window of past events (seed 002's linear and MLP predictors): the
input row already holds the window (see melody_encodings.window); no recurrence, so `state`
is passed through untouched. hidden=0 gives a linear softmax (multinomial logistic) model.

forward(x, targets=None, state=None) -> (logits, loss, state); targets of -1 are padding."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from improvise.nn.losses import event_loss


@dataclass
class WindowMLPConfig:
    input_size: int  # width of an input row (the window's one-hots)
    n_events: int  # classes of the output
    hidden: int = 256  # units of the hidden layer; 0 for a linear softmax model
    dropout: float = 0.2  # on the hidden layer (training only)

    def to_dict(self) -> dict:
        return asdict(self)


class WindowMLP(nn.Module):
    def __init__(self, config: WindowMLPConfig):
        super().__init__()
        self.config = c = config
        if c.hidden:
            self.net = nn.Sequential(
                nn.Linear(c.input_size, c.hidden),
                nn.Tanh(),
                nn.Dropout(c.dropout),
                nn.Linear(c.hidden, c.n_events),
            )
        else:
            self.net = nn.Linear(c.input_size, c.n_events)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        logits = self.net(x)
        return logits, event_loss(logits, targets), state
