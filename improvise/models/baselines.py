"""Baselines without a neural network: a Markov chain of order k over event ids, with
additive smoothing chosen on held-out data. Models never import music code: they see ids."""
from __future__ import annotations

from collections import defaultdict

import numpy as np


class MarkovChain:
    """P(e_t | e_{t-k}..e_{t-1}) = (count + alpha) / (context count + alpha * V).

    Sequences are padded on the left with a start symbol (id V, never predicted), so the first
    events are predicted from shorter histories."""

    def __init__(self, order: int, n_events: int, alpha: float = 0.1):
        if order < 0 or n_events < 1 or alpha <= 0:
            raise ValueError("order >= 0, n_events >= 1 and alpha > 0 are required")
        self.order, self.n_events, self.alpha = order, n_events, alpha
        self.counts: dict[tuple, np.ndarray] = defaultdict(lambda: np.zeros(n_events))

    def _contexts(self, seq: np.ndarray):
        padded = [self.n_events] * self.order + [int(e) for e in seq]
        for t in range(len(seq)):
            yield tuple(padded[t:t + self.order]), int(seq[t])

    def fit(self, sequences) -> "MarkovChain":
        for seq in sequences:
            for ctx, e in self._contexts(np.asarray(seq)):
                self.counts[ctx][e] += 1
        return self

    def log_probs(self, ctx: tuple) -> np.ndarray:
        c = self.counts.get(ctx)
        if c is None:
            return np.full(self.n_events, -np.log(self.n_events))
        return np.log((c + self.alpha) / (c.sum() + self.alpha * self.n_events))

    def nll(self, sequences) -> float:
        """Mean negative log-likelihood per event (nats)."""
        total, n = 0.0, 0
        for seq in sequences:
            for ctx, e in self._contexts(np.asarray(seq)):
                total -= self.log_probs(ctx)[e]
                n += 1
        return total / max(n, 1)

    def forward(self, x: np.ndarray, targets=None, state=None):
        """The package's model interface on one sequence of ids x (T,): logits (T, V) of the
        next event given the history up to each step, the mean NLL of `targets`, no state."""
        seq = [int(e) for e in np.asarray(x)]
        padded = [self.n_events] * self.order + seq
        logits = np.stack([self.log_probs(tuple(padded[t + 1:t + 1 + self.order])) for t in range(len(seq))])
        loss = None
        if targets is not None:
            loss = float(-logits[np.arange(len(seq)), np.asarray(targets)].mean())
        return logits, loss, None

    def sample(self, n: int, rng: np.random.Generator, primer=(), temperature: float = 1.0) -> np.ndarray:
        seq = list(primer)
        for _ in range(n):
            ctx = tuple(([self.n_events] * self.order + seq)[len(seq):len(seq) + self.order])
            lp = self.log_probs(ctx) / max(temperature, 1e-6)
            p = np.exp(lp - lp.max())
            seq.append(int(rng.choice(self.n_events, p=p / p.sum())))
        return np.asarray(seq[len(primer):])


def fit_markov(train, valid, n_events: int, order: int, alphas=(0.01, 0.03, 0.1, 0.3, 1.0)) -> tuple[MarkovChain, dict]:
    """The order-`order` chain whose smoothing gives the lowest validation NLL."""
    scores = {a: MarkovChain(order, n_events, a).fit(train).nll(valid) for a in alphas}
    best = min(scores, key=scores.get)
    return MarkovChain(order, n_events, best).fit(train), {"alpha": best, "valid_nll": scores}
