"""A hidden Markov model over event ids (hmmlearn's CategoricalHMM, fitted by Baum-Welch), with
the number of hidden states chosen by held-out likelihood. Models never import music code.

Beside hmmlearn's own scoring it gives what the model zoo needs of every model: the predictive
distribution of each next event given the events so far (forward filtering), a step-by-step
state for sampling, and a pickle-free save (plain arrays)."""

from __future__ import annotations

import numpy as np


class HMM:
    def __init__(self, startprob: np.ndarray, transmat: np.ndarray, emissionprob: np.ndarray):
        self.startprob = np.asarray(startprob, dtype=float)
        self.transmat = np.asarray(transmat, dtype=float)
        self.emissionprob = np.asarray(emissionprob, dtype=float)

    def check(self, n_events: int, where) -> None:
        """A UserError naming `where` unless the arrays are an HMM over `n_events` events."""
        from improvise.core.errors import UserError

        k = len(self.startprob) if self.startprob.ndim == 1 else -1
        shapes_ok = (
            self.startprob.ndim == 1
            and 1 <= k <= 10_000
            and self.transmat.shape == (k, k)
            and self.emissionprob.shape == (k, n_events)
        )
        if not shapes_ok:
            raise UserError(
                f"{where}: arrays of shapes {self.startprob.shape}, {self.transmat.shape}, "
                f"{self.emissionprob.shape} are not an HMM over {n_events} events"
            )
        for name, a in (
            ("startprob", self.startprob),
            ("transmat", self.transmat),
            ("emissionprob", self.emissionprob),
        ):
            if not np.all(np.isfinite(a)) or np.any(a < 0) or not np.allclose(a.sum(-1), 1, atol=1e-6):
                raise UserError(f"{where}: {name} is not a probability distribution (rows summing to 1)")

    @property
    def n_states(self) -> int:
        return len(self.startprob)

    @classmethod
    def fit(cls, sequences, n_states: int, n_events: int, seed: int = 0, n_iter: int = 30) -> HMM:
        from hmmlearn.hmm import CategoricalHMM

        seqs = [np.asarray(s, dtype=np.int64) for s in sequences if len(s)]
        model = CategoricalHMM(
            n_components=n_states,
            n_features=n_events,
            n_iter=n_iter,
            tol=1e-3,
            random_state=seed,
            init_params="ste",
            params="ste",
            implementation="scaling",
        )
        model.fit(np.concatenate(seqs)[:, None], [len(s) for s in seqs])
        floor = 1e-6  # no event impossible: a held-out event never seen in a state keeps a little mass
        emit = model.emissionprob_ + floor
        return cls(model.startprob_, model.transmat_, emit / emit.sum(1, keepdims=True))

    # --- step-by-step prediction ------------------------------------------------------------
    def start(self) -> np.ndarray:
        """The state belief before any event: the start distribution."""
        return self.startprob.copy()

    def predict(self, belief: np.ndarray) -> np.ndarray:
        """P(next event) for a belief over the state the next event is emitted from."""
        return belief @ self.emissionprob

    def observe(self, belief: np.ndarray, event: int) -> np.ndarray:
        """The belief over the next step's state after seeing `event` emitted from `belief`."""
        post = belief * self.emissionprob[:, event]
        post /= post.sum()
        return post @ self.transmat

    def log_probs(self, seq) -> np.ndarray:
        """(T, V): log P(e_t | e_0..e_{t-1}) for every t (row 0 from the start distribution)."""
        belief, rows = self.start(), []
        for e in seq:
            rows.append(self.predict(belief))
            belief = self.observe(belief, int(e))
        return np.log(np.array(rows))

    def forward(self, x, targets=None, state=None):
        """The package's model interface on one sequence of ids x (T,): logits (T, V), the log-
        probabilities of the event after each x_t, the mean NLL of `targets` (the next events),
        and the belief to go on from (None: the start distribution)."""
        belief = self.start() if state is None else state
        rows = []
        for e in np.asarray(x):
            belief = self.observe(belief, int(e))
            rows.append(self.predict(belief))
        logits = np.log(np.array(rows))
        loss = None
        if targets is not None:
            loss = float(-logits[np.arange(len(rows)), np.asarray(targets)].mean())
        return logits, loss, belief

    def nll(self, sequences) -> float:
        total = n = 0
        for s in sequences:
            lp = self.log_probs(s)
            total -= lp[np.arange(len(s)), np.asarray(s)].sum()
            n += len(s)
        return total / max(n, 1)

    def to_arrays(self) -> dict:
        return {"startprob": self.startprob, "transmat": self.transmat, "emissionprob": self.emissionprob}


def fit_hmm(train, valid, n_events: int, states=(8, 16, 32), seed: int = 0) -> tuple[HMM, dict]:
    """The HMM whose number of states gives the lowest validation NLL."""
    fitted = {n: HMM.fit(train, n, n_events, seed) for n in states}
    scores = {n: m.nll(valid) for n, m in fitted.items()}
    best = min(scores, key=scores.get)
    return fitted[best], {"states": best, "valid_nll": scores}
