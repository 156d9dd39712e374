"""The seed-000 blues model in plain numpy, as a whole process: the baseline `make bench` times
`improvise blues train` against (issue 14).

Seed 000 (npow/schmidhuber-problems, blues-improvisation) is a script that synthesizes 8
choruses, trains a two-layer stacked LSTM (chord layer 20 units reading chord and pitch
one-hots, melody layer 24 units reading the chord layer) with hand-written numpy BPTT through
each whole 96-step chorus, full batch, Adam (lr 8e-3, halved every 80 epochs, global
gradient-norm clip 2, forget-gate bias 1) for 200 epochs, measures teacher-forced accuracy
every 5 epochs, then free-runs two choruses (argmax chords and sampled chords, pitches at
temperature 0.85). That script is not part of this repository; this one does the same work,
written for this package: the same network, corpus size, epochs, batch, optimizer and
evaluation schedule, in float64 numpy with one matrix product per layer and step and the gates
of a layer computed together. The corpus is this package's synthesized blues (its 3 chord and
8 pitch tokens are seed 000's vocabulary sizes), so both processes train on the same data.

Run: python -m improvise.experiments.numpy_blues_baseline [--seed 0] [--out FOLDER]
It imports numpy and the package's corpus only (no torch); with --out it writes history.json,
tokens.json and weights.npz.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from improvise.core.sample import draw  # the package's one draw (numpy only)
from improvise.data.blues_synth import synth_blues_corpus
from improvise.encodings.blues import BluesEncoding

N_CHORDS, N_PITCHES = 3, 8
INPUTS = N_CHORDS + N_PITCHES
KEYS = ("w1", "u1", "b1", "w2", "u2", "b2", "wc", "bc", "wp", "bp")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def corpus(seed: int, choruses: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (T, B, 11) one-hot [chord, pitch] and next-step targets (T, B) of each head."""
    enc = BluesEncoding()
    pairs = [enc.tune_to_tokens(t) for t in synth_blues_corpus(choruses, seed)]
    chords = np.stack([c for c, _ in pairs], 1)  # (96, B)
    pitches = np.stack([p for _, p in pairs], 1)
    T, B = chords.shape
    x = np.zeros((T, B, INPUTS))
    tt, bb = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    x[tt, bb, chords] = 1.0
    x[tt, bb, N_CHORDS + pitches] = 1.0
    return x, np.roll(chords, -1, 0), np.roll(pitches, -1, 0)


def init_params(rng: np.random.Generator, h1: int = 20, h2: int = 24) -> dict[str, np.ndarray]:
    """Gaussian weights scaled by 0.5 / sqrt(fan-in), forget-gate biases 1 (seed 000's)."""
    p = {
        "w1": rng.standard_normal((INPUTS, 4 * h1)) * 0.5 / np.sqrt(INPUTS),
        "u1": rng.standard_normal((h1, 4 * h1)) * 0.5 / np.sqrt(h1),
        "b1": np.zeros(4 * h1),
        "w2": rng.standard_normal((h1, 4 * h2)) * 0.5 / np.sqrt(h1),
        "u2": rng.standard_normal((h2, 4 * h2)) * 0.5 / np.sqrt(h2),
        "b2": np.zeros(4 * h2),
        "wc": rng.standard_normal((h1, N_CHORDS)) * 0.5 / np.sqrt(h1),
        "bc": np.zeros(N_CHORDS),
        "wp": rng.standard_normal((h2, N_PITCHES)) * 0.5 / np.sqrt(h2),
        "bp": np.zeros(N_PITCHES),
    }
    p["b1"][h1 : 2 * h1] = 1.0
    p["b2"][h2 : 2 * h2] = 1.0
    return p


def lstm_step(z: np.ndarray, c: np.ndarray, H: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gates (i, f, g, o) from pre-activations z (B, 4H); returns (gates, new c, tanh(new c))."""
    gates = sigmoid(z)
    gates[:, 2 * H : 3 * H] = np.tanh(z[:, 2 * H : 3 * H])
    c = gates[:, H : 2 * H] * c + gates[:, :H] * gates[:, 2 * H : 3 * H]
    return gates, c, np.tanh(c)


def forward(p: dict, x: np.ndarray) -> dict:
    """Both layers over (T, B, 11) from a zero state; the cache BPTT needs."""
    T, B, _ = x.shape
    H1, H2 = p["u1"].shape[0], p["u2"].shape[0]
    h1, c1 = np.zeros((T + 1, B, H1)), np.zeros((T + 1, B, H1))
    h2, c2 = np.zeros((T + 1, B, H2)), np.zeros((T + 1, B, H2))
    g1, g2 = np.zeros((T, B, 4 * H1)), np.zeros((T, B, 4 * H2))
    t1, t2 = np.zeros((T, B, H1)), np.zeros((T, B, H2))
    zx = x @ p["w1"] + p["b1"]
    for t in range(T):
        g1[t], c1[t + 1], t1[t] = lstm_step(zx[t] + h1[t] @ p["u1"], c1[t], H1)
        h1[t + 1] = g1[t, :, 3 * H1 :] * t1[t]
        g2[t], c2[t + 1], t2[t] = lstm_step(h1[t + 1] @ p["w2"] + h2[t] @ p["u2"] + p["b2"], c2[t], H2)
        h2[t + 1] = g2[t, :, 3 * H2 :] * t2[t]
    return {
        "x": x,
        "h1": h1,
        "c1": c1,
        "g1": g1,
        "t1": t1,
        "h2": h2,
        "c2": c2,
        "g2": g2,
        "t2": t2,
        "lc": h1[1:] @ p["wc"] + p["bc"],
        "lp": h2[1:] @ p["wp"] + p["bp"],
    }


def softmax_ce(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over (T, B) and its gradient with respect to the logits."""
    e = np.exp(logits - logits.max(-1, keepdims=True))
    prob = e / e.sum(-1, keepdims=True)
    T, B = target.shape
    tt, bb = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    loss = -np.log(prob[tt, bb, target]).mean()
    prob[tt, bb, target] -= 1.0
    return float(loss), prob / (T * B)


def gate_grads(dh, dc_next, gates, c_prev, tanh_c, H):
    """dz (B, 4H) of one LSTM step and the cell gradient to pass back."""
    i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    dc = dc_next + dh * o * (1.0 - tanh_c * tanh_c)
    dz = np.concatenate(
        [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), dh * tanh_c * o * (1 - o)], 1
    )
    return dz, dc * f


def backward(p: dict, k: dict, yc: np.ndarray, yp: np.ndarray) -> tuple[float, dict]:
    """Loss CE(chord) + CE(pitch) and the gradient of every weight, by BPTT written out."""
    loss_c, dlc = softmax_ce(k["lc"], yc)
    loss_p, dlp = softmax_ce(k["lp"], yp)
    h1, h2, x = k["h1"], k["h2"], k["x"]
    T, B, _ = x.shape
    H1, H2 = p["u1"].shape[0], p["u2"].shape[0]
    g = {name: np.zeros_like(v) for name, v in p.items()}
    g["wc"], g["bc"] = np.einsum("tbh,tbk->hk", h1[1:], dlc), dlc.sum((0, 1))
    g["wp"], g["bp"] = np.einsum("tbh,tbk->hk", h2[1:], dlp), dlp.sum((0, 1))
    dh1_head, dh2_head = dlc @ p["wc"].T, dlp @ p["wp"].T
    dh1, dc1 = np.zeros((B, H1)), np.zeros((B, H1))
    dh2, dc2 = np.zeros((B, H2)), np.zeros((B, H2))
    for t in reversed(range(T)):
        dz2, dc2 = gate_grads(dh2 + dh2_head[t], dc2, k["g2"][t], k["c2"][t], k["t2"][t], H2)
        g["w2"] += h1[t + 1].T @ dz2
        g["u2"] += h2[t].T @ dz2
        g["b2"] += dz2.sum(0)
        dh2 = dz2 @ p["u2"].T
        dz1, dc1 = gate_grads(
            dh1 + dh1_head[t] + dz2 @ p["w2"].T, dc1, k["g1"][t], k["c1"][t], k["t1"][t], H1
        )
        g["w1"] += x[t].T @ dz1
        g["u1"] += h1[t].T @ dz1
        g["b1"] += dz1.sum(0)
        dh1 = dz1 @ p["u1"].T
    return loss_c + loss_p, g


class Adam:
    """Adam with a global gradient-norm clip, in place on a dict of arrays."""

    def __init__(self, p: dict, lr: float, clip: float = 2.0, b1: float = 0.9, b2: float = 0.999):
        self.lr, self.clip, self.b1, self.b2, self.t = lr, clip, b1, b2, 0
        self.m = {k: np.zeros_like(v) for k, v in p.items()}
        self.v = {k: np.zeros_like(v) for k, v in p.items()}

    def step(self, p: dict, g: dict) -> None:
        norm = np.sqrt(sum(float((v * v).sum()) for v in g.values()))
        scale = min(1.0, self.clip / (norm + 1e-12))
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for k in p:
            gk = g[k] * scale
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * gk
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * gk * gk
            p[k] -= self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + 1e-8)


def accuracy(p: dict, x: np.ndarray, yc: np.ndarray, yp: np.ndarray) -> tuple[float, float]:
    k = forward(p, x)
    return float((k["lc"].argmax(-1) == yc).mean()), float((k["lp"].argmax(-1) == yp).mean())


def train(seed: int = 0, epochs: int = 200, lr: float = 8e-3, eval_every: int = 5) -> tuple[dict, dict]:
    """Seed 000's training run: returns the weights and the history."""
    x, yc, yp = corpus(seed)
    p = init_params(np.random.default_rng(seed + 7))
    opt = Adam(p, lr)
    hist: dict[str, list] = {"epoch": [], "loss": [], "chord_acc": [], "pitch_acc": []}
    for epoch in range(1, epochs + 1):
        if epoch > 1 and (epoch - 1) % 80 == 0:
            opt.lr *= 0.5
        loss, grads = backward(p, forward(p, x), yc, yp)
        opt.step(p, grads)
        if epoch == 1 or epoch % eval_every == 0 or epoch == epochs:
            acc_c, acc_p = accuracy(p, x, yc, yp)
            for key, value in zip(hist, (epoch, loss, acc_c, acc_p)):
                hist[key].append(value)
    return p, hist


def generate(p: dict, steps: int, seed: int, chord_temperature: float, temperature: float = 0.85):
    """Free-run from the primer (C7, first pitch) feeding each drawn token back in."""
    rng = np.random.default_rng(seed)
    H1, H2 = p["u1"].shape[0], p["u2"].shape[0]
    h1, c1, h2, c2 = np.zeros((1, H1)), np.zeros((1, H1)), np.zeros((1, H2)), np.zeros((1, H2))
    chord, pitch, out = 0, 0, [(0, 0)]  # index 0 is the primer
    for _ in range(steps - 1):
        x = np.zeros((1, INPUTS))
        x[0, chord] = x[0, N_CHORDS + pitch] = 1.0
        g, c1, tc = lstm_step(x @ p["w1"] + h1 @ p["u1"] + p["b1"], c1, H1)
        h1 = g[:, 3 * H1 :] * tc
        g, c2, tc = lstm_step(h1 @ p["w2"] + h2 @ p["u2"] + p["b2"], c2, H2)
        h2 = g[:, 3 * H2 :] * tc
        chord = draw((h1 @ p["wc"] + p["bc"])[0], chord_temperature, rng)
        pitch = draw((h2 @ p["wp"] + p["bp"])[0], temperature, rng)
        out.append((chord, pitch))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--out", default=None, help="folder for history.json, tokens.json, weights.npz")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    p, hist = train(a.seed, a.epochs)
    seconds = time.perf_counter() - t0
    rollouts = {name: generate(p, 96, a.seed + 999, t) for name, t in (("argmax", 0.0), ("sampled", 0.85))}
    form = [0] * 32 + [1] * 16 + [0] * 16 + [2] * 8 + [1] * 8 + [0] * 16
    onsets = [rollouts["argmax"][s][0] == form[s] for s in range(0, 96, 8)]
    print(
        f"numpy baseline: trained {a.epochs} epochs in {seconds:.2f} s; "
        f"chord acc {hist['chord_acc'][-1]:.3f}, "
        f"pitch acc {hist['pitch_acc'][-1]:.3f}; argmax rollout bar-onset match {np.mean(onsets):.3f}"
    )
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "history.json").write_text(json.dumps({**hist, "train_seconds": seconds}))
        (out / "tokens.json").write_text(json.dumps(rollouts))
        np.savez(out / "weights.npz", **p)


if __name__ == "__main__":
    main()
