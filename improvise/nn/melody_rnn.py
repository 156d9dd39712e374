"""A melody language model over events (hold, note-off, note-on per pitch), optionally reading
extra inputs each step (e.g. the chord's pitch classes): Magenta's basic melody RNN shape.

forward(x, targets=None, state=None) -> (logits, loss, state); targets of -1 are padding."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from improvise.core.errors import ConfigError
from improvise.nn.losses import event_accuracy, event_loss

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclass
class MelodyRNNConfig:
    input_size: int  # width of an input vector
    n_events: int  # classes of the output
    hidden: int = 128  # units a layer
    layers: int = 2  # stacked recurrent layers
    cell: str = "lstm"  # lstm | gru | rnn
    dropout: float = 0.2  # between layers and before the output (training only)

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(f"cell must be one of {sorted(CELLS)}, not {self.cell!r}")
        if min(self.input_size, self.n_events, self.hidden, self.layers) < 1 or not 0 <= self.dropout < 1:
            raise ConfigError("sizes must be positive and dropout in [0, 1)")

    def to_dict(self) -> dict:
        return asdict(self)


class MelodyRNN(nn.Module):
    def __init__(self, config: MelodyRNNConfig):
        super().__init__()
        self.config = c = config
        self.rnn = CELLS[c.cell](
            c.input_size, c.hidden, num_layers=c.layers, dropout=c.dropout if c.layers > 1 else 0
        )
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden, c.n_events)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        h, state = self.rnn(x, state)
        logits = self.head(self.drop(h))
        return logits, event_loss(logits, targets), state

    def describe(self, logits: torch.Tensor, targets: torch.Tensor) -> dict:
        return event_accuracy(logits, targets)
