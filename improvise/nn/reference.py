"""The numpy reference of `ChordMelodyNet`: hand-written forward and backward passes (BPTT),
a numerical gradient check, and the fast single-step inference path used by `generate()`
and the live engine. No torch at run time; weights use PyTorch's names and layouts, so a
torch checkpoint runs here unchanged and a test checks both agree on loss and gradients.

Shapes: x (T, B, input_size); targets (T, B, 2) = next (chord, pitch) ids. Gate order is
PyTorch's: input, forget, cell, output.
"""

from __future__ import annotations

import numpy as np

from improvise.core.errors import ConfigError

LAYERS = ("chord_rnn", "melody_rnn")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _params(state_dict: dict, dtype=np.float64) -> dict[str, np.ndarray]:
    return {
        k: np.array(v.detach().cpu().numpy() if hasattr(v, "detach") else v, dtype=dtype)
        for k, v in state_dict.items()
    }


# ---- training reference: forward and backward through time -----------------------------------


def _lstm_forward(x: np.ndarray, w_ih, w_hh, b) -> tuple[np.ndarray, dict]:
    """One LSTM layer over (T, B, n_in) from a zero state; returns h (T, B, H) and a cache."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    zx = x @ w_ih.T + b
    h = np.zeros((T + 1, B, H))
    c = np.zeros((T + 1, B, H))
    gates = np.zeros((T, B, 4 * H))
    for t in range(T):
        z = zx[t] + h[t] @ w_hh.T
        s = _sigmoid(z)
        g = np.tanh(z[:, 2 * H : 3 * H])
        s[:, 2 * H : 3 * H] = g
        gates[t] = s
        c[t + 1] = s[:, H : 2 * H] * c[t] + s[:, :H] * g
        h[t + 1] = s[:, 3 * H :] * np.tanh(c[t + 1])
    return h[1:], {"x": x, "h": h, "c": c, "gates": gates}


def _lstm_backward(
    dh_out: np.ndarray, cache: dict, w_ih, w_hh
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of one LSTM layer given dL/dh at every step: (dx, dw_ih, dw_hh, db)."""
    x, h, c, gates = cache["x"], cache["h"], cache["c"], cache["gates"]
    T, B, H = dh_out.shape
    dz_all = np.zeros((T, B, 4 * H))
    dh_next = np.zeros((B, H))
    dc_next = np.zeros((B, H))
    for t in reversed(range(T)):
        i, f, g, o = (gates[t, :, k * H : (k + 1) * H] for k in range(4))
        tc = np.tanh(c[t + 1])
        dh = dh_out[t] + dh_next
        dc = dc_next + dh * o * (1.0 - tc * tc)
        dz = dz_all[t]
        dz[:, :H] = dc * g * i * (1.0 - i)
        dz[:, H : 2 * H] = dc * c[t] * f * (1.0 - f)
        dz[:, 2 * H : 3 * H] = dc * i * (1.0 - g * g)
        dz[:, 3 * H :] = dh * tc * o * (1.0 - o)
        dh_next = dz @ w_hh
        dc_next = dc * f
    dw_ih = np.einsum("tbk,tbi->ki", dz_all, x)
    dw_hh = np.einsum("tbk,tbh->kh", dz_all, h[:-1])
    return dz_all @ w_ih, dw_ih, dw_hh, dz_all.sum(axis=(0, 1))


def _softmax_ce(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over (T, B) and its gradient w.r.t. the logits."""
    z = logits - logits.max(-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(-1, keepdims=True)
    T, B, _ = logits.shape
    tt, bb = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    loss = -np.log(p[tt, bb, target]).mean()
    grad = p.copy()
    grad[tt, bb, target] -= 1.0
    return float(loss), grad / (T * B)


def loss_and_grads(config, params: dict[str, np.ndarray], x: np.ndarray, targets: np.ndarray):
    """Loss CE(chord) + CE(pitch) of the LSTM chord/melody network and the gradient of every
    parameter, by backpropagation through time written out by hand."""
    if config.cell != "lstm":
        raise ConfigError("the numpy reference implements the LSTM cell only")
    p = params
    xc = x[..., config.chord_inputs]
    xm = x[..., config.melody_inputs]
    b1 = p["chord_rnn.bias_ih_l0"] + p["chord_rnn.bias_hh_l0"]
    b2 = p["melody_rnn.bias_ih_l0"] + p["melody_rnn.bias_hh_l0"]
    h1, cache1 = _lstm_forward(xc, p["chord_rnn.weight_ih_l0"], p["chord_rnn.weight_hh_l0"], b1)
    h2, cache2 = _lstm_forward(
        np.concatenate([h1, xm], -1), p["melody_rnn.weight_ih_l0"], p["melody_rnn.weight_hh_l0"], b2
    )
    lc_logits = h1 @ p["chord_head.weight"].T + p["chord_head.bias"]
    lp_logits = h2 @ p["pitch_head.weight"].T + p["pitch_head.bias"]
    loss_c, d_lc = _softmax_ce(lc_logits, targets[..., 0])
    loss_p, d_lp = _softmax_ce(lp_logits, targets[..., 1])
    g = {
        "chord_head.weight": np.einsum("tbk,tbh->kh", d_lc, h1),
        "chord_head.bias": d_lc.sum((0, 1)),
        "pitch_head.weight": np.einsum("tbk,tbh->kh", d_lp, h2),
        "pitch_head.bias": d_lp.sum((0, 1)),
    }
    dxm, g["melody_rnn.weight_ih_l0"], g["melody_rnn.weight_hh_l0"], db2 = _lstm_backward(
        d_lp @ p["pitch_head.weight"], cache2, p["melody_rnn.weight_ih_l0"], p["melody_rnn.weight_hh_l0"]
    )
    dh1 = d_lc @ p["chord_head.weight"] + dxm[..., : config.chord_hidden]
    _, g["chord_rnn.weight_ih_l0"], g["chord_rnn.weight_hh_l0"], db1 = _lstm_backward(
        dh1, cache1, p["chord_rnn.weight_ih_l0"], p["chord_rnn.weight_hh_l0"]
    )
    g["chord_rnn.bias_ih_l0"] = g["chord_rnn.bias_hh_l0"] = db1
    g["melody_rnn.bias_ih_l0"] = g["melody_rnn.bias_hh_l0"] = db2
    return loss_c + loss_p, g


def gradcheck(
    config,
    params: dict[str, np.ndarray],
    x: np.ndarray,
    targets: np.ndarray,
    per_tensor: int = 12,
    eps: float = 1e-4,
    seed: int = 0,
) -> dict:
    """Central differences on `per_tensor` sampled weights of every parameter tensor (float64).
    Returns the largest relative error |a - n| / max(|a| + |n|, 1e-12) and the details."""
    rng = np.random.default_rng(seed)
    params = {k: v.astype(np.float64).copy() for k, v in params.items()}
    _, grads = loss_and_grads(config, params, x, targets)
    worst, checked, rows = 0.0, 0, {}
    for name in sorted(params):
        flat = params[name].reshape(-1)
        tensor_worst = 0.0
        for i in rng.choice(flat.size, size=min(per_tensor, flat.size), replace=False):
            saved = flat[i]
            flat[i] = saved + eps
            up, _ = loss_and_grads(config, params, x, targets)
            flat[i] = saved - eps
            down, _ = loss_and_grads(config, params, x, targets)
            flat[i] = saved
            numeric, analytic = (up - down) / (2 * eps), grads[name].reshape(-1)[i]
            rel = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-12)
            tensor_worst = max(tensor_worst, rel)
            checked += 1
        rows[name] = tensor_worst
        worst = max(worst, tensor_worst)
    return {"max_relative_error": worst, "checked": checked, "per_tensor": rows}


# ---- fast single-step inference ----------------------------------------------------------------


class NumpyChordMelody:
    """Step-by-step twin of ChordMelodyNet (lstm, gru or rnn cells), an improvise.core.sample.Stepper.

    `reset()` zeroes the state; `step(x)` takes a dense input (input_size,) or (1, input_size)
    and returns the logits (n_chords + n_pitches,) as a new array. `step_key(key, x)` does the
    same but caches the input projection under a hashable `key` that determines x (e.g. the
    token ids and the position in the bar), so a token-level caller pays for the input only
    once per distinct input.
    """

    def __init__(self, config, state_dict: dict):
        p = _params(state_dict)
        self.config = config
        self.cell = config.cell
        self.h1_size, self.h2_size = config.chord_hidden, config.melody_hidden
        self.chord_idx = np.asarray(config.chord_inputs)
        self.melody_idx = np.asarray(config.melody_inputs)
        H1, H2 = self.h1_size, self.h2_size
        w1x, w1h = p["chord_rnn.weight_ih_l0"], p["chord_rnn.weight_hh_l0"]
        w2x, w2h = p["melody_rnn.weight_ih_l0"], p["melody_rnn.weight_hh_l0"]
        b1 = p["chord_rnn.bias_ih_l0"] + p["chord_rnn.bias_hh_l0"]
        b2 = p["melody_rnn.bias_ih_l0"] + p["melody_rnn.bias_hh_l0"]
        # row-vector layout; the input projections carry both biases (GRU keeps them apart)
        self.w1x, self.w1h = w1x.T.copy(), w1h.T.copy()
        self.w2x = w2x[:, H1:].T.copy()
        self.w2_from_h1, self.w2h = w2x[:, :H1].T.copy(), w2h.T.copy()
        # the melody layer reads [h1 (new), h2 (previous)]: the state buffer in that order
        self.w2_from_h = np.concatenate([self.w2_from_h1, self.w2h], axis=0)
        if self.cell == "gru":
            self.b1x, self.b1h = p["chord_rnn.bias_ih_l0"], p["chord_rnn.bias_hh_l0"]
            self.b2x, self.b2h = p["melody_rnn.bias_ih_l0"], p["melody_rnn.bias_hh_l0"]
        else:
            self.b1x, self.b1h, self.b2x, self.b2h = b1, np.zeros_like(b1), b2, np.zeros_like(b2)
        # both heads at once from [h1, h2]
        n_c, n_p = config.n_chords, config.n_pitches
        self.w_heads = np.zeros((H1 + H2, n_c + n_p))
        self.w_heads[:H1, :n_c] = p["chord_head.weight"].T
        self.w_heads[H1:, n_c:] = p["pitch_head.weight"].T
        self.b_heads = np.concatenate([p["chord_head.bias"], p["pitch_head.bias"]])
        # LSTM fast path (see reset() and _lstm_step): one matrix maps the state [h1, h2, 1]
        # after a step to that step's logits (biases included) and to the recurrent parts of the
        # next step (h1 @ w1h and h2 @ w2h), so a step costs two matrix-vector products.
        n_out = n_c + n_p
        self.w_after = None
        if self.cell == "lstm":
            self.w_after = np.zeros((H1 + H2 + 1, n_out + 4 * H1 + 4 * H2))
            self.w_after[: H1 + H2, :n_out] = self.w_heads
            self.w_after[H1 + H2, :n_out] = self.b_heads
            self.w_after[:H1, n_out : n_out + 4 * H1] = self.w1h
            self.w_after[H1 : H1 + H2, n_out + 4 * H1 :] = self.w2h
        self._n_out = n_out
        if self.cell == "lstm":
            self._lstm_layout()
        self._cache: dict = {}
        self.reset()

    def _lstm_layout(self) -> None:
        """Reorder the gate columns of everything that feeds the LSTM gates to (input, forget,
        output, cell) and halve the three sigmoid gates' columns: then one tanh over a layer's
        pre-activations gives tanh(z/2) for those gates, and sigmoid(z) = (1 + tanh(z/2)) / 2
        takes two in-place calls on one contiguous block (no scipy on the inference path)."""
        H1, H2, n = self.h1_size, self.h2_size, self._n_out

        def gates(w: np.ndarray, H: int) -> np.ndarray:
            order = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
            return w[..., order] * np.r_[np.full(3 * H, 0.5), np.ones(H)]

        self.w1x, self.b1x = gates(self.w1x, H1), gates(self.b1x, H1)
        self.w2x, self.b2x = gates(self.w2x, H2), gates(self.b2x, H2)
        self.w2_from_h1 = gates(self.w2_from_h1, H2)
        self.w_after[:, n : n + 4 * H1] = gates(self.w_after[:, n : n + 4 * H1], H1)
        self.w_after[:, n + 4 * H1 :] = gates(self.w_after[:, n + 4 * H1 :], H2)

    @classmethod
    def from_module(cls, module) -> NumpyChordMelody:
        return cls(module.config, module.state_dict())

    def reset(self, batch: int = 1) -> None:
        """Zero state. Batch 1 only: the live engine and generate() step one stream."""
        if batch != 1:
            raise ConfigError("NumpyChordMelody steps one stream at a time")
        H1, H2 = self.h1_size, self.h2_size
        self.h = np.zeros(H1 + H2 + 1)  # [h1, h2, 1]
        self.h[-1] = 1.0
        self.c1 = np.zeros(H1)
        self.c2 = np.zeros(H2)
        if self.w_after is not None:
            # fixed buffers and their views, so that a step allocates and slices nothing
            n = self._n_out
            self._after = np.zeros(self.w_after.shape[1])  # [logits, h1 @ w1h, h2 @ w2h]
            self._z2 = np.zeros(4 * H2)
            z1 = self._after[n : n + 4 * H1]
            self._views = (
                self._after[:n],
                _lstm_views(z1, H1, self.c1, self.h[:H1]),
                _lstm_views(self._z2, H2, self.c2, self.h[H1 : H1 + H2]),
                self._after[n + 4 * H1 :],
            )

    def _project(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        return x[self.chord_idx] @ self.w1x + self.b1x, x[self.melody_idx] @ self.w2x + self.b2x

    def step(self, x: np.ndarray) -> np.ndarray:
        return self._advance(*self._project(x)).copy()

    def step_key(self, key, x_fn) -> np.ndarray:
        """Like step(x_fn()), with the input projection cached under `key`. The hot path: the
        logits it returns live in a buffer that the next step overwrites (copy to keep them)."""
        proj = self._cache.get(key)
        if proj is None:
            proj = self._cache[key] = self._project(x_fn())
        return self._advance(*proj)

    def _advance(self, p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
        H1 = self.h1_size
        h = self.h  # [h1, h2], updated in place: h1 first, then h2 from [h1 new, h2 old]
        if self.cell == "lstm":
            logits, chord, melody, melody_rec = self._views
            _lstm_step(chord, p1)
            np.matmul(chord[-1], self.w2_from_h1, out=self._z2)
            self._z2 += melody_rec
            _lstm_step(melody, p2)
            np.matmul(h, self.w_after, out=self._after)
            return logits
        if self.cell == "gru":
            H2 = self.h2_size
            h[:H1] = _gru(p1, h[:H1] @ self.w1h + self.b1h, h[:H1], H1)
            h2 = h[H1 : H1 + H2]
            h2[:] = _gru(p2 + h[:H1] @ self.w2_from_h1, h2 @ self.w2h + self.b2h, h2, H2)
        else:  # rnn
            h[:H1] = np.tanh(p1 + h[:H1] @ self.w1h)
            h[H1:-1] = np.tanh(p2 + h[:-1] @ self.w2_from_h)
        return h[:-1] @ self.w_heads + self.b_heads


def _lstm_views(z: np.ndarray, H: int, c: np.ndarray, h: np.ndarray) -> tuple:
    """The views `_lstm_step` works through, over a layer's gate buffer z laid out (input,
    forget, output, cell) as NumpyChordMelody._lstm_layout makes it."""
    return (z, z[: 3 * H], z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :], c, np.empty(H), h)


def _lstm_step(views: tuple, projected: np.ndarray) -> None:
    """One LSTM step in place through preallocated views, with as few numpy calls as it
    takes (each costs about a microsecond here): z holds the recurrent part of the gate
    pre-activations on entry, the sigmoid gates' halved (see `_lstm_layout`); c and h are
    updated."""
    z, sig, i, f, o, g, c, tmp, h = views
    z += projected
    np.tanh(z, out=z)  # tanh(z/2) of the sigmoid gates, the cell input g itself
    sig += 1.0
    sig *= 0.5  # sigmoid(z) = (1 + tanh(z/2)) / 2
    c *= f
    np.multiply(i, g, out=tmp)
    c += tmp
    np.tanh(c, out=tmp)
    np.multiply(o, tmp, out=h)


def _gru(gi: np.ndarray, gh: np.ndarray, h: np.ndarray, H: int) -> np.ndarray:
    """PyTorch's GRU update from the input and hidden projections (biases included)."""
    rz = 1.0 / (1.0 + np.exp(-(gi[: 2 * H] + gh[: 2 * H])))
    n = np.tanh(gi[2 * H :] + rz[:H] * gh[2 * H :])
    return (1.0 - rz[H:]) * n + rz[H:] * h
