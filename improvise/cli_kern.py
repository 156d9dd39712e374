"""`improvise kern ...`: prepare **kern corpora, train the character LSTM, sample valid scores,
validate files. Each subcommand is a thin wrapper over a package function."""
from __future__ import annotations

import sys
from pathlib import Path


def add_kern_parser(sub, parser_class) -> None:
    from improvise.kern.sample import SampleConfig
    from improvise.kern.train import KernTrainConfig

    kern = sub.add_parser("kern", help="Humdrum **kern corpora: prepare, train a character LSTM, sample, validate")
    ksub = kern.add_subparsers(dest="kern_command", required=True, parser_class=parser_class)
    p = ksub.add_parser("prepare", help="**kern files to one training text and its statistics")
    p.add_argument("dirs", nargs="+", help="folders (searched for *.krn) or files")
    p.add_argument("--out", required=True, help="the corpus text to write (statistics go to OUT.json)")
    p.set_defaults(func=cmd_kern_prepare)

    t = KernTrainConfig()
    p = ksub.add_parser("train", help="the character LSTM (char-rnn 3 x 128) on **kern files, split 90/10 by file")
    p.add_argument("dirs", nargs="+", help="folders (searched for *.krn) or files")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--minutes", type=float, default=t.minutes, help=f"training time budget (default {t.minutes:g})")
    p.add_argument("--epochs", type=int, default=t.epochs, help="at most")
    p.add_argument("--hidden", type=int, default=t.hidden)
    p.add_argument("--layers", type=int, default=t.layers)
    p.add_argument("--dropout", type=float, default=t.dropout)
    p.add_argument("--seq", type=int, default=t.seq, help="characters of truncated BPTT")
    p.add_argument("--batch", type=int, default=t.batch, help="parallel rows of the stream")
    p.add_argument("--lr", type=float, default=t.lr)
    p.add_argument("--seed", type=int, default=t.seed)
    p.add_argument("--threads", type=int, default=t.threads)
    p.add_argument("--resume", action="store_true", help="go on from OUT/resume.pt")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_kern_train)

    c = SampleConfig()
    p = ksub.add_parser("sample", help="sample **kern from a run: .krn, MusicXML, MIDI, SVG, WAV, validity.json")
    p.add_argument("run", help="a run folder from 'improvise kern train'")
    p.add_argument("--n", type=int, default=c.n, help="samples")
    p.add_argument("--temperature", type=float, default=c.temperature)
    p.add_argument("--seed", type=int, default=c.seed)
    p.add_argument("--primer", default=c.primer, help="text the model reads first (\\n and \\t understood)")
    p.add_argument("--length", type=int, default=c.length, help="characters to draw")
    p.add_argument("--no-grammar", action="store_true", help="sample without the **kern grammar mask")
    p.add_argument("--tempo", type=int, default=c.tempo, help="quarter notes a minute")
    p.add_argument("--synth", choices=["auto", "fluidsynth", "numpy", "none"], default=c.synth)
    p.add_argument("--out", required=True, help="folder to write")
    p.set_defaults(func=cmd_kern_sample)

    p = ksub.add_parser("validate", help="check **kern files: grammar, verovio (subprocess), music21 note count")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", default=None, help="also write the full findings to this JSON file")
    p.set_defaults(func=cmd_kern_validate)


def cmd_kern_prepare(a) -> int:
    from improvise.kern.prepare import prepare_corpus

    stats = prepare_corpus([Path(d) for d in a.dirs], Path(a.out))
    for s in stats["skipped"]:
        print(f"warning: {s['path']}:{s['line']}: {s['reason']} (skipped)", file=sys.stderr)
    print(f"{stats['kept']} of {stats['files']} files, {stats['characters']} characters, vocabulary "
          f"{stats['vocabulary_size']}, {stats['grace_Q_to_q']} grace notes Q -> q -> {a.out} (+ {a.out}.json)")
    return 0


def cmd_kern_train(a) -> int:
    from improvise.kern.train import KernTrainConfig, train_kern

    cfg = KernTrainConfig(hidden=a.hidden, layers=a.layers, dropout=a.dropout, seq=a.seq, batch=a.batch, lr=a.lr,
                          epochs=a.epochs, minutes=a.minutes, seed=a.seed, threads=a.threads)
    m = train_kern([Path(d) for d in a.dirs], Path(a.out), cfg, resume=a.resume, progress=not a.quiet)
    for s in m["skipped"]:
        print(f"warning: {s['path']}:{s['line']}: {s['reason']} (skipped)", file=sys.stderr)
    print(f"{m['epochs_run']} epochs in {m['seconds'] / 60:.1f} min: best validation cross-entropy "
          f"{m['best_valid_nll']:.4f} nats/char ({m['train_files']} training, {m['valid_files']} validation files) "
          f"-> {a.out}")
    return 0


def cmd_kern_sample(a) -> int:
    from improvise.kern.outputs import sample_run
    from improvise.kern.sample import SampleConfig

    primer = a.primer.replace("\\n", "\n").replace("\\t", "\t")
    cfg = SampleConfig(n=a.n, temperature=a.temperature, seed=a.seed, primer=primer, length=a.length,
                       grammar=not a.no_grammar, tempo=a.tempo, synth=a.synth)
    doc = sample_run(Path(a.run), Path(a.out), cfg)
    for e in doc["samples"]:
        f = e["finished"]
        status = "valid" if f["ok"] else "INVALID"
        extra = "" if e["repairs"][3:] == [] else "; " + "; ".join(e["repairs"][3:])
        print(f"sample_{e['index']:03d}: {e['characters']} characters in {e['sample_seconds']:.2f} s, "
              f"{f['grammar_notes']} notes, {status}{extra}")
    print(f"{doc['finished_ok']} of {len(doc['samples'])} finished files pass the validator; "
          f"{doc['raw_ok_with_basics']} raw samples needed only the preamble, barline numbers and *- -> {a.out}")
    return 0


def cmd_kern_validate(a) -> int:
    from improvise.kern.validate import validate_files
    from improvise.runs import write_json

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
            print(f"warning: {r['path']}: music21 read {m['notes']} notes of the grammar's {r['grammar_notes']}",
                  file=sys.stderr)
        print(f"{r['path']}: INVALID")
    if a.json:
        write_json(Path(a.json), {"files": results})
    return 0 if all(r["ok"] for r in results) else 1
