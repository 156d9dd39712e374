"""The Blues tab: train the headline blues model with a live loss curve, then free-run it and
measure, bar by bar, whether its chord at each bar onset is the form's.

Training writes the run folder `improvise blues train` writes (config.json, model.pt,
history.json, metrics.json); a free run adds what `improvise blues generate` adds (tokens.json,
chorus.mid, metrics.json's generation), so `improvise render RUN` renders it. Both run in a
worker thread of the server; `progress(dict)` is how the training reports to the page.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from improvise.core.errors import UserError
from improvise.studio.solo import midi_notes

LOSS_EVERY = 5  # epochs between two points of the live loss curve


def train_with_progress(out: Path, epochs: int, seed: int, progress) -> dict:
    """Train the headline model (its defaults, `epochs` and `seed`) into run folder `out`,
    calling `progress({"epoch", "loss", "chord_acc", "pitch_acc"})` every LOSS_EVERY epochs
    (the teacher-forced loss over one pass of the corpus)."""
    from improvise.blues.task import BluesConfig, corpus_arrays, loop_tensors, save_trained, train_blues
    from improvise.encodings.blues import BluesEncoding
    from improvise.train.looped import TrainConfig, teacher_forced

    cfg = BluesConfig(train=TrainConfig(epochs=epochs, seed=seed))
    cfg.validate()
    x_loop, y_loop = loop_tensors(*corpus_arrays(cfg, BluesEncoding()), BluesEncoding())

    def on_epoch(epoch: int, model) -> None:
        if epoch == 1 or epoch % LOSS_EVERY == 0 or epoch == epochs:
            with torch.no_grad():
                model.eval()
                f = teacher_forced(model, x_loop, y_loop, passes=1)
                model.train()
            loss = f["chord_loss"] + f["pitch_loss"]
            progress({"epoch": epoch, "epochs": epochs, "loss": round(loss, 5), **_rounded(f)})

    t0 = time.perf_counter()
    trained = train_blues(cfg, on_epoch=on_epoch)
    metrics = save_trained(trained, out)
    return {
        "run": out.name,
        "seconds": round(time.perf_counter() - t0, 2),
        **_rounded(metrics["teacher_forced"]),
    }


def _rounded(d: dict) -> dict:
    return {k: round(float(v), 5) for k, v in d.items() if isinstance(v, int | float)}


def free_run(run: Path, choruses: int, seed: int, tempo: float = 120.0) -> dict:
    """Free-run the model of run folder `run` as `improvise blues generate` does; per bar, the
    generated chord at its onset, the form's chord there and whether they match; the notes."""
    from improvise.blues.generate import GenerateConfig
    from improvise.blues.task import form_ids, generate_run
    from improvise.encodings.blues import BluesEncoding

    if not (run / "model.pt").is_file():
        raise UserError("train the blues model first")
    gen = GenerateConfig(choruses=choruses, seed=seed)
    result = generate_run(run, gen, tempo_bpm=tempo)
    enc = BluesEncoding()
    form = form_ids(enc)
    chords = result["chords"]
    bars = []
    for start in range(0, len(chords) - 1, enc.steps_per_bar):
        got, want = int(chords[start]), form[start % len(form)]
        bars.append(
            {"bar": start // enc.steps_per_bar + 1, "chord": enc.chords[got], "form": enc.chords[want]}
        )
        bars[-1]["match"] = got == want
    m = result["metrics"]
    return {
        "run": run.name,
        "bars": bars,
        "bar_onset_match": round(float(m["bar_onset_match"]), 4),
        "midi": midi_notes(run / "chorus.mid"),
    }
