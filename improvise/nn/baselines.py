"""Baselines without a neural network: a Markov chain of order k over event ids, smoothed by
backing off to shorter contexts, the strength chosen on held-out data. Models never import
music code: they see ids."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from improvise.core.errors import ConfigError
from improvise.core.sample import draw


class MarkovChain:
    """Interpolated back-off (a hierarchical Dirichlet prior): with beta = alpha * V,

        P(e | ctx_j)         = (count(ctx_j, e) + beta * P(e | ctx_j-1)) / (count(ctx_j) + beta)
        P(e | empty context) = (count(e) + alpha) / (N + alpha * V)

    (ctx_j: a context of length j, ctx_j-1: the same minus its oldest event)

    so an unseen context of order k falls back to the best shorter one it has seen instead of a
    uniform guess. Sequences are padded on the left with a start symbol (id V, never predicted),
    so the first events are predicted from shorter histories."""

    def __init__(self, order: int, n_events: int, alpha: float = 0.1):
        if order < 0 or n_events < 1 or alpha <= 0:
            raise ConfigError("order >= 0, n_events >= 1 and alpha > 0 are required")
        self.order, self.n_events, self.alpha = order, n_events, alpha
        self.counts: dict[tuple, np.ndarray] = defaultdict(lambda: np.zeros(n_events))
        self._cache: dict[tuple, np.ndarray] = {}

    def _contexts(self, seq: np.ndarray):
        padded = [self.n_events] * self.order + [int(e) for e in seq]
        for t in range(len(seq)):
            yield tuple(padded[t : t + self.order]), int(seq[t])

    def fit(self, sequences) -> MarkovChain:
        for seq in sequences:
            for ctx, e in self._contexts(np.asarray(seq)):
                for j in range(len(ctx) + 1):  # the context and every shorter suffix of it
                    self.counts[ctx[len(ctx) - j :]][e] += 1
        self._cache.clear()
        return self

    def probs(self, ctx: tuple) -> np.ndarray:
        ctx = tuple(ctx)
        got = self._cache.get(ctx)
        if got is not None:
            return got
        c = self.counts.get(ctx)
        if not ctx:
            c = np.zeros(self.n_events) if c is None else c
            p = (c + self.alpha) / (c.sum() + self.alpha * self.n_events)
        else:
            lower = self.probs(ctx[1:])
            if c is None:
                return lower
            beta = self.alpha * self.n_events
            p = (c + beta * lower) / (c.sum() + beta)
        self._cache[ctx] = p
        return p

    def log_probs(self, ctx: tuple) -> np.ndarray:
        return np.log(self.probs(ctx))

    def to_dict(self) -> dict:
        """Everything to rebuild the chain (JSON-safe; no pickle)."""
        return {
            "order": self.order,
            "n_events": self.n_events,
            "alpha": self.alpha,
            "counts": [[list(k), v.tolist()] for k, v in self.counts.items()],
        }

    @classmethod
    def from_dict(cls, d: dict) -> MarkovChain:
        order, n_events, alpha = int(d["order"]), int(d["n_events"]), float(d["alpha"])
        if not (0 <= order <= 64 and 1 <= n_events <= 100_000 and 0 < alpha < 1e9):
            raise ConfigError(f"order {order}, n_events {n_events} or alpha {alpha} out of range")
        m = cls(order, n_events, alpha)
        for k, v in d["counts"]:
            key, row = tuple(int(i) for i in k), np.asarray(v, dtype=float)
            if len(key) > order or any(not 0 <= i <= n_events for i in key):
                raise ConfigError(f"context {list(key)} does not fit order {order} and {n_events} events")
            if row.shape != (n_events,) or not np.all(np.isfinite(row)) or np.any(row < 0):
                raise ConfigError(
                    f"the counts of context {list(key)} are not {n_events} non-negative numbers"
                )
            m.counts[key] = row
        return m

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
        logits = np.stack(
            [self.log_probs(tuple(padded[t + 1 : t + 1 + self.order])) for t in range(len(seq))]
        )
        loss = None
        if targets is not None:
            loss = float(-logits[np.arange(len(seq)), np.asarray(targets)].mean())
        return logits, loss, None

    def sample(self, n: int, rng: np.random.Generator, primer=(), temperature: float = 1.0) -> np.ndarray:
        """`n` events after `primer`, each drawn by improvise.core.sample.draw (temperature 0 = argmax)."""
        seq = list(primer)
        for _ in range(n):
            ctx = tuple(([self.n_events] * self.order + seq)[len(seq) : len(seq) + self.order])
            seq.append(draw(self.log_probs(ctx), temperature, rng))
        return np.asarray(seq[len(primer) :])


def fit_markov(
    train, valid, n_events: int, order: int, alphas=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
) -> tuple[MarkovChain, dict]:
    """The order-`order` chain whose smoothing gives the lowest validation NLL."""
    scores = {a: MarkovChain(order, n_events, a).fit(train).nll(valid) for a in alphas}
    best = min(scores, key=scores.get)
    return MarkovChain(order, n_events, best).fit(train), {"alpha": best, "valid_nll": scores}
