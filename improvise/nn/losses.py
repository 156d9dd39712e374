"""The loss and the logged figure every class-per-step model shares (melody, soloist, window
MLP, attention RNN, character LSTM): targets of -1 are padding and count for neither."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def event_loss(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor | None:
    """Mean cross-entropy over the targets that are not padding (-1); None without targets.
    logits (..., classes), targets (...) class ids."""
    if targets is None:
        return None
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)


@torch.no_grad()
def event_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> dict:
    """describe() of such a model: argmax accuracy over the targets that are not padding."""
    return {"acc": float((logits.argmax(-1) == targets)[targets >= 0].float().mean())}
