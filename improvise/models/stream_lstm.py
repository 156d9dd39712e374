"""A plain LSTM over a stream of frames with either of two output layers, for asking which
output layer a task needs (docs/results.md, Eck 2002 section).

- `"softmax"`: the targets are class ids; one softmax over `output_size` classes, cross-entropy.
- `"sigmoid"`: the targets are multi-hot frames; independent sigmoid units, binary
  cross-entropy (Eck & Schmidhuber 2002's output layer).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class StreamLSTM(nn.Module):
    """forward(x, targets=None, state=None) -> (logits, loss, state); x (T, B, input_size)."""

    def __init__(self, input_size: int, hidden: int, output_size: int, output: str = "sigmoid",
                 forget_bias: float = 1.0):
        super().__init__()
        if output not in ("softmax", "sigmoid"):
            raise ValueError(f"output must be 'softmax' or 'sigmoid', not {output!r}")
        self.output = output
        self.lstm = nn.LSTM(input_size, hidden)
        self.head = nn.Linear(hidden, output_size)
        with torch.no_grad():
            self.lstm.bias_ih_l0[hidden:2 * hidden].fill_(forget_bias)
            self.lstm.bias_hh_l0[hidden:2 * hidden].zero_()

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        h, state = self.lstm(x, state)
        logits = self.head(h)
        loss = None
        if targets is not None:
            if self.output == "softmax":
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
            else:
                loss = F.binary_cross_entropy_with_logits(logits, targets)
        return logits, loss, state

    @torch.no_grad()
    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        """Class ids (softmax) or 0/1 frames thresholded at 0.5 (sigmoid)."""
        return logits.argmax(-1) if self.output == "softmax" else (logits > 0).float()

    @torch.no_grad()
    def describe(self, logits: torch.Tensor, targets: torch.Tensor) -> dict:
        """Accuracy: steps whose prediction (every unit, for sigmoid outputs) is the target."""
        hit = self.predict(logits) == targets
        return {"acc": float((hit if self.output == "softmax" else hit.all(-1)).float().mean())}
