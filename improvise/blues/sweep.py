"""`improvise blues sweep`: train one model a seed, free-run it twice (argmax chords and
chords drawn at T = 0.85), and gather every figure in one JSON document."""

from __future__ import annotations

import copy
import statistics
import time
from pathlib import Path

import numpy as np

from improvise.blues.generate import GenerateConfig
from improvise.blues.task import BluesConfig, corpus_arrays, improvise_blues, train_blues, versions
from improvise.core.checks import MAX_SEED, MAX_SEEDS
from improvise.core.errors import ConfigError
from improvise.core.runs import write_json
from improvise.encodings.blues import BluesEncoding
from improvise.train.looped import epochs_to_reach

MODES = {"deterministic": 0.0, "sampled": 0.85}  # chord temperature of each rollout
RATES = ("bar_onset_match", "step_match", "on_beat_rate", "palette_rate", "chord_tone_rate", "copy_rate")


def parse_seeds(text: str) -> list[int]:
    """'0-9' -> [0..9]; '0,3,5-6' -> [0, 3, 5, 6]; at most MAX_SEEDS seeds, each in [0, MAX_SEED]."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            lo, hi = part.split("-", 1) if "-" in part[1:] else (part, part)
            lo, hi = int(lo), int(hi)
        except ValueError:
            raise ConfigError(f"--seeds must look like 0-9 or 0,3,5, not {text!r}") from None
        if not 0 <= lo <= hi <= MAX_SEED:
            raise ConfigError(f"--seeds: each seed in [0, {MAX_SEED}] and ranges low-high, not {part!r}")
        if len(seeds) + hi - lo + 1 > MAX_SEEDS:
            raise ConfigError(f"--seeds: at most {MAX_SEEDS} seeds in one sweep, not {text!r}")
        seeds.extend(range(lo, hi + 1))
    return seeds


def summarize(rows: list[dict]) -> dict:
    out: dict = {"train_seconds_median": statistics.median(r["train_seconds"] for r in rows)}
    for mode in MODES:
        stats = {}
        for key in RATES:
            values = [r[mode][key] for r in rows if key in r[mode]]
            if values:
                stats[f"{key}_mean"] = float(np.mean(values))
                stats[f"{key}_min"] = float(np.min(values))
                stats[f"{key}_max"] = float(np.max(values))
        out[mode] = stats
    return out


def blues_sweep(
    seeds: list[int],
    choruses: int = 100,
    base: BluesConfig | None = None,
    pitch_temperature: float = 0.85,
    feedback: str = "belief",
    progress: bool = False,
    on_seed=None,
) -> dict:
    """Train and free-run one model a seed. `on_seed(row)` is called after each seed."""
    base = base or BluesConfig()
    enc = BluesEncoding()
    rows = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(seeds), desc="sweep", unit="seed", leave=False)
    t0 = time.perf_counter()
    for seed in seeds:
        row = sweep_seed(base, seed, choruses, pitch_temperature, feedback, enc)
        rows.append(row)
        if on_seed is not None:
            on_seed(row)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(
                det=f"{row['deterministic']['bar_onset_match']:.3f}",
                smp=f"{row['sampled']['bar_onset_match']:.3f}",
            )
    if bar is not None:
        bar.close()
    return {
        "seeds": rows,
        "summary": {**summarize(rows), "total_seconds": time.perf_counter() - t0},
        "config": {
            "blues": base.to_dict(),
            "choruses": choruses,
            "pitch_temperature": pitch_temperature,
            "chord_temperatures": MODES,
            "feedback": feedback,
        },
        "versions": versions(),
    }


def sweep_seed(
    base: BluesConfig, seed: int, choruses: int, pitch_temperature: float, feedback: str, enc: BluesEncoding
) -> dict:
    """One seed of a sweep: train `base` with `seed`, free-run it in every mode of MODES."""
    cfg = copy.deepcopy(base)
    cfg.train.seed = seed
    trained = train_blues(cfg)
    _, corpus_pitches = corpus_arrays(cfg, enc)
    row = {
        "seed": seed,
        "train_seconds": trained.train_seconds,
        "teacher_forced": trained.teacher_forced,
        "epochs_to_chord_acc_0.99": epochs_to_reach(trained.history["chord_acc"], 0.99),
    }
    for mode, chord_t in MODES.items():
        gen = GenerateConfig(
            choruses=choruses,
            chord_temperature=chord_t,
            pitch_temperature=pitch_temperature,
            seed=seed,
            feedback=feedback,
        )
        result = improvise_blues(trained.model, gen, corpus_pitches)
        row[mode] = {**result["metrics"], "generate_seconds": result["seconds"]}
    return row


def write_sweep(result: dict, out_dir: Path) -> Path:
    path = Path(out_dir) / "sweep.json"
    write_json(path, result)
    return path


def sweep_table(result: dict) -> str:
    lines = [
        f"{'seed':>4} {'train s':>7} {'tf chord':>8} {'det bar':>7} {'det step':>8} {'smp bar':>7} "
        f"{'on-beat':>7} {'palette':>7} {'chord-tone':>10} {'copy':>5}"
    ]
    for r in result["seeds"]:
        d, s = r["deterministic"], r["sampled"]
        lines.append(
            f"{r['seed']:>4} {r['train_seconds']:>7.2f} {r['teacher_forced']['chord_acc']:>8.3f} "
            f"{d['bar_onset_match']:>7.3f} {d['step_match']:>8.3f} {s['bar_onset_match']:>7.3f} "
            f"{d['on_beat_rate']:>7.3f} {d['palette_rate']:>7.3f} {d['chord_tone_rate']:>10.3f} "
            f"{d.get('copy_rate', float('nan')):>5.2f}"
        )
    sm = result["summary"]
    d, s = sm["deterministic"], sm["sampled"]
    lines.append(
        f"mean {sm['train_seconds_median']:>7.2f}* {'':>8} {d['bar_onset_match_mean']:>7.3f} "
        f"{d['step_match_mean']:>8.3f} {s['bar_onset_match_mean']:>7.3f} {d['on_beat_rate_mean']:>7.3f} "
        f"{d['palette_rate_mean']:>7.3f} {d['chord_tone_rate_mean']:>10.3f} "
        f"{d.get('copy_rate_mean', float('nan')):>5.2f}"
    )
    lines.append(
        f"min  {'':>8} {'':>8} {d['bar_onset_match_min']:>7.3f} {d['step_match_min']:>8.3f} "
        f"{s['bar_onset_match_min']:>7.3f}"
    )
    lines.append(f"(* median train seconds; whole sweep {sm['total_seconds']:.1f} s)")
    return "\n".join(lines)
