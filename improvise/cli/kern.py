"""`improvise kern ...`: prepare **kern corpora, train the character LSTM, sample valid scores,
validate files. Each subcommand is a thin wrapper over a package function."""

from __future__ import annotations

import sys
from pathlib import Path

from improvise.core.checks import (
    MAX_EPOCHS,
    MAX_HIDDEN,
    check_in_dir,
    check_out_dir,
    check_out_file,
    float_flag,
    int_flag,
)

MAX_SEED = 2**32 - 1  # numpy's generators take seeds in [0, 2**32)


def add_kern_parser(sub, parser_class) -> None:
    """The `kern` subcommands: prepare, train, sample, validate."""
    kern = sub.add_parser(
        "kern", help="Humdrum **kern corpora: prepare, train a character LSTM, sample, validate"
    )
    ksub = kern.add_subparsers(dest="kern_command", required=True, parser_class=parser_class)
    p = ksub.add_parser("prepare", help="**kern files to one training text and its statistics")
    p.add_argument("dirs", nargs="+", help="folders (searched for *.krn) or files")
    p.add_argument("--out", required=True, help="the corpus text to write (statistics go to OUT.json)")
    p.set_defaults(func=cmd_kern_prepare)
    _add_train(ksub)
    _add_sample(ksub)
    p = ksub.add_parser(
        "validate",
        help="check **kern files: grammar, verovio (subprocess), music21 note count; "
        "exit 0 all valid, 1 some invalid, 2 a file that is not text",
    )
    p.add_argument("files", nargs="+")
    p.add_argument("--json", default=None, help="also write the full findings to this JSON file")
    p.set_defaults(func=cmd_kern_validate)


def _add_train(ksub) -> None:
    """`kern train` and its flags, each with its range and default in the help."""
    from improvise.kern.config import KernTrainConfig

    t = KernTrainConfig()
    p = ksub.add_parser(
        "train", help="the character LSTM (char-rnn 3 x 128) on **kern files, split 90/10 by file"
    )
    p.add_argument("dirs", nargs="+", help="folders (searched for *.krn) or files")
    p.add_argument("--out", required=True, help="run folder to write")
    _add_budget_flags(p, t)
    _add_network_flags(p, t)
    _add_optimizer_flags(p, t)
    p.add_argument("--resume", action="store_true", help="go on from OUT/resume.pt")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_kern_train)


def _add_budget_flags(p, t) -> None:
    """--minutes and --epochs, defaults from KernTrainConfig `t`."""
    from improvise.kern.config import MAX_MINUTES

    p.add_argument(
        "--minutes",
        type=float_flag(0, MAX_MINUTES),
        default=t.max_seconds / 60,
        help=f"training time budget, 0-{MAX_MINUTES:g} (0: none; default {t.max_seconds / 60:g})",
    )
    p.add_argument(
        "--epochs",
        type=int_flag(1, MAX_EPOCHS),
        default=t.epochs,
        help=f"at most, 1-{MAX_EPOCHS} (default {t.epochs})",
    )


def _add_network_flags(p, t) -> None:
    """--hidden, --layers, --dropout: the LSTM's shape."""
    from improvise.kern.config import MAX_LAYERS

    p.add_argument(
        "--hidden",
        type=int_flag(1, MAX_HIDDEN),
        default=t.hidden,
        help=f"LSTM units a layer, 1-{MAX_HIDDEN} (default {t.hidden})",
    )
    p.add_argument(
        "--layers",
        type=int_flag(1, MAX_LAYERS),
        default=t.layers,
        help=f"LSTM layers, 1-{MAX_LAYERS} (default {t.layers})",
    )
    p.add_argument(
        "--dropout",
        type=float_flag(0, 1, hi_open=True),
        default=t.dropout,
        help=f"in [0, 1) (default {t.dropout:g})",
    )


def _add_optimizer_flags(p, t) -> None:
    """--seq, --batch, --lr, --seed, --threads."""
    from improvise.kern.config import MAX_BATCH, MAX_SEQ, MAX_THREADS

    p.add_argument(
        "--seq",
        type=int_flag(1, MAX_SEQ),
        default=t.seq,
        help=f"characters of truncated BPTT, 1-{MAX_SEQ} (default {t.seq})",
    )
    p.add_argument(
        "--batch",
        type=int_flag(1, MAX_BATCH),
        default=t.batch,
        help=f"parallel rows of the stream, 1-{MAX_BATCH} (default {t.batch})",
    )
    p.add_argument(
        "--lr",
        type=float_flag(0, 10, lo_open=True),
        default=t.lr,
        help=f"Adam learning rate, 0 < lr <= 10 (default {t.lr:g})",
    )
    p.add_argument(
        "--seed", type=int_flag(0, MAX_SEED), default=t.seed, help=f"0-{MAX_SEED} (default {t.seed})"
    )
    p.add_argument(
        "--threads",
        type=int_flag(1, MAX_THREADS),
        default=t.threads,
        help=f"torch threads, 1-{MAX_THREADS} (default {t.threads})",
    )


def _add_sample(ksub) -> None:
    from improvise.kern.sample import (
        MAX_LENGTH,
        MAX_N,
        MAX_TEMPERATURE,
        MAX_TEMPO,
        MIN_TEMPO,
        SYNTHS,
        SampleConfig,
    )

    c = SampleConfig()
    p = ksub.add_parser(
        "sample", help="sample **kern from a run: .krn, MusicXML, MIDI, SVG, WAV, validity.json"
    )
    p.add_argument("run", help="a run folder from 'improvise kern train'")
    p.add_argument("--n", type=int_flag(1, MAX_N), default=c.n, help=f"samples, 1-{MAX_N} (default {c.n})")
    p.add_argument(
        "--temperature",
        type=float_flag(0, MAX_TEMPERATURE),
        default=c.temperature,
        help=f"0-{MAX_TEMPERATURE:g}: logits divided by it; 0 always takes the likeliest character, "
        f"tiny values tend to that (default {c.temperature:g})",
    )
    p.add_argument(
        "--seed", type=int_flag(0, MAX_SEED), default=c.seed, help=f"0-{MAX_SEED} (default {c.seed})"
    )
    p.add_argument("--primer", default=c.primer, help="text the model reads first (\\n and \\t understood)")
    p.add_argument(
        "--length",
        type=int_flag(1, MAX_LENGTH),
        default=c.length,
        help=f"characters to draw, 1-{MAX_LENGTH} (default {c.length})",
    )
    p.add_argument("--no-grammar", action="store_true", help="sample without the **kern grammar mask")
    p.add_argument(
        "--tempo",
        type=int_flag(MIN_TEMPO, MAX_TEMPO),
        default=c.tempo,
        help=f"quarter notes a minute, {MIN_TEMPO}-{MAX_TEMPO} (default {c.tempo})",
    )
    p.add_argument(
        "--synth",
        choices=SYNTHS,
        default=c.synth,
        help="the WAV's synthesizer: auto (FluidSynth with a soundfont where installed, else numpy), "
        "fluidsynth, numpy, or none (no WAV)",
    )
    p.add_argument("--out", required=True, help="folder to write")
    p.set_defaults(func=cmd_kern_sample)


def cmd_kern_prepare(a) -> int:
    """`kern prepare`: the corpus text and its statistics."""
    from improvise.kern.prepare import prepare_corpus

    out = check_out_file(a.out)
    check_out_file(Path(str(out) + ".json"))
    stats = prepare_corpus([Path(d) for d in a.dirs], out)
    for s in stats["skipped"]:
        print(f"warning: {s['path']}:{s['line']}: {s['reason']} (skipped)", file=sys.stderr)
    print(
        f"{stats['kept']} of {stats['files']} files, {stats['characters']} characters, vocabulary "
        f"{stats['vocabulary_size']}, {stats['grace_Q_to_q']} grace notes Q -> q -> {a.out} (+ {a.out}.json)"
    )
    return 0


def cmd_kern_train(a) -> int:
    """`kern train`: a run folder."""
    from improvise.kern.config import KernTrainConfig
    from improvise.kern.train import train_kern

    out = check_in_dir(a.out, "run folder") if a.resume else check_out_dir(a.out)
    cfg = KernTrainConfig(
        hidden=a.hidden,
        layers=a.layers,
        dropout=a.dropout,
        seq=a.seq,
        batch=a.batch,
        lr=a.lr,
        epochs=a.epochs,
        max_seconds=60.0 * a.minutes,
        seed=a.seed,
        threads=a.threads,
    )
    m = train_kern([Path(d) for d in a.dirs], out, cfg, resume=a.resume, progress=not a.quiet)
    for s in m["skipped"]:
        print(f"warning: {s['path']}:{s['line']}: {s['reason']} (skipped)", file=sys.stderr)
    print(
        f"{m['epochs_run']} epochs in {m['seconds'] / 60:.1f} min: best validation cross-entropy "
        f"{m['best_valid_nll']:.4f} nats/char "
        f"({m['train_files']} training, {m['valid_files']} validation files) -> {a.out}"
    )
    return 0


def cmd_kern_sample(a) -> int:
    """`kern sample`: samples and their files in a folder."""
    from improvise.kern.outputs import sample_run
    from improvise.kern.sample import SampleConfig

    run, out = check_in_dir(a.run, "run folder"), check_out_dir(a.out)
    primer = a.primer.replace("\\n", "\n").replace("\\t", "\t")
    cfg = SampleConfig(
        n=a.n,
        temperature=a.temperature,
        seed=a.seed,
        primer=primer,
        length=a.length,
        grammar=not a.no_grammar,
        tempo=a.tempo,
        synth=a.synth,
    )
    doc = sample_run(run, out, cfg)
    for e in doc["samples"]:
        f = e["finished"]
        status = "valid" if f["ok"] else "INVALID"
        extra = "" if e["repairs"][3:] == [] else "; " + "; ".join(e["repairs"][3:])
        print(
            f"sample_{e['index']:03d}: {e['characters']} characters in {e['sample_seconds']:.2f} s, "
            f"{f['grammar_notes']} notes, {status}{extra}"
        )
    print(
        f"{doc['finished_ok']} of {len(doc['samples'])} finished files pass the validator; "
        f"{doc['raw_ok_with_basics']} raw samples needed only the preamble, barline numbers and *- -> {a.out}"
    )
    return 0


def cmd_kern_validate(a) -> int:
    """`kern validate`: 0 when every file is valid, 1 when one is not."""
    from improvise.core.runs import write_json
    from improvise.kern.validate import validate_files

    if a.json:
        check_out_file(a.json, "--json")
    results = validate_files([Path(f) for f in a.files])
    for r in results:
        if r["ok"]:
            print(f"{r['path']}: valid ({r['grammar_notes']} notes)")
            continue
        for e in r["grammar"]["errors"][:5]:
            print(f"warning: {r['path']}:{e['line']}: {e['reason']}", file=sys.stderr)
        for line in r.get("verovio", {}).get("errors", [])[:3]:
            print(f"warning: {r['path']}: verovio: {line}", file=sys.stderr)
        m = r.get("music21", {})
        if m.get("error"):
            print(f"warning: {r['path']}: music21: {m['error']}", file=sys.stderr)
        elif r.get("music21_dropped_notes"):
            print(
                f"warning: {r['path']}: music21 read {m['notes']} notes "
                f"of the grammar's {r['grammar_notes']}",
                file=sys.stderr,
            )
        print(f"{r['path']}: INVALID")
    if a.json:
        write_json(Path(a.json), {"files": results})
    return 0 if all(r["ok"] for r in results) else 1
