"""The package's one way to draw a token from a model's logits, and the one shape of a
step-by-step model (numpy only: no torch, no music).

Temperature has one meaning everywhere:
- 0 is the argmax: the likeliest allowed token, ties going to the lowest id; nothing is drawn
  from the random generator.
- T > 0 draws from softmax((logits - max) / T) over the allowed tokens, with one
  `rng.random()` a draw. 1 is the model's own distribution, below 1 sharper, above 1 flatter.
  The logits are shifted by their maximum before dividing, so a tiny T never overflows: it
  tends to the argmax (exp(-inf) = 0, never inf or NaN).
- A negative or non-finite T is a ConfigError.

Logits that are NaN count as -1e300 and +inf as +1e300 (so a broken logit is never drawn
unless every allowed one is broken). `mask` (booleans, True = allowed) limits both the argmax
and the draw; a mask that allows nothing is a ValueError.

A `Stepper` is a model run one step at a time: `reset()` zeroes its state, `step(token)` feeds
one input (a token id, or a dense input vector for models that read one) and returns the
logits (numpy) of the next token. Every model's numpy fast path has this shape, and each
matches its torch model's whole-sequence forward (tests/test_steppers.py).
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import numpy as np

from improvise.core.errors import ConfigError

__all__ = ["Stepper", "check_temperature", "draw"]


@runtime_checkable
class Stepper(Protocol):
    """A model stepped one input at a time (see the module docstring)."""

    def reset(self) -> None:
        """Back to the zero state, before the first step."""

    def step(self, token: Any) -> np.ndarray:
        """Feed one input (token id or dense vector); the logits of the next token."""


def check_temperature(temperature: float) -> float:
    """`temperature` as a float; a ConfigError when it is negative or not finite."""
    t = float(temperature)
    if not math.isfinite(t) or t < 0:
        raise ConfigError(f"temperature must be 0 (argmax) or a positive finite number, not {temperature}")
    return t


def _clean(z: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, int]:
    """The slow path for broken logits: NaN -> -1e300, +-inf -> +-1e300, masked -> -inf."""
    z = np.nan_to_num(z, nan=-1e300, posinf=1e300, neginf=-1e300)
    if mask is not None:
        z = np.where(mask, z, -np.inf)
    best = int(np.argmax(z))
    if not np.isfinite(z[best]):
        raise ValueError("the mask allows no token")
    return z, best


def draw(
    logits: np.ndarray, temperature: float, rng: np.random.Generator, mask: np.ndarray | None = None
) -> int:
    """A token id from `logits` at `temperature` (0 = argmax), only among `mask`'s True
    entries when a mask is given; one rng.random() a draw when temperature > 0. See the
    module docstring for the one meaning of temperature."""
    t = check_temperature(temperature)
    z = np.asarray(logits, dtype=np.float64)
    if mask is not None:
        z = np.where(mask, z, -np.inf)
    best = int(np.argmax(z))
    top = z[best]
    if not math.isfinite(top):  # a NaN or +inf logit, or nothing allowed
        z, best = _clean(z, mask)
        top = z[best]
    if t == 0:
        return best
    d = z - top  # <= 0; clipped where exp would be 0 anyway, so that a tiny t cannot overflow
    np.maximum(d, -800.0 * t, out=d)
    d /= t
    p = np.exp(d, out=d)  # exp(0) = 1 at the argmax
    cdf = np.cumsum(p)
    return min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(p) - 1)
