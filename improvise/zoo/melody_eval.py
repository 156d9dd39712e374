"""Melody models on real solos: held-out negative log-likelihood per event of the Markov
chains and the event LSTM (plain, and reading the chord of the step it predicts), trained on
the Weimar Jazz Database blues solos, split by solo. Used by `make results`."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from improvise.data.wjd import read_wjd, split_by_piece
from improvise.encodings.events import MelodyEventEncoding
from improvise.nn.baselines import fit_markov
from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
from improvise.train.loop import SequenceTrainConfig, fit_sequences, sequence_nll


def solo_tensors(solo, enc: MelodyEventEncoding, chord: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs: the event one-hot (and, with `chord`, the pitch classes of the next step's
    chord); targets: the next event."""
    ev = enc.tune_to_events(solo.tune)
    x = np.eye(enc.n_events, dtype=np.float32)[ev]
    if chord:
        pcs = np.zeros((len(ev), 12), dtype=np.float32)
        for t, c in enumerate(solo.tune.chords[: len(ev)]):
            if c.root is not None:
                pcs[t, list(c.pitch_classes)] = 1.0
        x = np.concatenate([x, np.roll(pcs, -1, axis=0)], axis=1)
    return torch.from_numpy(x[:-1]), torch.from_numpy(ev[1:])


def markov_rows(events: dict, n_events: int, orders=range(5)) -> list[dict]:
    """A row per order: the chain whose smoothing is best on the valid events, scored on test."""
    rows = []
    for order in orders:
        t0 = time.perf_counter()
        chain, info = fit_markov(events["train"], events["valid"], n_events, order)
        rows.append(
            {
                "model": f"Markov chain, order {order}",
                "test_nll": chain.nll(events["test"]),
                "valid_nll": info["valid_nll"][info["alpha"]],
                "seconds": time.perf_counter() - t0,
                "note": f"alpha {info['alpha']}",
            }
        )
    return rows


def fit_event_lstm(data: dict, n_events: int, epochs: int, seed: int = 0) -> tuple[float, dict, float]:
    """An event LSTM (128 units, dropout 0.2) on data = {train, valid, test: [(x, y)]}:
    test NLL, the trainer's result, seconds."""
    torch.manual_seed(seed)
    model = MelodyRNN(
        MelodyRNNConfig(
            input_size=data["train"][0][0].shape[1], n_events=n_events, hidden=128, layers=1, dropout=0.2
        )
    )
    t0 = time.perf_counter()
    res = fit_sequences(model, data["train"], data["valid"], SequenceTrainConfig(epochs=epochs, seed=seed))
    return sequence_nll(model, data["test"]), res, time.perf_counter() - t0


def evaluate_wjd_blues(wjd: Path, epochs: int = 80, seed: int = 0) -> dict:
    enc = MelodyEventEncoding()
    solos = {s.melid: s for s in read_wjd(wjd, "blues", to_c=True)}
    split = split_by_piece(sorted(solos))
    events = {k: [enc.tune_to_events(solos[i].tune) for i in ids] for k, ids in split.items()}
    rows = markov_rows(events, enc.n_events)
    for chord in (False, True):
        data = {k: [solo_tensors(solos[i], enc, chord) for i in ids] for k, ids in split.items()}
        nll, res, seconds = fit_event_lstm(data, enc.n_events, epochs, seed)
        rows.append(
            {
                "model": "LSTM 128, events" + (" + next chord's pitch classes" if chord else ""),
                "test_nll": nll,
                "valid_nll": res["best_valid_nll"],
                "seconds": seconds,
                "note": f"{res['epochs_run']} epochs",
            }
        )
    return {"split": {k: len(v) for k, v in split.items()}, "rows": rows}


def render_section(result: dict) -> list[str]:
    s = result["split"]
    lines = [
        "## Melody models on real solos (Weimar Jazz Database, the 97 blues)",
        "",
        f"Solos in C on a sixteenth grid as events (hold, note-off, note-on per pitch); split by solo: "
        f"{s['train']} train, {s['valid']} valid, {s['test']} test. Negative log-likelihood per event, "
        "nats, lower is better.",
        "",
        "| model | test NLL | valid NLL | seconds | |",
        "|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['model']} | {r['test_nll']:.3f} | {r['valid_nll']:.3f} | {r['seconds']:.1f} | "
            f"{r['note']} |"
        )
    markov = min((r for r in result["rows"] if r["model"].startswith("Markov")), key=lambda r: r["valid_nll"])
    plain, chord = (r for r in result["rows"] if r["model"].startswith("LSTM"))
    gain = 1 - plain["test_nll"] / markov["test_nll"]
    delta = chord["test_nll"] - plain["test_nll"]
    verdict = "a small gain from one seed on 10 test solos" if delta < -0.01 else "no gain on these few solos"
    lines += [
        "",
        f"The event LSTM's test NLL is {gain:.0%} below the best Markov chain's (chosen on validation: "
        f"{markov['model'].lower()}, {markov['test_nll']:.3f}; the chains back off to shorter contexts). "
        f"Reading the next step's chord changes it by {delta:+.3f} nats: {verdict}; the chord-conditioned "
        "model of the next section, trained on all 456 solos, uses the chords fully.",
    ]
    return lines + [""]
