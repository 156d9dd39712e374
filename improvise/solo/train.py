"""Training the soloist (issues 8 and 15) on the Weimar Jazz Database: the solos in C on the
swing-aware grid (`data.wjd`, grid "swing": swung eighths are eighths), split by solo, every
training window drawn in a random one of the 12 keys (so each chord quality is seen on every
root), on the package's one training loop (`train.loop.fit_sequences`). `cfg.chords=False`
trains the chord-blind twin: the same network, inputs and budget, every chord N.C."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from improvise.core.errors import UserError
from improvise.encodings.conditioned import ChordConditionedEncoding, EncodedSolo
from improvise.solo.config import GRIDS, SoloConfig
from improvise.solo.model import SoloNet, SoloNetConfig
from improvise.train.loop import SequenceTrainConfig, fit_sequences, sequence_nll


def load_split(wjd: Path, subset: str = "all", grid: str = "swing") -> tuple[dict, dict]:
    """WJD solos in C by id, and their split by solo (train/valid/test)."""
    from improvise.data.wjd import read_wjd, split_by_piece

    spb = GRIDS[grid]
    kind = "swing" if grid == "swing" else "straight"
    solos = {s.melid: s for s in read_wjd(Path(wjd), subset, steps_per_beat=spb, to_c=True, grid=kind)}
    return solos, split_by_piece(sorted(solos))


def blind(tune):
    """The tune with every chord N.C.: what the chord-blind twin hears."""
    from improvise.core.chords import ChordSymbol

    nc = ChordSymbol(None)
    return type(tune)(
        chords=[nc] * len(tune.chords),
        melody=tune.melody,
        steps_per_bar=tune.steps_per_bar,
        beats_per_bar=tune.beats_per_bar,
        tempo_bpm=tune.tempo_bpm,
    )


def window_batches(enc: ChordConditionedEncoding, train: list[EncodedSolo], cfg: SoloConfig, tc):
    """`fit_sequences`' batches: random windows drawn in proportion to length, each in a random
    key when `cfg.augment`."""
    lengths = np.array([len(s.events) - 1 for s in train], dtype=float)

    def batches(rng: np.random.Generator, epoch: int):
        for _ in range(max(1, tc.windows // tc.batch)):
            xs = np.zeros((tc.window, tc.batch, enc.size), dtype=np.float32)
            ys = np.full((tc.window, tc.batch), -1, dtype=np.int64)
            for b, i in enumerate(rng.choice(len(train), size=tc.batch, p=lengths / lengths.sum())):
                s = train[i]
                start = int(rng.integers(0, max(1, len(s.events) - 1 - tc.window)))
                stop = min(start + tc.window, len(s.events) - 1)
                shift = int(rng.integers(-5, 7)) if cfg.augment else 0
                x, y = enc.window(s, start, stop, shift)
                xs[: len(y), b], ys[: len(y), b] = x, y
            yield torch.from_numpy(xs), torch.from_numpy(ys), False

    return batches


def train_config(cfg: SoloConfig) -> SequenceTrainConfig:
    """The loop's settings for a soloist (and for the baselines trained beside it)."""
    return SequenceTrainConfig(**cfg.core())


def new_model(enc: ChordConditionedEncoding, cfg: SoloConfig) -> SoloNet:
    torch.manual_seed(cfg.seed)
    return SoloNet(
        SoloNetConfig(
            input_size=enc.size,
            n_events=enc.events.n_events,
            root_offset=enc.chord_offset,
            last_offset=enc.last_offset,
            hidden=cfg.hidden,
            dropout=cfg.dropout,
            min_pitch=enc.events.min_pitch,
        )
    )


def train_solo_model(
    wjd: Path, cfg: SoloConfig | None = None, progress: bool = False, data: tuple | None = None
) -> dict:
    """Train the soloist (or its chord-blind twin, `cfg.chords=False`); returns it with its
    encoding and held-out figures. `data`: (solos, split) from `load_split`, to read the WJD once."""
    cfg = cfg or SoloConfig()
    cfg.validate()
    enc = ChordConditionedEncoding()
    solos, split = data or load_split(wjd, cfg.subset, cfg.grid)
    if not split["train"]:
        raise UserError(
            f"{wjd}: no {cfg.subset} solos to train on ({len(solos)} read, none in the training split)"
        )
    hear = (lambda t: t) if cfg.chords else blind
    train = [enc.encode(hear(solos[i].tune)) for i in split["train"]]
    valid = [enc.tune_to_tensors(hear(solos[i].tune)) for i in split["valid"]]
    test = [enc.tune_to_tensors(hear(solos[i].tune)) for i in split["test"]]
    model = new_model(enc, cfg)
    tc = train_config(cfg)
    t0 = time.perf_counter()
    res = fit_sequences(model, [], valid, tc, progress=progress, batches=window_batches(enc, train, cfg, tc))
    model.eval()
    calibration = None
    if cfg.chords and (split["valid"] or split["train"]):
        from improvise.solo.calibrate import calibrate_biases, calibration_solos
        from improvise.solo.model import stepper_weights
        from improvise.solo.stepper import SoloStepper

        stepper = SoloStepper(stepper_weights(model), model.config)
        tunes = [solos[i].tune for i in calibration_solos(split)]
        calibration = calibrate_biases(stepper, enc, tunes, cfg.seed, progress=progress)
    return {
        "model": model,
        "encoding": enc,
        "config": cfg,
        "train_seconds": time.perf_counter() - t0,
        "epochs_run": res["epochs_run"],
        "valid_nll": res["best_valid_nll"],
        "test_nll": sequence_nll(model, test),
        "split": {k: len(v) for k, v in split.items()},
        "split_ids": split,
        "calibration": calibration,
    }
