"""`--setup eck2002`: Eck & Schmidhuber 2002's own network and data, as far as public
material allows (see data/eck2002.py and nn/block_lstm.py for what is reconstructed).

Experiment 1 learns the chords alone: 12 chord units in and out, 4 memory blocks of 2 cells.
Experiment 2 learns chords and melody: 25 units in and out, 8 blocks of 2 cells, 4 for the
chords and 4 for the melody; chord blocks read the chord units and each other, melody blocks
read everything; chord outputs read the chord blocks, melody outputs every block. The cell
follows Gers, Schraudolph & Schmidhuber 2002 (peepholes, unsquashed cell output), with the cell
states clamped to +-10 (ours; see Eck2002Config).

Free-running, a chord unit is on when its output exceeds 0.5, and one melody note is drawn
from the melody outputs normalised to sum to one (Eck's procedure). There is no beat clock.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from scipy.special import expit

from improvise.blues.task import form_ids
from improvise.core import metrics
from improvise.core.checks import check_memory
from improvise.core.errors import ConfigError
from improvise.core.music import Chord
from improvise.core.sample import draw
from improvise.data.blues_synth import BLUES_FORM
from improvise.data.eck2002 import eck2002_corpus
from improvise.encodings.chromatic import ChromaticEncoding
from improvise.nn.block_lstm import BlockLSTM, BlockLSTMConfig, NumpyBlockLSTM
from improvise.train.looped import TrainConfig, epochs_to_reach, fit_looped, teacher_forced


@dataclass
class Eck2002Config:
    experiment: int = 1  # 1: chords only; 2: chords and melody
    choruses: int = 8  # choruses in the training set
    corpus_seed: int | None = None  # None: the training seed
    cells_per_block: int = 2  # Eck 2002
    cell_output: str = "identity"  # h(s) of Gers et al. 2002 (whom Eck 2002 build on); "tanh": 1997's
    peepholes: bool = True  # cell state -> own block's gates (Gers et al. 2002)
    # clamp cell states to +-10 (0: off; not in Eck 2002): an unsquashed state in a stream that
    # never resets can grow without bound early in training; unclamped, 5 of 10 seeds held the form
    state_clip: float = 10.0
    clock: bool = False  # add 3 beat-in-bar input units (not in Eck 2002; see docs/results.md)
    # Adam on the looped corpus; 10,000 updates because precise counting converges slowly (a
    # probe with this cell, unclamped, seeds 0-9: 3,000 held the form on 4, 6,000 on 7, 10,000 on 8)
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(epochs=10_000, lr=3e-3, lr_decay_every=3333)
    )

    def validate(self) -> None:
        if self.experiment not in (1, 2):
            raise ConfigError("experiment must be 1 or 2")
        if self.choruses < 1 or self.cells_per_block < 1:
            raise ConfigError("choruses and cells_per_block must be at least 1")
        if self.state_clip < 0:
            raise ConfigError(f"state_clip must be 0 (off) or positive, not {self.state_clip}")
        self.train.validate()
        # activations kept for the backward pass: about 300 floats a step and stream (float32)
        check_memory(
            4 * 300 * 8 * self.train.streams * self.train.chunk, "training with these streams and chunk"
        )

    def to_dict(self) -> dict:
        return asdict(self)


CLOCK_BITS = 3


def model_config(cfg: Eck2002Config, enc: ChromaticEncoding) -> BlockLSTMConfig:
    nc = enc.n_chord_units
    clock = list(range(enc.size, enc.size + CLOCK_BITS)) if cfg.clock else []
    n_in = enc.size + len(clock)
    cell = {
        "cells_per_block": cfg.cells_per_block,
        "cell_output": cfg.cell_output,
        "peepholes": cfg.peepholes,
        "state_clip": cfg.state_clip,
        "chord_units": nc,
    }
    if cfg.experiment == 1:
        return BlockLSTMConfig(input_size=n_in, output_size=nc, n_blocks=4, **cell)
    chord_blocks, melody_blocks = [0, 1, 2, 3], [4, 5, 6, 7]
    everything = list(range(n_in))
    return BlockLSTMConfig(
        input_size=n_in,
        output_size=enc.size,
        n_blocks=8,
        **cell,
        block_inputs=[list(range(nc)) + clock] * 4 + [everything] * 4,
        block_sources=[chord_blocks] * 4 + [chord_blocks + melody_blocks] * 4,
        output_blocks=[chord_blocks] * nc + [chord_blocks + melody_blocks] * enc.n_melody_units,
    )


def train_eck2002(cfg: Eck2002Config | None = None, progress: bool = False) -> dict:
    """One network, seeded by cfg.train.seed: {model, config, history, teacher_forced, ...}."""
    cfg = cfg or Eck2002Config()
    return train_eck2002_seeds(cfg, [cfg.train.seed], progress)[0]


def train_eck2002_seeds(cfg: Eck2002Config, seeds: list[int], progress: bool = False) -> list[dict]:
    """One network a seed, all trained together as the members of one BlockLSTM (each on its
    own corpus and its own initial weights, clipped on its own, so each follows the path it
    would follow alone). Returns one dict a seed, as train_eck2002 does; "train_seconds" is
    the whole batch's time and "trained_with" how many networks shared it."""
    cfg.validate()
    enc = ChromaticEncoding(melody=cfg.experiment == 2)
    corpus_seeds = [seed if cfg.corpus_seed is None else cfg.corpus_seed for seed in seeds]
    corpora = {
        c: np.concatenate([enc.tune_to_array(t) for t in eck2002_corpus(cfg.choruses, c)])
        for c in set(corpus_seeds)
    }  # one build a distinct corpus
    loops = [corpora[c] for c in corpus_seeds]
    loop = np.stack(loops, axis=1)  # (L, members, units)
    y = torch.roll(torch.from_numpy(loop), -1, dims=0)
    x = torch.from_numpy(np.stack([with_clock(m, 0) for m in loops], axis=1) if cfg.clock else loop)
    model = BlockLSTM(model_config(cfg, enc), seeds)
    train = copy.deepcopy(cfg.train)
    train.seed = seeds[0]
    history, seconds = fit_looped(model, x, y, train, period=BLUES_FORM.steps, progress=progress)
    tf = teacher_forced(model, x, y)
    out = []
    for k, seed in enumerate(seeds):
        one = copy.deepcopy(cfg)
        one.train.seed = seed
        hist = {key: [row[k] for row in rows] for key, rows in history.items() if key != "loss"}
        out.append(
            {
                "model": model.member(k),
                "config": one,
                "history": hist,
                "train_seconds": seconds,
                "trained_with": len(seeds),
                "teacher_forced": {key: v[k] for key, v in tf.items()},
                "encoding": enc,
                "epochs_to_chord_acc_0.99": epochs_to_reach(hist["chord_acc"], 0.99),
            }
        )
    return out


def with_clock(x: np.ndarray, start_step: int) -> np.ndarray:
    """Append the beat-in-bar bits (least significant first) to every row of x."""
    pos = (start_step + np.arange(len(x))) % 8
    return np.concatenate([x, ((pos[:, None] >> np.arange(CLOCK_BITS)) & 1).astype(x.dtype)], axis=1)


def improvise_eck2002(model: BlockLSTM, enc: ChromaticEncoding, choruses: int = 100, seed: int = 0) -> dict:
    """Free-run from the first step of the form (C7, melody C4); index 0 is the primer."""
    rng = np.random.default_rng(seed)
    stepper = NumpyBlockLSTM(model)
    n_steps, nc = choruses * BLUES_FORM.steps, enc.n_chord_units
    x = np.zeros(enc.size)
    x[:nc] = enc.chord_vector(Chord.parse("C7"))
    if enc.melody:
        x[nc] = 1.0
    chord_units = np.zeros((n_steps, nc), dtype=np.float32)
    melody = np.full(n_steps, -1)
    chord_units[0], melody[0] = x[:nc], 0 if enc.melody else -1
    clock = model.config.input_size > enc.size
    t0 = time.perf_counter()
    for t in range(1, n_steps):
        out = expit(stepper.step(with_clock(x[None], t - 1)[0] if clock else x))  # each unit's probability
        x = np.zeros(enc.size)
        x[:nc] = out[:nc] > 0.5
        chord_units[t] = x[:nc]
        if enc.melody:
            with np.errstate(divide="ignore"):  # a unit at probability 0 is never drawn
                melody[t] = draw(np.log(out[nc:]), 1.0, rng)  # note i in proportion to its unit's activation
            x[nc + melody[t]] = 1.0
    seconds = time.perf_counter() - t0
    chords = enc.chord_ids(chord_units)
    form = form_ids()
    result = {
        "choruses": choruses,
        "bar_onset_match": metrics.bar_onset_match(chords, form, enc.steps_per_bar),
        "step_match": metrics.step_match(chords, form),
        "per_chorus_bar_onset": metrics.per_chorus(
            metrics.bar_onset_match, BLUES_FORM.steps, chords, form=form, steps_per_bar=enc.steps_per_bar
        ),
        "seconds": seconds,
    }
    if enc.melody:  # melody notes whose pitch class is a tone of the form's chord at that step
        pcs = [Chord.parse(c.symbol).pitch_classes for c in BLUES_FORM.per_step()]
        result["chord_tone_rate"] = float(
            np.mean([(enc.melody_low + m) % 12 in pcs[t % BLUES_FORM.steps] for t, m in enumerate(melody)])
        )
    return {"metrics": result, "chords": chords, "melody": melody}


def eck2002_sweep(
    seeds: list[int],
    experiment: int,
    choruses: int = 100,
    base: Eck2002Config | None = None,
    progress: bool = False,
) -> dict:
    """Train one network a seed (together, see train_eck2002_seeds) and free-run each for
    `choruses`; the rows are sweep.json's."""
    base = copy.deepcopy(base or Eck2002Config(experiment=experiment))
    base.experiment = experiment
    trained = train_eck2002_seeds(base, list(seeds), progress)
    rows = []
    for seed, t in zip(seeds, trained):
        gen = improvise_eck2002(t["model"], t["encoding"], choruses, seed)
        rows.append(
            {
                "seed": seed,
                "teacher_forced": t["teacher_forced"],
                "epochs_to_chord_acc_0.99": t["epochs_to_chord_acc_0.99"],
                "final_bce": t["history"]["bce"][-1],
                **gen["metrics"],
            }
        )
    bar = [r["bar_onset_match"] for r in rows]
    summary = {
        "bar_onset_match_mean": float(np.mean(bar)),
        "bar_onset_match_min": float(np.min(bar)),
        "seeds_holding_form": int(sum(b >= 0.99 for b in bar)),
        "train_seconds": trained[0]["train_seconds"],
        "networks_trained_together": len(seeds),
    }
    return {
        "setup": "eck2002",
        "experiment": experiment,
        "config": base.to_dict(),
        "seeds": rows,
        "summary": summary,
    }


def eck2002_table(result: dict) -> str:
    """A line a seed, then the summary (the --setup eck2002 sweep's printout)."""
    lines = [f"{'seed':>4} {'tf chord':>8} {'bar':>6} {'step':>6} {'chord-tone':>10}"]
    for r in result["seeds"]:
        ctr = r.get("chord_tone_rate")
        lines.append(
            f"{r['seed']:>4} {r['teacher_forced']['chord_acc']:>8.3f} "
            f"{r['bar_onset_match']:>6.3f} {r['step_match']:>6.3f} "
            f"{'n/a' if ctr is None else f'{ctr:.3f}':>10}"
        )
    s = result["summary"]
    lines.append(
        f"mean bar-onset match {s['bar_onset_match_mean']:.3f}, worst {s['bar_onset_match_min']:.3f}, "
        f"{s['seeds_holding_form']}/{len(result['seeds'])} seeds >= 0.99; "
        f"{s['networks_trained_together']} networks trained together in {s['train_seconds']:.0f} s"
    )
    return "\n".join(lines)
