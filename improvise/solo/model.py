"""The soloist's network (issue 15): an event LSTM whose note-on logits also get two key-free
terms, so a chord is read per candidate pitch rather than learnt twelve times over:

    logit(note-on p) = head(h)[p] + degree(h)[(p - root) mod 12] + leap(h)[p - last + 36]

`degree` scores each interval above the root of the predicted step's chord (zero under N.C.),
`leap` each leap from the last note played (zero before the first); both roots and the last
pitch are read from the input (`encodings.conditioned`). Same contract as every model of the
trainer: forward(x, targets=None, state=None) -> (logits, loss, state).

`solo.stepper.SoloStepper` is its numpy fast path (no torch), on `stepper_weights(model)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from improvise.nn.losses import event_accuracy, event_loss
from improvise.solo.stepper import LEAPS, WEIGHT_NAMES, SoloNetConfig, index_maps


class SoloNet(nn.Module):
    def __init__(self, config: SoloNetConfig):
        super().__init__()
        self.config = c = config
        self.rnn = nn.LSTM(c.input_size, c.hidden)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden, c.n_events)
        self.degree = nn.Linear(c.hidden, 12, bias=False)
        self.leap = nn.Linear(c.hidden, LEAPS, bias=False)
        degree, leap = index_maps(c.n_events - 2, c.min_pitch)
        self.register_buffer("degree_map", torch.from_numpy(degree), persistent=False)
        self.register_buffer("leap_map", torch.from_numpy(leap), persistent=False)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        c = self.config
        h, state = self.rnn(x, state)
        h = self.drop(h)
        n = c.n_events - 2
        root = x[..., c.root_offset : c.root_offset + 12]  # (T, B, 12) one-hot or zero
        last = x[..., c.last_offset : c.last_offset + n]  # (T, B, n)
        deg = self.degree(h)[..., self.degree_map]  # (T, B, 12 roots, n)
        lp = self.leap(h)[..., self.leap_map]  # (T, B, n last, n)
        bias = (root.unsqueeze(-1) * deg).sum(-2) + (last.unsqueeze(-1) * lp).sum(-2)
        logits = self.head(h) + F.pad(bias, (2, 0))
        return logits, event_loss(logits, targets), state

    def describe(self, logits: torch.Tensor, targets: torch.Tensor) -> dict:
        return event_accuracy(logits, targets)


def stepper_weights(model: SoloNet) -> dict:
    """The numpy arrays `solo.stepper.SoloStepper` runs on (float64), from the network."""
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    return {k: sd[k] for k in WEIGHT_NAMES}
