"""The `improvise` command: argparse subcommands, each a thin wrapper over a package function.

User errors (bad flags, impossible values, missing or corrupt files) print one line and exit
with status 2; `dispatch(argv)` returns the exit status so tests can call it directly.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import warnings
from pathlib import Path

from improvise.checks import (MAX_CHORUSES, MAX_EPOCHS, MAX_HIDDEN, MAX_STEPS_PER_BEAT, SEED, TEMPERATURE, TEMPO,
                              check_out_dir, float_flag, int_flag)
from improvise.errors import UserError

EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug, not the user's input


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UserError(f"{self.prog}: {message}")

    def _get_values(self, action, arg_strings):
        # argparse drops a '--' given as a flag's value (`--epochs=--`) and hands the flag an
        # empty list, skipping its type check: refuse it instead
        if action.nargs is None and action.option_strings and arg_strings == ["--"]:
            raise argparse.ArgumentError(action, "expected a value, not '--'")
        return super()._get_values(action, arg_strings)


def _add_training_flags(p: argparse.ArgumentParser) -> None:
    from improvise.blues import BluesConfig
    from improvise.train import TrainConfig

    b, t = BluesConfig(), TrainConfig()
    g = p.add_argument_group("model and corpus")
    g.add_argument("--corpus-choruses", type=int_flag(1, 10_000), default=b.choruses,
                   help="choruses in the synthesized corpus (1-10000)")
    g.add_argument("--corpus-seed", type=int_flag(0, 2**32 - 1), default=None, help="seed of the corpus melodies (default: --seed)")
    g.add_argument("--arch", choices=["partitioned", "stacked"], default=b.arch,
                   help="partitioned: the chord layer reads only chords (default); stacked: seed 000")
    g.add_argument("--no-clock", action="store_true", help="hide the beat-in-bar clock from the model")
    g.add_argument("--chord-hidden", type=int_flag(1, MAX_HIDDEN), default=b.chord_hidden,
                   help=f"units of the chord layer (H1; 1-{MAX_HIDDEN})")
    g.add_argument("--melody-hidden", type=int_flag(1, MAX_HIDDEN), default=b.melody_hidden,
                   help=f"units of the melody layer (H2; 1-{MAX_HIDDEN})")
    g.add_argument("--cell", choices=["lstm", "gru", "rnn"], default=b.cell, help="recurrent cell")
    g.add_argument("--forget-bias", type=float_flag(-100, 100), default=b.forget_bias,
                   help="initial LSTM forget-gate bias (-100 to 100)")
    g = p.add_argument_group("training (defaults: the headline model's; with --setup eck2002, that setup's)")
    g.add_argument("--epochs", type=int_flag(1, MAX_EPOCHS), default=None,
                   help=f"passes over the corpus (1-{MAX_EPOCHS}; default {t.epochs})")
    g.add_argument("--lr", type=float_flag(0, 10, lo_open=True), default=None,
                   help=f"Adam learning rate (0 < lr <= 10; default {t.lr})")
    g.add_argument("--lr-decay-every", type=int_flag(1, MAX_EPOCHS), default=None,
                   help=f"epochs between decays (at least 1; default {t.lr_decay_every})")
    g.add_argument("--lr-decay", type=float_flag(0, 1, lo_open=True), default=None,
                   help=f"learning-rate factor at each decay (0 < f <= 1; default {t.lr_decay})")
    g.add_argument("--clip", type=float_flag(0, 1e6, lo_open=True), default=None,
                   help=f"global gradient-norm clip (above 0; default {t.clip})")
    g.add_argument("--streams", type=int_flag(1, 4096), default=None,
                   help=f"parallel readers of the looped corpus (1-4096; default {t.streams})")
    g.add_argument("--restart-streams", type=int_flag(0, 4096), default=None,
                   help=f"readers that restart from a zero state at each chorus top (default {t.restart_streams})")
    g.add_argument("--chunk", type=int_flag(1, 100_000), default=None,
                   help=f"truncated-BPTT steps an epoch (1-100000; default {t.chunk})")
    g.add_argument("--threads", type=int_flag(1, 256), default=None, help=f"torch threads (1-256; default {t.threads})")


TRAIN_FLAGS = ("epochs", "lr", "lr_decay_every", "lr_decay", "clip", "streams", "restart_streams", "chunk", "threads")


def _train_config(a: argparse.Namespace, base, seed: int):
    """`base` (a TrainConfig) with every training flag the user gave put in, and `seed`."""
    from dataclasses import replace

    given = {k: getattr(a, k) for k in TRAIN_FLAGS if getattr(a, k, None) is not None}
    return replace(base, seed=seed, **given)


def _blues_config(a: argparse.Namespace, seed: int):
    from improvise.blues import BluesConfig
    from improvise.train import TrainConfig

    cfg = BluesConfig(choruses=a.corpus_choruses, corpus_seed=a.corpus_seed, arch=a.arch, clock=not a.no_clock,
                      chord_hidden=a.chord_hidden, melody_hidden=a.melody_hidden, cell=a.cell,
                      forget_bias=a.forget_bias,
                      train=_train_config(a, TrainConfig(), seed))
    cfg.validate()
    return cfg


def _add_generation_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chord-temperature", type=TEMPERATURE, default=0.0, help="0-100; 0 = argmax (default)")
    p.add_argument("--pitch-temperature", type=TEMPERATURE, default=0.85, help="0-100; 0 = argmax; default 0.85")
    p.add_argument("--feedback", choices=["belief", "sample"], default="belief",
                   help="what the chord layer is fed back: its most likely chord (default) or the drawn one")


# ---- commands -----------------------------------------------------------------------------

def cmd_corpus(a) -> int:
    from improvise.corpora.blues import synth_blues_corpus
    from improvise.encodings import BluesEncoding
    from improvise.summary import chorus_grid

    enc = BluesEncoding()
    tunes = synth_blues_corpus(a.choruses, a.seed)
    if a.json:
        print(json.dumps([dict(zip(("chords", "pitches"), (x.tolist() for x in enc.tune_to_tokens(t))))
                          for t in tunes]))
        return 0
    print(f"synthesized blues corpus: {a.choruses} choruses, seed {a.seed}, 8 eighth-note steps a bar")
    if a.print:
        for k, tune in enumerate(tunes):
            chords, pitches = enc.tune_to_tokens(tune)
            print(f"\nchorus {k + 1}\n{chorus_grid(chords, pitches, enc)}")
    return 0


def cmd_train(a) -> int:
    from improvise.blues import save_trained, snapshot_recorder, train_blues
    from improvise.runs import staged_dir

    cfg = _blues_config(a, a.seed)
    out = check_out_dir(a.out)
    on_epoch, snapshots = snapshot_recorder(a.snapshot_every, a.seed) if a.snapshot_every else (None, None)
    trained = train_blues(cfg, progress=not a.quiet, on_epoch=on_epoch)
    with staged_dir(out) as folder:
        m = save_trained(trained, folder, snapshots)
    print(f"trained in {m['train_seconds']:.2f} s: teacher-forced chord acc {m['teacher_forced']['chord_acc']:.3f}, "
          f"pitch acc {m['teacher_forced']['pitch_acc']:.3f}, final loss {m['final_loss']:.3f} -> {a.out}")
    return 0


def cmd_generate(a) -> int:
    from improvise.blues import generate_run
    from improvise.encodings import BluesEncoding
    from improvise.generate import GenerateConfig
    from improvise.summary import chorus_grid, format_metrics

    gen = GenerateConfig(choruses=a.choruses, chord_temperature=a.chord_temperature,
                         pitch_temperature=a.pitch_temperature, seed=a.seed, feedback=a.feedback)
    gen.validate()
    out = check_out_dir(a.out) if a.out else Path(a.run_dir)
    result = generate_run(Path(a.run_dir), gen, out, tempo_bpm=a.tempo)
    m = result["metrics"]
    print(f"chorus 1 of {a.choruses} (step 0 is the primer):\n" + chorus_grid(result["chords"], result["pitches"],
                                                                              BluesEncoding()))
    print(f"\n{a.choruses} choruses in {result['seconds']:.2f} s: {format_metrics(m)}")
    if a.choruses > 1:
        worst = min(m["per_chorus_bar_onset"])
        print(f"bar-onset match per chorus: worst {worst:.3f}, last {m['per_chorus_bar_onset'][-1]:.3f}")
    print(f"wrote {out / 'tokens.json'}, {out / 'chorus.mid'}, {out / 'metrics.json'}")
    return 0


def cmd_sweep(a) -> int:
    from improvise.sweep import blues_sweep, parse_seeds, sweep_table, write_sweep

    seeds = parse_seeds(a.seeds)
    check_out_dir(a.out)
    if a.setup == "eck2002":
        return _sweep_eck2002(a, seeds)
    base = _blues_config(a, 0)
    result = blues_sweep(seeds, a.choruses, base, pitch_temperature=a.pitch_temperature, feedback=a.feedback,
                         progress=not a.quiet)
    path = write_sweep(result, Path(a.out))
    print(sweep_table(result))
    print(f"wrote {path}")
    return 0


def _sweep_eck2002(a, seeds: list[int]) -> int:
    from improvise.eck2002 import Eck2002Config, eck2002_sweep, eck2002_table
    from improvise.sweep import write_sweep

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


def cmd_render(a) -> int:
    from improvise.render.run import RenderConfig, render_run

    cfg = RenderConfig(synth=a.synth, soundfont=a.soundfont, swing=a.swing, tempo_bpm=a.tempo,
                       max_choruses=a.max_choruses)
    result = render_run(Path(a.run_dir), cfg)
    audio = result["audio"]
    print(f"rendered {a.run_dir} in {sum(result['seconds'].values()):.1f} s: " + ", ".join(result["written"]))
    print(f"audio: {audio['synth']}" + (f" ({audio['soundfont']})" if audio["soundfont"] else "")
          + f", {audio['seconds']:.1f} s; score: {result['engraving']['notes']} notes engraved"
          + (f"; first {result['shown']} of {result['choruses']} choruses shown" if result["shown"] < result["choruses"]
             else ""))
    print(f"open {Path(a.run_dir) / 'report.html'}")
    return 0


def cmd_leadsheet_show(a) -> int:
    from improvise.leadsheet import format_bars
    from improvise.leadsheet_load import load_leadsheet

    sheet = load_leadsheet(a.source, Path(a.standards) if a.standards else None, Path(a.wjd) if a.wjd else None)
    if a.key:
        sheet = sheet.to_key(a.key)
    if a.json:
        print(json.dumps({"title": sheet.title, "key": sheet.key, "beats_per_bar": sheet.beats_per_bar,
                          "bars": [[c.symbol for c in bar] for bar in sheet.bars], "unparsed": sheet.unparsed,
                          "sections": [[k + 1, label] for k, label in sheet.sections], "warnings": sheet.warnings,
                          "melody": [[n.pitch, str(n.start), str(n.length)] for n in sheet.melody]}))
        return 0
    print(f"{sheet.title}  (key {sheet.key or '?'}, {sheet.beats_per_bar} beats a bar, {len(sheet.bars)} bars)")
    print(format_bars(sheet))
    if sheet.melody:
        print(f"melody: {len(sheet.melody)} notes over {float(max(n.start + n.length for n in sheet.melody)):g} beats")
    for text in sheet.warnings:
        print(f"note: {text}")
    if sheet.unparsed:
        print(f"could not read {len(sheet.unparsed)} chord(s): {', '.join(sheet.unparsed)}")
    return 0


def cmd_leadsheet_check(a) -> int:
    from improvise.leadsheet_sources import load_standards, parse_rate

    r = parse_rate(load_standards(Path(a.standards)))
    print(f"{r['tunes']} tunes, {r['tokens']} chord tokens in the played forms, {r['unparsed']} unparsed "
          f"({100 * r['parsed_rate']:.2f}% parsed)")
    for title, tok in r["examples"]:
        print(f"  {title}: {tok!r}")
    return 0 if r["unparsed"] == 0 else 1


def cmd_corpus_wjd(a) -> int:
    from improvise.corpora.wjd import chord_tone_rate, read_wjd, split_by_piece

    solos = read_wjd(Path(a.path), a.subset, a.steps_per_beat, a.to_c)
    notes = sum(s.notes_read for s in solos)
    dropped = sum(s.notes_dropped for s in solos)
    split = split_by_piece([s.melid for s in solos])
    print(f"{len(solos)} solos ({a.subset}), {notes} notes, {dropped} ({100 * dropped / max(notes, 1):.1f}%) dropped "
          f"by a {a.steps_per_beat}-steps-a-beat grid; chord-tone rate {chord_tone_rate(solos):.3f}; "
          f"split by solo: {len(split['train'])} train, {len(split['valid'])} valid, {len(split['test'])} test")
    for s in solos[:a.show]:
        print(f"  {s.melid:4d}  {s.performer} - {s.title} ({s.key}, {s.tune.steps // s.tune.steps_per_bar} bars)")
    return 0


def cmd_gradcheck(a) -> int:
    from improvise.blues import gradcheck_blues

    report = gradcheck_blues(seed=a.seed, per_tensor=a.per_tensor, steps=a.steps, chord_hidden=a.chord_hidden,
                             melody_hidden=a.melody_hidden, eps=a.eps)
    for name, err in report["per_tensor"].items():
        print(f"{name:28s} max relative error {err:.2e}")
    ok = report["max_relative_error"] <= a.tolerance
    print(f"gradcheck: max relative error {report['max_relative_error']:.2e} over {report['checked']} sampled weights "
          f"of {len(report['per_tensor'])} tensors (float64, central differences): {'ok' if ok else 'FAILED'} "
          f"(tolerance {a.tolerance:.0e})")
    return 0 if ok else 1


# ---- parser -------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="improvise", description="Learn the structure of music with recurrent networks "
                                                   "and improvise over it.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    blues = sub.add_parser("blues", help="the Eck & Schmidhuber 12-bar blues (seed 000)")
    bsub = blues.add_subparsers(dest="blues_command", required=True, parser_class=_Parser)

    p = bsub.add_parser("corpus", help="show the synthesized training corpus")
    p.add_argument("--print", action="store_true", help="print every chorus as a bar-by-bar grid")
    p.add_argument("--json", action="store_true", help="print the token ids as JSON instead")
    p.add_argument("--choruses", type=int_flag(1, MAX_CHORUSES), default=8, help=f"1-{MAX_CHORUSES}")
    p.add_argument("--seed", type=SEED, default=0)
    p.set_defaults(func=cmd_corpus)

    p = bsub.add_parser("train", help="train the chord/melody network and write a run folder")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--snapshot-every", type=int_flag(0, MAX_EPOCHS), default=10,
                   help="free-run a chorus every N epochs for the training GIF (0: off)")
    _add_training_flags(p)
    p.set_defaults(func=cmd_train)

    p = bsub.add_parser("generate", help="free-run a trained model; write tokens, MIDI and metrics")
    p.add_argument("run_dir", help="a run folder written by 'improvise blues train'")
    p.add_argument("--choruses", type=int_flag(1, MAX_CHORUSES), default=1, help=f"1-{MAX_CHORUSES}")
    p.add_argument("--out", default=None, help="folder to write (default: the run folder)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the draws")
    p.add_argument("--tempo", type=TEMPO, default=120.0, help="quarter notes a minute in the MIDI file (20-400)")
    _add_generation_flags(p)
    p.set_defaults(func=cmd_generate)

    p = bsub.add_parser("sweep", help="train and free-run one model per seed; write sweep.json")
    p.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,5")
    p.add_argument("--choruses", type=int_flag(1, MAX_CHORUSES), default=100, help=f"1-{MAX_CHORUSES}")
    p.add_argument("--out", default="runs/sweep")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--pitch-temperature", type=TEMPERATURE, default=0.85, help="0-100; 0 = argmax")
    p.add_argument("--feedback", choices=["belief", "sample"], default="belief")
    p.add_argument("--setup", choices=["blues", "eck2002"], default="blues",
                   help="blues: the headline model (default); eck2002: Eck & Schmidhuber 2002's network")
    p.add_argument("--experiment", type=int, choices=[1, 2], default=1,
                   help="with --setup eck2002: 1 = chords only, 2 = chords and melody")
    p.add_argument("--cell-output", choices=["identity", "tanh"], default="identity",
                   help="with --setup eck2002: the cell output h(s); identity is Gers et al. 2002's, tanh 1997's")
    p.add_argument("--state-clip", type=float_flag(0, 1e6), default=None,
                   help="with --setup eck2002: clamp cell states to +-this (0: off; default: the setup's)")
    _add_training_flags(p)
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("render", help="audio, score, plots, training GIF and report.html of a run folder")
    p.add_argument("run_dir", help="a run folder with tokens.json (after 'improvise blues generate')")
    p.add_argument("--synth", choices=["auto", "fluidsynth", "numpy"], default="auto",
                   help="auto: FluidSynth when it and a soundfont are found, else the numpy synthesizer")
    p.add_argument("--soundfont", default=None, help="a General MIDI .sf2 file (default: the usual folders)")
    p.add_argument("--swing", type=float_flag(0.5, 1, hi_open=True), default=0.5,
                   help="share of a beat for its first eighth, in [0.5, 1); 0.67 swings")
    p.add_argument("--tempo", type=TEMPO, default=120.0, help="quarter notes a minute (20-400)")
    p.add_argument("--max-choruses", type=int_flag(1, 1000), default=8,
                   help="choruses in the audio, score and piano roll (1-1000)")
    p.set_defaults(func=cmd_render)

    corpus = sub.add_parser("corpus", help="read real corpora into the package's data model")
    csub = corpus.add_subparsers(dest="corpus_command", required=True, parser_class=_Parser)
    p = csub.add_parser("wjd", help="the Weimar Jazz Database CSV export: solos with chords on a grid")
    p.add_argument("path", help="folder with wjd_notes.csv.gz and wjd_solos.csv")
    p.add_argument("--subset", choices=["all", "blues"], default="all")
    p.add_argument("--steps-per-beat", type=int_flag(1, MAX_STEPS_PER_BEAT), default=4,
                   help=f"grid, 1 to {MAX_STEPS_PER_BEAT}: 4 = sixteenths (default), 2 = eighths")
    p.add_argument("--to-c", action="store_true", help="transpose every solo so its key's tonic is C")
    p.add_argument("--show", type=int_flag(0, 100_000), default=5, help="list the first N solos (0 to 100000)")
    p.set_defaults(func=cmd_corpus_wjd)

    from improvise.cli_kern import add_kern_parser

    add_kern_parser(sub, _Parser)

    lead = sub.add_parser("leadsheet", help="read lead sheets: text, MusicXML, Impro-Visor, iReal Pro, the "
                          "jazz-standards JSON, WJD changes")
    lsub = lead.add_subparsers(dest="leadsheet_command", required=True, parser_class=_Parser)
    p = lsub.add_parser("show", help="print a tune's played form bar by bar")
    p.add_argument("source", help="a lead sheet file (text, MusicXML/.mxl, Impro-Visor .ls, iReal Pro link or "
                   "HTML playlist), an irealb:// link, wjd:MELID (with --wjd), or a title in --standards")
    p.add_argument("--standards", default=None, help="JazzStandards.json to look titles up in")
    p.add_argument("--wjd", default=None, help="the WJD folder, for wjd:MELID (the changes under that solo)")
    p.add_argument("--key", default=None, help="transpose to this key (e.g. Eb)")
    p.add_argument("--json", action="store_true", help="print JSON instead")
    p.set_defaults(func=cmd_leadsheet_show)
    p = lsub.add_parser("check", help="count the chord tokens of a standards file that parse")
    p.add_argument("standards", help="JazzStandards.json")
    p.set_defaults(func=cmd_leadsheet_check)

    from improvise.cli_jam import add_jam_parser

    add_jam_parser(sub, _Parser)
    from improvise.cli_zoo import add_zoo_parsers

    add_zoo_parsers(sub, _Parser)
    from improvise.cli_solo import add_solo_parser

    add_solo_parser(sub, _Parser)
    from improvise.cli_bench import add_bench_parser

    add_bench_parser(sub, _Parser)

    p = sub.add_parser("gradcheck", help="check the numpy reference's hand-written BPTT by central differences")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--per-tensor", type=int_flag(1, 1000), default=12,
                   help="weights sampled from every parameter tensor (1-1000)")
    p.add_argument("--steps", type=int_flag(2, 1000), default=12, help="sequence length of the check (2-1000)")
    p.add_argument("--chord-hidden", type=int_flag(1, 256), default=4,
                   help="chord-layer units (1-256; 32: the headline model)")
    p.add_argument("--melody-hidden", type=int_flag(1, 256), default=5,
                   help="melody-layer units (1-256; 24: the headline model)")
    p.add_argument("--eps", type=float_flag(0, 1, lo_open=True, hi_open=True), default=1e-4,
                   help="half-width of the central difference, in (0, 1)")
    p.add_argument("--tolerance", type=float_flag(0, 1e6), default=1e-6, help="largest relative error that passes")
    p.set_defaults(func=cmd_gradcheck)
    return parser


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


def dispatch(argv: list[str] | None = None) -> int:
    """Run the CLI on `argv`; returns the exit status.

    A user error (bad flag, impossible value, missing or malformed file, a disk that is full or
    not writable, a size that does not fit in memory) prints one line to stderr and returns 2.
    Anything else is a bug: one line saying so, status 70, and the traceback with IMPROVISE_DEBUG=1.
    """
    previous = _on_sigterm()
    try:
        with warnings.catch_warnings():
            if not os.environ.get("IMPROVISE_DEBUG"):  # libraries' warnings are not the user's business
                warnings.simplefilter("ignore")
            args = build_parser().parse_args(argv)
            return args.func(args)
    except UserError as e:
        print(f"improvise: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("improvise: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("improvise: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except MemoryError:
        print("improvise: error: out of memory: ask for smaller sizes or fewer steps", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # the machine said no: full disk, no permission, a path that is not a folder
        where = f"{e.filename}: " if e.filename else ""
        print(f"improvise: error: {where}{e.strerror or _one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # noqa: BLE001 - the last line of defence: a bug, reported in one line
        if os.environ.get("IMPROVISE_DEBUG"):
            raise
        print(f"improvise: internal error: {type(e).__name__}: {_one_line(e)[:300]} "
              "(a bug; rerun with IMPROVISE_DEBUG=1 for the traceback and please report it)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM, raised where the command is so that temporary files and folders are removed."""


def _on_sigterm():
    """Turn SIGTERM into `Terminated` while a command runs; returns the handler it replaced
    (None off the main thread, where handlers cannot be set)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise Terminated()

    return signal.signal(signal.SIGTERM, handler)


def main() -> None:
    sys.exit(dispatch())
