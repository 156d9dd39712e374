"""An LSTM over multi-hot frames with one sigmoid output a key: the polyphonic piano-roll model
of the Boulanger-Lewandowski et al. (2012) benchmarks.

forward(x, targets=None, state=None) -> (logits, loss, state): x (T, B, K) float, time first;
targets (T, B, K) float multi-hot, a padded step has its whole row = -1. `loss` is the binary
cross-entropy summed over the K keys and averaged over the steps that are not padding, i.e. the
negative log-likelihood per time step in nats.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from improvise.core.errors import ConfigError


@dataclass
class PianorollLSTMConfig:
    keys: int = 88  # inputs and sigmoid outputs a step (piano keys A0..C8)
    hidden: int = 256  # LSTM units a layer
    layers: int = 1  # stacked LSTM layers
    input_dropout: float = 0.0  # dropout on the input frame (training only)
    dropout: float = 0.0  # dropout between stacked layers (training only; needs layers > 1)
    output_dropout: float = 0.5  # dropout on the last layer's output before the key logits (training only)

    def __post_init__(self) -> None:
        if min(self.keys, self.hidden, self.layers) < 1:
            raise ConfigError("keys, hidden and layers must be at least 1")
        for name in ("input_dropout", "dropout", "output_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"{name} must be in [0, 1)")

    def to_dict(self) -> dict:
        return asdict(self)


def multihot_nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Sum over keys of the BCE with logits, mean over the steps whose target row is not -1."""
    mask = targets[..., 0] >= 0
    n = mask.sum()
    if int(n) == 0:
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[mask], targets[mask], reduction="sum") / n


class PianorollLSTM(nn.Module):
    def __init__(self, config: PianorollLSTMConfig):
        super().__init__()
        self.config = c = config
        self.in_drop = nn.Dropout(c.input_dropout)
        self.rnn = nn.LSTM(c.keys, c.hidden, num_layers=c.layers, dropout=c.dropout if c.layers > 1 else 0.0)
        self.out_drop = nn.Dropout(c.output_dropout)
        self.head = nn.Linear(c.hidden, c.keys)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        h, state = self.rnn(self.in_drop(x), state)
        logits = self.head(self.out_drop(h))
        loss = None if targets is None else multihot_nll(logits, targets)
        return logits, loss, state

    def set_output_bias(self, key_rate: torch.Tensor, eps: float = 1e-4) -> None:
        """Start each key's logit at the log-odds of its rate in the training frames."""
        p = key_rate.float().clamp(eps, 1 - eps)
        with torch.no_grad():
            self.head.bias.copy_(torch.log(p) - torch.log1p(-p))
