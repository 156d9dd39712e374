"""`improvise blues corpus|train|generate|sweep`: the seed-000 blues from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from improvise.cli.main import loading
from improvise.core.checks import (
    MAX_CHORUSES,
    MAX_EPOCHS,
    MAX_HIDDEN,
    SEED,
    TEMPERATURE,
    TEMPO,
    check_out_dir,
    float_flag,
    int_flag,
)


def add_blues_parser(sub, parser_class) -> None:
    """`improvise blues` and its four subcommands. Builds from light modules only: the
    defaults shown come from improvise.blues.config and improvise.train.config (no torch)."""
    blues = sub.add_parser("blues", help="the Eck & Schmidhuber 12-bar blues (seed 000)")
    bsub = blues.add_subparsers(dest="blues_command", required=True, parser_class=parser_class)
    _add_corpus_command(bsub)
    _add_train_command(bsub)
    _add_generate_command(bsub)
    _add_sweep_command(bsub)


def _add_corpus_command(bsub) -> None:
    p = bsub.add_parser("corpus", help="show the synthesized training corpus")
    p.add_argument("--print", action="store_true", help="print every chorus as a bar-by-bar grid")
    p.add_argument("--json", action="store_true", help="print the token ids as JSON instead")
    p.add_argument("--choruses", type=int_flag(1, MAX_CHORUSES), default=8, help=f"1-{MAX_CHORUSES}")
    p.add_argument("--seed", type=SEED, default=0)
    p.set_defaults(func=cmd_corpus)


def _add_train_command(bsub) -> None:
    p = bsub.add_parser("train", help="train the chord/melody network and write a run folder")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--snapshot-every",
        type=int_flag(0, MAX_EPOCHS),
        default=10,
        help="free-run a chorus every N epochs for the training GIF (0: off)",
    )
    _add_training_flags(p)
    p.set_defaults(func=cmd_train)


def _add_generate_command(bsub) -> None:
    p = bsub.add_parser("generate", help="free-run a trained model; write tokens, MIDI and metrics")
    p.add_argument("run_dir", help="a run folder written by 'improvise blues train'")
    p.add_argument("--choruses", type=int_flag(1, MAX_CHORUSES), default=1, help=f"1-{MAX_CHORUSES}")
    p.add_argument("--out", default=None, help="folder to write (default: the run folder)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the draws")
    p.add_argument(
        "--tempo", type=TEMPO, default=120.0, help="quarter notes a minute in the MIDI file (20-400)"
    )
    _add_generation_flags(p)
    p.set_defaults(func=cmd_generate)


def _add_sweep_command(bsub) -> None:
    p = bsub.add_parser("sweep", help="train and free-run one model per seed; write sweep.json")
    p.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,5")
    p.add_argument("--choruses", type=int_flag(1, MAX_CHORUSES), default=100, help=f"1-{MAX_CHORUSES}")
    p.add_argument("--out", default="runs/sweep")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--pitch-temperature", type=TEMPERATURE, default=0.85, help="0-100; 0 = argmax")
    p.add_argument("--feedback", choices=["belief", "sample"], default="belief")
    p.add_argument(
        "--setup",
        choices=["blues", "eck2002"],
        default="blues",
        help="blues: the headline model (default); eck2002: Eck & Schmidhuber 2002's network",
    )
    p.add_argument(
        "--experiment",
        type=int,
        choices=[1, 2],
        default=1,
        help="with --setup eck2002: 1 = chords only, 2 = chords and melody",
    )
    p.add_argument(
        "--cell-output",
        choices=["identity", "tanh"],
        default="identity",
        help="with --setup eck2002: the cell output h(s); identity is Gers et al. 2002's, tanh 1997's",
    )
    p.add_argument(
        "--state-clip",
        type=float_flag(0, 1e6),
        default=None,
        help="with --setup eck2002: clamp cell states to +-this (0: off; default: the setup's)",
    )
    _add_training_flags(p)
    p.set_defaults(func=cmd_sweep)


def _add_training_flags(p: argparse.ArgumentParser) -> None:
    from improvise.blues.config import BluesConfig
    from improvise.train.config import TrainConfig

    _add_model_flags(p, BluesConfig())
    _add_schedule_flags(p, TrainConfig())


def _add_model_flags(p: argparse.ArgumentParser, b) -> None:
    """The network and its corpus, defaults from `b` (a BluesConfig)."""
    g = p.add_argument_group("model and corpus")
    g.add_argument(
        "--corpus-choruses",
        type=int_flag(1, 10_000),
        default=b.choruses,
        help="choruses in the synthesized corpus (1-10000)",
    )
    g.add_argument(
        "--corpus-seed",
        type=int_flag(0, 2**32 - 1),
        default=None,
        help="seed of the corpus melodies (default: --seed)",
    )
    g.add_argument(
        "--arch",
        choices=["partitioned", "stacked"],
        default=b.arch,
        help="partitioned: the chord layer reads only chords (default); stacked: seed 000",
    )
    g.add_argument("--no-clock", action="store_true", help="hide the beat-in-bar clock from the model")
    g.add_argument(
        "--chord-hidden",
        type=int_flag(1, MAX_HIDDEN),
        default=b.chord_hidden,
        help=f"units of the chord layer (H1; 1-{MAX_HIDDEN})",
    )
    g.add_argument(
        "--melody-hidden",
        type=int_flag(1, MAX_HIDDEN),
        default=b.melody_hidden,
        help=f"units of the melody layer (H2; 1-{MAX_HIDDEN})",
    )
    g.add_argument("--cell", choices=["lstm", "gru", "rnn"], default=b.cell, help="recurrent cell")
    g.add_argument(
        "--forget-bias",
        type=float_flag(-100, 100),
        default=b.forget_bias,
        help="initial LSTM forget-gate bias (-100 to 100)",
    )


def _add_schedule_flags(p: argparse.ArgumentParser, t) -> None:
    """The training run; each defaults to None (the setup's own: `t`, a TrainConfig, for blues)."""
    g = p.add_argument_group("training (defaults: the headline model's; with --setup eck2002, that setup's)")
    g.add_argument(
        "--epochs",
        type=int_flag(1, MAX_EPOCHS),
        default=None,
        help=f"passes over the corpus (1-{MAX_EPOCHS}; default {t.epochs})",
    )
    g.add_argument(
        "--lr",
        type=float_flag(0, 10, lo_open=True),
        default=None,
        help=f"Adam learning rate (0 < lr <= 10; default {t.lr})",
    )
    g.add_argument(
        "--lr-decay-every",
        type=int_flag(1, MAX_EPOCHS),
        default=None,
        help=f"epochs between decays (at least 1; default {t.lr_decay_every})",
    )
    g.add_argument(
        "--lr-decay",
        type=float_flag(0, 1, lo_open=True),
        default=None,
        help=f"learning-rate factor at each decay (0 < f <= 1; default {t.lr_decay})",
    )
    g.add_argument(
        "--clip",
        type=float_flag(0, 1e6, lo_open=True),
        default=None,
        help=f"global gradient-norm clip (above 0; default {t.clip})",
    )
    g.add_argument(
        "--streams",
        type=int_flag(1, 4096),
        default=None,
        help=f"parallel readers of the looped corpus (1-4096; default {t.streams})",
    )
    g.add_argument(
        "--restart-streams",
        type=int_flag(0, 4096),
        default=None,
        help=f"readers that restart from a zero state at each chorus top (default {t.restart_streams})",
    )
    g.add_argument(
        "--chunk",
        type=int_flag(1, 100_000),
        default=None,
        help=f"truncated-BPTT steps an epoch (1-100000; default {t.chunk})",
    )
    g.add_argument(
        "--threads", type=int_flag(1, 256), default=None, help=f"torch threads (1-256; default {t.threads})"
    )


TRAIN_FLAGS = (
    "epochs",
    "lr",
    "lr_decay_every",
    "lr_decay",
    "clip",
    "streams",
    "restart_streams",
    "chunk",
    "threads",
)


def _train_config(a: argparse.Namespace, base, seed: int):
    """`base` (a TrainConfig) with every training flag the user gave put in, and `seed`."""
    from dataclasses import replace

    given = {k: getattr(a, k) for k in TRAIN_FLAGS if getattr(a, k, None) is not None}
    return replace(base, seed=seed, **given)


def _blues_config(a: argparse.Namespace, seed: int):
    from improvise.blues.config import BluesConfig
    from improvise.train.config import TrainConfig

    cfg = BluesConfig(
        choruses=a.corpus_choruses,
        corpus_seed=a.corpus_seed,
        arch=a.arch,
        clock=not a.no_clock,
        chord_hidden=a.chord_hidden,
        melody_hidden=a.melody_hidden,
        cell=a.cell,
        forget_bias=a.forget_bias,
        train=_train_config(a, TrainConfig(), seed),
    )
    cfg.validate()
    return cfg


def _add_generation_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chord-temperature", type=TEMPERATURE, default=0.0, help="0-100; 0 = argmax (default)")
    p.add_argument(
        "--pitch-temperature", type=TEMPERATURE, default=0.85, help="0-100; 0 = argmax; default 0.85"
    )
    p.add_argument(
        "--feedback",
        choices=["belief", "sample"],
        default="belief",
        help="what the chord layer is fed back: its most likely chord (default) or the drawn one",
    )


def cmd_corpus(a) -> int:
    from improvise.blues.summary import chorus_grid
    from improvise.data.blues_synth import synth_blues_corpus
    from improvise.encodings.blues import BluesEncoding

    enc = BluesEncoding()
    tunes = synth_blues_corpus(a.choruses, a.seed)
    if a.json:
        print(
            json.dumps(
                [dict(zip(("chords", "pitches"), (x.tolist() for x in enc.tune_to_tokens(t)))) for t in tunes]
            )
        )
        return 0
    print(f"synthesized blues corpus: {a.choruses} choruses, seed {a.seed}, 8 eighth-note steps a bar")
    if a.print:
        for k, tune in enumerate(tunes):
            chords, pitches = enc.tune_to_tokens(tune)
            print(f"\nchorus {k + 1}\n{chorus_grid(chords, pitches, enc)}")
    return 0


def cmd_train(a) -> int:
    with loading():
        from improvise.blues.task import save_trained, snapshot_recorder, train_blues
        from improvise.core.runs import staged_dir

    cfg = _blues_config(a, a.seed)
    out = check_out_dir(a.out)
    on_epoch, snapshots = snapshot_recorder(a.snapshot_every, a.seed) if a.snapshot_every else (None, None)
    trained = train_blues(cfg, progress=not a.quiet, on_epoch=on_epoch)
    with staged_dir(out) as folder:
        m = save_trained(trained, folder, snapshots)
    tf = m["teacher_forced"]
    print(
        f"trained in {m['train_seconds']:.2f} s: teacher-forced chord acc {tf['chord_acc']:.3f}, "
        f"pitch acc {tf['pitch_acc']:.3f}, final loss {m['final_loss']:.3f} -> {a.out}"
    )
    return 0


def cmd_generate(a) -> int:
    with loading():
        from improvise.blues.generate import GenerateConfig
        from improvise.blues.summary import chorus_grid, format_metrics
        from improvise.blues.task import generate_run
        from improvise.encodings.blues import BluesEncoding

    gen = GenerateConfig(
        choruses=a.choruses,
        chord_temperature=a.chord_temperature,
        pitch_temperature=a.pitch_temperature,
        seed=a.seed,
        feedback=a.feedback,
    )
    gen.validate()
    out = check_out_dir(a.out) if a.out else Path(a.run_dir)
    result = generate_run(Path(a.run_dir), gen, out, tempo_bpm=a.tempo)
    m = result["metrics"]
    print(
        f"chorus 1 of {a.choruses} (step 0 is the primer):\n"
        + chorus_grid(result["chords"], result["pitches"], BluesEncoding())
    )
    print(f"\n{a.choruses} choruses in {result['seconds']:.2f} s: {format_metrics(m)}")
    if a.choruses > 1:
        worst = min(m["per_chorus_bar_onset"])
        print(f"bar-onset match per chorus: worst {worst:.3f}, last {m['per_chorus_bar_onset'][-1]:.3f}")
    print(f"wrote {out / 'tokens.json'}, {out / 'chorus.mid'}, {out / 'metrics.json'}")
    return 0


def cmd_sweep(a) -> int:
    with loading():
        from improvise.blues.sweep import blues_sweep, parse_seeds, sweep_table, write_sweep

    seeds = parse_seeds(a.seeds)
    check_out_dir(a.out)
    if a.setup == "eck2002":
        return _sweep_eck2002(a, seeds)
    base = _blues_config(a, 0)
    result = blues_sweep(
        seeds,
        a.choruses,
        base,
        pitch_temperature=a.pitch_temperature,
        feedback=a.feedback,
        progress=not a.quiet,
    )
    path = write_sweep(result, Path(a.out))
    print(sweep_table(result))
    print(f"wrote {path}")
    return 0


def _sweep_eck2002(a, seeds: list[int]) -> int:
    with loading():
        from improvise.blues.eck2002 import Eck2002Config, eck2002_sweep, eck2002_table
        from improvise.blues.sweep import write_sweep

    base = Eck2002Config(experiment=a.experiment, cell_output=a.cell_output)
    if a.state_clip is not None:
        base.state_clip = a.state_clip
    base.train = _train_config(a, base.train, 0)
    if a.corpus_seed is not None:
        base.corpus_seed = a.corpus_seed
    base.validate()
    result = eck2002_sweep(seeds, a.experiment, a.choruses, base, progress=not a.quiet)
    path = write_sweep(result, Path(a.out))
    print(eck2002_table(result))
    print(f"wrote {path}")
    return 0
