"""`--setup eck2002`: Eck & Schmidhuber 2002's own network and data, as far as public
material allows (see corpora/eck2002.py and models/block_lstm.py for what is reconstructed).

Experiment 1 learns the chords alone: 12 chord units in and out, 4 memory blocks of 2 cells.
Experiment 2 learns chords and melody: 25 units in and out, 8 blocks of 2 cells, 4 for the
chords and 4 for the melody; chord blocks read the chord units and each other, melody blocks
read everything; chord outputs read the chord blocks, melody outputs every block.

Free-running, a chord unit is on when its output exceeds 0.5, and one melody note is drawn
from the melody outputs normalised to sum to one (Eck's procedure). There is no beat clock.
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from improvise import metrics
from improvise.blues import form_ids
from improvise.corpora.blues import BLUES_FORM
from improvise.corpora.eck2002 import eck2002_corpus
from improvise.encodings import ChromaticEncoding
from improvise.models.block_lstm import BlockLSTM, BlockLSTMConfig, NumpyBlockLSTM
from improvise.music import Chord
from improvise.train import TrainConfig, epochs_to_reach, fit_looped, teacher_forced


@dataclass
class Eck2002Config:
    experiment: int = 1  # 1: chords only; 2: chords and melody
    choruses: int = 8  # choruses in the training set
    corpus_seed: int | None = None  # None: the training seed
    cells_per_block: int = 2  # Eck 2002
    clock: bool = False  # add 3 beat-in-bar input units (not in Eck 2002; see docs/results.md)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=600, lr=2e-2, lr_decay_every=200))

    def validate(self) -> None:
        if self.experiment not in (1, 2):
            raise ValueError("experiment must be 1 or 2")
        if self.choruses < 1 or self.cells_per_block < 1:
            raise ValueError("choruses and cells_per_block must be at least 1")
        self.train.validate()

    def to_dict(self) -> dict:
        return asdict(self)


CLOCK_BITS = 3


def model_config(cfg: Eck2002Config, enc: ChromaticEncoding) -> BlockLSTMConfig:
    nc = enc.n_chord_units
    clock = list(range(enc.size, enc.size + CLOCK_BITS)) if cfg.clock else []
    n_in = enc.size + len(clock)
    if cfg.experiment == 1:
        return BlockLSTMConfig(input_size=n_in, output_size=nc, n_blocks=4, cells_per_block=cfg.cells_per_block,
                               chord_units=nc)
    chord_blocks, melody_blocks = [0, 1, 2, 3], [4, 5, 6, 7]
    everything = list(range(n_in))
    return BlockLSTMConfig(
        input_size=n_in, output_size=enc.size, n_blocks=8, cells_per_block=cfg.cells_per_block, chord_units=nc,
        block_inputs=[list(range(nc)) + clock] * 4 + [everything] * 4,
        block_sources=[chord_blocks] * 4 + [chord_blocks + melody_blocks] * 4,
        output_blocks=[chord_blocks] * nc + [chord_blocks + melody_blocks] * enc.n_melody_units,
    )


def train_eck2002(cfg: Eck2002Config | None = None, progress: bool = False) -> dict:
    cfg = cfg or Eck2002Config()
    cfg.validate()
    enc = ChromaticEncoding(melody=cfg.experiment == 2)
    seed = cfg.train.seed if cfg.corpus_seed is None else cfg.corpus_seed
    loop = np.concatenate([enc.tune_to_array(t) for t in eck2002_corpus(cfg.choruses, seed)])
    y = torch.roll(torch.from_numpy(loop), -1, dims=0)
    x = torch.from_numpy(with_clock(loop, 0) if cfg.clock else loop)
    torch.manual_seed(cfg.train.seed)
    model = BlockLSTM(model_config(cfg, enc))
    history, seconds = fit_looped(model, x, y, cfg.train, period=BLUES_FORM.steps, progress=progress)
    return {"model": model, "config": cfg, "history": history, "train_seconds": seconds,
            "teacher_forced": teacher_forced(model, x, y), "encoding": enc,
            "epochs_to_chord_acc_0.99": epochs_to_reach(history["chord_acc"], 0.99)}


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
        out = stepper.step(with_clock(x[None], t - 1)[0] if clock else x)
        x = np.zeros(enc.size)
        x[:nc] = out[:nc] > 0.5
        chord_units[t] = x[:nc]
        if enc.melody:
            p = out[nc:] / out[nc:].sum()
            melody[t] = int(min(np.searchsorted(np.cumsum(p), rng.random() * 1.0, side="right"), len(p) - 1))
            x[nc + melody[t]] = 1.0
    seconds = time.perf_counter() - t0
    chords = enc.chord_ids(chord_units)
    form = form_ids()
    result = {"choruses": choruses, "bar_onset_match": metrics.bar_onset_match(chords, form, enc.steps_per_bar),
              "step_match": metrics.step_match(chords, form),
              "per_chorus_bar_onset": metrics.per_chorus(metrics.bar_onset_match, BLUES_FORM.steps, chords,
                                                         form=form, steps_per_bar=enc.steps_per_bar),
              "seconds": seconds}
    if enc.melody:  # melody notes whose pitch class is a tone of the form's chord at that step
        pcs = [Chord.parse(c.symbol).pitch_classes for c in BLUES_FORM.per_step()]
        result["chord_tone_rate"] = float(np.mean([(enc.melody_low + m) % 12 in pcs[t % BLUES_FORM.steps]
                                                   for t, m in enumerate(melody)]))
    return {"metrics": result, "chords": chords, "melody": melody}


def eck2002_sweep(seeds: list[int], experiment: int, choruses: int = 100, base: Eck2002Config | None = None,
                  progress: bool = False) -> dict:
    """Train one network a seed and free-run it for `choruses`; the rows are sweep.json's."""
    base = base or Eck2002Config(experiment=experiment)
    rows = []
    if progress:
        from tqdm import tqdm

        seeds = tqdm(seeds, desc=f"eck2002 experiment {experiment}", unit="seed", leave=False, disable=None)
    for seed in seeds:
        cfg = copy.deepcopy(base)
        cfg.experiment, cfg.train.seed = experiment, seed
        trained = train_eck2002(cfg)
        gen = improvise_eck2002(trained["model"], trained["encoding"], choruses, seed)
        rows.append({"seed": seed, "train_seconds": trained["train_seconds"],
                     "teacher_forced": trained["teacher_forced"],
                     "epochs_to_chord_acc_0.99": trained["epochs_to_chord_acc_0.99"], **gen["metrics"]})
    bar = [r["bar_onset_match"] for r in rows]
    summary = {"bar_onset_match_mean": float(np.mean(bar)), "bar_onset_match_min": float(np.min(bar)),
               "seeds_holding_form": int(sum(b >= 0.99 for b in bar)), "train_seconds_median":
               float(np.median([r["train_seconds"] for r in rows]))}
    return {"setup": "eck2002", "experiment": experiment, "config": base.to_dict(), "seeds": rows,
            "summary": summary}


def eck2002_table(result: dict) -> str:
    """A line a seed, then the summary (the --setup eck2002 sweep's printout)."""
    lines = [f"{'seed':>4} {'train s':>7} {'tf chord':>8} {'bar':>6} {'step':>6} {'chord-tone':>10}"]
    for r in result["seeds"]:
        ctr = r.get("chord_tone_rate")
        lines.append(f"{r['seed']:>4} {r['train_seconds']:>7.2f} {r['teacher_forced']['chord_acc']:>8.3f} "
                     f"{r['bar_onset_match']:>6.3f} {r['step_match']:>6.3f} "
                     f"{'n/a' if ctr is None else f'{ctr:.3f}':>10}")
    s = result["summary"]
    lines.append(f"mean bar-onset match {s['bar_onset_match_mean']:.3f}, worst {s['bar_onset_match_min']:.3f}, "
                 f"{s['seeds_holding_form']}/{len(result['seeds'])} seeds >= 0.99")
    return "\n".join(lines)


# ---- which output layer does experiment 1 need? --------------------------------------------
PROBE_VARIANTS = {  # name: (input coding, output layer, output coding)
    "one-hot in, softmax over the 3 chords": ("one-hot", "softmax", "one-hot"),
    "chord tones in, softmax over the 3 chords": ("chord tones", "softmax", "one-hot"),
    "one-hot in, 3 sigmoid units (BCE)": ("one-hot", "sigmoid", "one-hot"),
    "one-hot in, 12 chord-tone sigmoid units (BCE)": ("one-hot", "sigmoid", "chord tones"),
    "chord tones in and out, 12 sigmoid units (BCE): Eck's": ("chord tones", "sigmoid", "chord tones"),
}


def output_layer_probe(seeds: list[int], hidden: int = 8, epochs: int = 1500, lr: float = 1e-2,
                       choruses: int = 100) -> dict:
    """Experiment 1's task (the chord stream alone, no clock) for a plain LSTM of `hidden` units,
    with each output layer of PROBE_VARIANTS; same training as the headline model otherwise.
    Returns, per variant, each seed's teacher-forced accuracy and free-running bar-onset match."""
    from improvise.models.stream_lstm import StreamLSTM

    enc = ChromaticEncoding(melody=False)
    form = np.asarray(form_ids())
    chord_ids = np.tile(form, 8)
    tones = np.stack([enc.chord_vector(Chord.parse(s)) for s in ("C7", "F7", "G7")]).astype(np.float32)
    out: dict = {"hidden": hidden, "epochs": epochs, "lr": lr, "variants": {}}
    coding = {"one-hot": np.eye(3, dtype=np.float32), "chord tones": tones}
    for name, (code_in, layer, code_out) in PROBE_VARIANTS.items():
        table_in, table_out = coding[code_in], coding[code_out]
        x = torch.from_numpy(table_in[chord_ids])
        y = torch.roll(torch.from_numpy(chord_ids if layer == "softmax" else table_out[chord_ids]), -1, dims=0)
        rows = []
        for seed in seeds:
            torch.manual_seed(seed)
            model = StreamLSTM(table_in.shape[1], hidden, table_out.shape[1], layer)
            cfg = TrainConfig(epochs=epochs, lr=lr, lr_decay_every=max(1, epochs // 3), seed=seed)
            _, seconds = fit_looped(model, x, y, cfg, period=BLUES_FORM.steps)
            played = _free_run_stream(model, table_in, table_out, choruses * BLUES_FORM.steps)
            rows.append({"seed": seed, "train_seconds": seconds, "teacher_forced_acc": teacher_forced(model, x, y)["acc"],
                         "bar_onset_match": metrics.bar_onset_match(played, list(form), BLUES_FORM.steps_per_bar)})
        out["variants"][name] = rows
    return out


@torch.no_grad()
def _free_run_stream(model, table_in: np.ndarray, table_out: np.ndarray, n_steps: int) -> list[int]:
    """Chord ids played from a C7 primer; -1 where the sigmoid units match no chord."""
    played, state, k = [0], None, 0
    frame = torch.from_numpy(table_in[0])
    for _ in range(n_steps - 1):
        logits, _, state = model(frame[None, None], None, state)
        pred = model.predict(logits[0, 0])
        if model.output == "softmax":
            k = int(pred)
        else:
            match = np.flatnonzero((np.abs(table_out - pred.numpy()).sum(1) == 0))
            k = int(match[0]) if len(match) else -1
        played.append(k)
        frame = torch.from_numpy(table_in[k]) if k >= 0 else torch.zeros(table_in.shape[1])
    return played
