"""The blues task of seed 000: build, train and free-run the chord/melody network.

`train_blues(BluesConfig)` returns a trained model and its figures;
`improvise_blues(model, GenerateConfig)` free-runs it and scores every chorus.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from improvise.blues.config import BluesConfig  # defined without torch; imported from here too
from improvise.blues.generate import GenerateConfig, generate
from improvise.core import metrics
from improvise.core.errors import ConfigError, UserError
from improvise.core.runs import (
    CHECKPOINT,
    CONFIG,
    METRICS,
    config_from_json,
    load_checkpoint,
    load_state_checked,
    read_json,
    require_run_dir,
    save_run,
    write_json,
)
from improvise.data.blues_synth import BLUES_FORM, synth_blues_corpus
from improvise.encodings.blues import BluesEncoding
from improvise.nn.chord_melody import ChordMelodyConfig, ChordMelodyNet
from improvise.nn.reference import NumpyChordMelody
from improvise.train.looped import History, TrainConfig, epochs_to_reach, fit_looped, teacher_forced


def model_config(cfg: BluesConfig, enc: BluesEncoding) -> ChordMelodyConfig:
    if cfg.arch == "partitioned":
        chord_inputs = enc.chord_layer_inputs(cfg.clock)
    else:  # seed 000: layer 1 reads chord and pitch
        chord_inputs = enc.all_music_inputs() + (
            list(range(enc.clock_slice.start, enc.clock_slice.stop)) if cfg.clock else []
        )
    return ChordMelodyConfig(
        input_size=enc.input_size,
        chord_inputs=chord_inputs,
        melody_inputs=enc.melody_layer_inputs(cfg.clock),
        n_chords=enc.n_chords,
        n_pitches=enc.n_pitches,
        chord_hidden=cfg.chord_hidden,
        melody_hidden=cfg.melody_hidden,
        cell=cfg.cell,
        forget_bias=cfg.forget_bias,
    )


def corpus_arrays(cfg: BluesConfig, enc: BluesEncoding) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as one loop: (chord ids, pitch ids) of choruses 1..n back to back."""
    seed = cfg.train.seed if cfg.corpus_seed is None else cfg.corpus_seed
    tunes = synth_blues_corpus(cfg.choruses, seed)
    pairs = [enc.tune_to_tokens(t) for t in tunes]
    return np.concatenate([c for c, _ in pairs]), np.concatenate([p for _, p in pairs])


def loop_tensors(
    chords: np.ndarray, pitches: np.ndarray, enc: BluesEncoding
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs of every step of the loop and the next-step targets (wrapping to the start)."""
    x = enc.encode_inputs(chords, chords, pitches)
    y = np.stack([np.roll(chords, -1), np.roll(pitches, -1)], axis=1)
    return torch.from_numpy(x), torch.from_numpy(y)


@dataclass
class TrainedBlues:
    model: ChordMelodyNet
    config: BluesConfig
    history: History
    train_seconds: float
    teacher_forced: dict


def build_model(cfg: BluesConfig, enc: BluesEncoding | None = None) -> ChordMelodyNet:
    enc = enc or BluesEncoding()
    torch.manual_seed(cfg.train.seed)
    return ChordMelodyNet(model_config(cfg, enc))


def train_blues(cfg: BluesConfig | None = None, progress: bool = False, on_epoch=None) -> TrainedBlues:
    """Train the chord/melody network on the synthesized corpus. Deterministic for a seed."""
    cfg = cfg or BluesConfig()
    cfg.validate()
    enc = BluesEncoding()
    x_loop, y_loop = loop_tensors(*corpus_arrays(cfg, enc), enc)
    model = build_model(cfg, enc)
    history, seconds = fit_looped(
        model, x_loop, y_loop, cfg.train, period=BLUES_FORM.steps, on_epoch=on_epoch, progress=progress
    )
    tf = teacher_forced(model, x_loop, y_loop)
    return TrainedBlues(
        model, cfg, history, seconds, {"chord_acc": tf["chord_acc"], "pitch_acc": tf["pitch_acc"]}
    )


def form_ids(enc: BluesEncoding | None = None) -> list[int]:
    enc = enc or BluesEncoding()
    return [enc.chord_id(c) for c in BLUES_FORM.per_step()]


def score_rollout(chords: np.ndarray, pitches: np.ndarray, enc: BluesEncoding | None = None) -> dict:
    enc = enc or BluesEncoding()
    return metrics.rollout_metrics(
        chords,
        pitches,
        form=form_ids(enc),
        steps_per_bar=enc.steps_per_bar,
        rest=enc.rest,
        palettes=enc.palette_ids(),
        chord_tones=enc.chord_tone_ids(),
    )


def improvise_blues(
    model: ChordMelodyNet, gen: GenerateConfig | None = None, corpus_pitches: np.ndarray | None = None
) -> dict:
    """Free-run `model` for `gen.choruses` choruses; returns tokens, metrics and seconds.
    With the training melodies as `corpus_pitches`, the metrics include the 2-bar copy rate."""
    gen = gen or GenerateConfig()
    gen.validate()
    enc = BluesEncoding()
    stepper = NumpyChordMelody.from_module(model)
    t0 = time.perf_counter()
    chords, pitches = generate(stepper, enc, gen.choruses * BLUES_FORM.steps, gen)
    seconds = time.perf_counter() - t0
    scores = score_rollout(chords, pitches, enc)
    if corpus_pitches is not None:
        two_bars = 2 * enc.steps_per_bar
        scores["copy_rate"] = metrics.copy_rate(
            pitches, corpus_pitches, window=two_bars, hop=enc.steps_per_bar
        )
    return {
        "chords": chords,
        "pitches": pitches,
        "metrics": scores,
        "seconds": seconds,
        "config": gen.to_dict(),
    }


def gradcheck_blues(
    seed: int = 0,
    per_tensor: int = 12,
    steps: int = 12,
    streams: int = 2,
    chord_hidden: int = 4,
    melody_hidden: int = 5,
    eps: float = 1e-4,
) -> dict:
    """Central-difference check of the numpy reference's BPTT on a freshly initialised chord/melody
    network (small by default, as seed 000's check), over `steps` steps of the corpus in `streams`
    streams. eps 1e-4 balances truncation (eps^2) against float64 rounding (1e-16 / eps)."""
    from improvise.nn.reference import gradcheck

    cfg = BluesConfig(chord_hidden=chord_hidden, melody_hidden=melody_hidden, train=TrainConfig(seed=seed))
    enc = BluesEncoding()
    model = build_model(cfg, enc)
    x, y = loop_tensors(*corpus_arrays(cfg, enc), enc)
    starts = np.arange(streams) * (len(x) // streams + 5)
    idx = (starts[None, :] + np.arange(steps)[:, None]) % len(x)
    params = {k: v.double().numpy() for k, v in model.state_dict().items()}
    return gradcheck(
        model.config,
        params,
        x[idx].double().numpy(),
        y[idx].numpy(),
        per_tensor=per_tensor,
        eps=eps,
        seed=seed,
    )


def snapshot_recorder(every: int, seed: int = 0):
    """An on_epoch callback that free-runs one chorus every `every` epochs (and at epoch 1),
    for the training GIF; returns (callback, list it fills)."""
    snapshots: list[dict] = []

    def on_epoch(epoch: int, model: ChordMelodyNet) -> None:
        if epoch == 1 or epoch % every == 0:
            res = improvise_blues(model, GenerateConfig(choruses=1, seed=seed))
            snapshots.append(
                {
                    "epoch": epoch,
                    "chords": res["chords"].tolist(),
                    "pitches": res["pitches"].tolist(),
                    "bar_onset_match": res["metrics"]["bar_onset_match"],
                }
            )

    return on_epoch, snapshots


# ---- run folders ------------------------------------------------------------------------


def save_trained(trained: TrainedBlues, out_dir: Path, snapshots: list[dict] | None = None) -> dict:
    """Write config.json, model.pt, history.json, metrics.json (and snapshots.json for the
    training GIF); returns the training metrics."""
    out_dir = Path(out_dir)
    h = trained.history
    train_metrics = {
        "train_seconds": trained.train_seconds,
        "teacher_forced": trained.teacher_forced,
        "final_loss": h["loss"][-1],
        "epochs": len(h["loss"]),
        "epochs_to_chord_acc_0.99": epochs_to_reach(h["chord_acc"], 0.99),
    }
    save_run(  # config.json and model.pt stamped with the blues format, metrics.json
        out_dir,
        "blues",
        {"blues": trained.config.to_dict(), "model": trained.model.config.to_dict(), "versions": versions()},
        trained.model.config.to_dict(),
        trained.model.state_dict(),
        {"train": train_metrics},
        {"blues": trained.config.to_dict()},
    )
    write_json(out_dir / "history.json", trained.history)
    if snapshots:
        write_json(out_dir / "snapshots.json", {"snapshots": snapshots})
    return train_metrics


def load_blues_run(run_dir: Path) -> tuple[ChordMelodyNet, BluesConfig]:
    """The model and config of a run folder; a one-line UserError on anything wrong."""
    run_dir = require_run_dir(run_dir)
    if (run_dir / CONFIG).is_file():
        from improvise.core.run_kinds import KINDS, run_kind

        kind = run_kind(run_dir)
        if kind != "blues":
            raise UserError(f"{run_dir}: {KINDS[kind][2]}; this command takes blues runs")
    where = run_dir / CHECKPOINT
    blob = load_checkpoint(where, "blues")
    extra = blob.get("extra")
    if not isinstance(extra, dict) or "blues" not in extra:
        raise UserError(
            f"{where}: not a blues run (it holds no blues config); "
            "'improvise blues generate' takes folders written by 'improvise blues train'"
        )
    cfg = BluesConfig.from_dict(extra["blues"], where)
    model = ChordMelodyNet(config_from_json(ChordMelodyConfig, blob.get("model_config"), where))
    load_state_checked(model, blob["state_dict"], where)
    model.eval()
    return model, cfg


def tokens_payload(chords: np.ndarray, pitches: np.ndarray, enc: BluesEncoding) -> dict:
    return {
        "chords": chords.tolist(),
        "pitches": pitches.tolist(),
        "chord_vocab": list(enc.chords),
        "pitch_vocab": [*enc.pitches, "REST"],
        "steps_per_bar": enc.steps_per_bar,
        "note": "index 0 is the primer; chorus k covers steps 96k..96k+95",
    }


def generate_run(
    run_dir: Path, gen: GenerateConfig, out_dir: Path | None = None, tempo_bpm: float = 120.0
) -> dict:
    """Free-run a trained run; write tokens.json, chorus.mid and the generation metrics
    (merged into OUT/metrics.json). Returns the result of `improvise_blues`."""
    if not tempo_bpm > 0:
        raise ConfigError(f"tempo must be positive, not {tempo_bpm}")
    model, cfg = load_blues_run(run_dir)
    out_dir = Path(out_dir) if out_dir is not None else Path(run_dir)
    enc = BluesEncoding()
    _, corpus_pitches = corpus_arrays(cfg, enc)
    result = improvise_blues(model, gen, corpus_pitches)
    from improvise.core.midi import write_midi  # mido: only where a MIDI file is written

    write_json(out_dir / "tokens.json", tokens_payload(result["chords"], result["pitches"], enc))
    write_midi(enc.tokens_to_tune(result["chords"], result["pitches"], tempo_bpm), out_dir / "chorus.mid")
    existing = read_json(out_dir / METRICS) if (out_dir / METRICS).is_file() else {}
    existing["generation"] = {**result["metrics"], "seconds": result["seconds"], "config": result["config"]}
    write_json(out_dir / METRICS, existing)
    return result


def versions() -> dict:
    import platform

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
