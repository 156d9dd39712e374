"""`improvise leadsheet show|check` and `improvise corpus wjd`: reading lead sheets and real corpora
(thin wrappers over improvise.leadsheet and improvise.data.wjd)."""

from __future__ import annotations

import json
from pathlib import Path

from improvise.core.checks import MAX_STEPS_PER_BEAT, int_flag


def add_leadsheet_parser(sub, parser_class) -> None:
    """`improvise leadsheet show|check`."""
    lead = sub.add_parser(
        "leadsheet",
        help="read lead sheets: text, MusicXML, Impro-Visor, iReal Pro, the jazz-standards JSON, WJD changes",
    )
    lsub = lead.add_subparsers(dest="leadsheet_command", required=True, parser_class=parser_class)
    p = lsub.add_parser("show", help="print a tune's played form bar by bar")
    p.add_argument(
        "source",
        help="a lead sheet file (text, MusicXML/.mxl, Impro-Visor .ls, iReal Pro link or "
        "HTML playlist), an irealb:// link, wjd:MELID (with --wjd), or a title in --standards",
    )
    p.add_argument("--standards", default=None, help="JazzStandards.json to look titles up in")
    p.add_argument("--wjd", default=None, help="the WJD folder, for wjd:MELID (the changes under that solo)")
    p.add_argument("--key", default=None, help="transpose to this key (e.g. Eb)")
    p.add_argument("--json", action="store_true", help="print JSON instead")
    p.set_defaults(func=cmd_leadsheet_show)
    p = lsub.add_parser("check", help="count the chord tokens of a standards file that parse")
    p.add_argument("standards", help="JazzStandards.json")
    p.set_defaults(func=cmd_leadsheet_check)


def cmd_leadsheet_show(a) -> int:
    from improvise.leadsheet.load import load_leadsheet
    from improvise.leadsheet.model import format_bars

    sheet = load_leadsheet(
        a.source, Path(a.standards) if a.standards else None, Path(a.wjd) if a.wjd else None
    )
    if a.key:
        sheet = sheet.to_key(a.key)
    if a.json:
        print(
            json.dumps(
                {
                    "title": sheet.title,
                    "key": sheet.key,
                    "beats_per_bar": sheet.beats_per_bar,
                    "bars": [[c.symbol for c in bar] for bar in sheet.bars],
                    "unparsed": sheet.unparsed,
                    "sections": [[k + 1, label] for k, label in sheet.sections],
                    "warnings": sheet.warnings,
                    "melody": [[n.pitch, str(n.start), str(n.length)] for n in sheet.melody],
                }
            )
        )
        return 0
    print(
        f"{sheet.title}  (key {sheet.key or '?'}, {sheet.beats_per_bar} beats a bar, {len(sheet.bars)} bars)"
    )
    print(format_bars(sheet))
    if sheet.melody:
        end = float(max(n.start + n.length for n in sheet.melody))
        print(f"melody: {len(sheet.melody)} notes over {end:g} beats")
    for text in sheet.warnings:
        print(f"note: {text}")
    if sheet.unparsed:
        print(f"could not read {len(sheet.unparsed)} chord(s): {', '.join(sheet.unparsed)}")
    return 0


def cmd_leadsheet_check(a) -> int:
    from improvise.leadsheet.sources import load_standards, parse_rate

    r = parse_rate(load_standards(Path(a.standards)))
    print(
        f"{r['tunes']} tunes, {r['tokens']} chord tokens in the played forms, {r['unparsed']} unparsed "
        f"({100 * r['parsed_rate']:.2f}% parsed)"
    )
    for title, tok in r["examples"]:
        print(f"  {title}: {tok!r}")
    return 0 if r["unparsed"] == 0 else 1


def add_corpus_parser(sub, parser_class) -> None:
    """`improvise corpus wjd`."""
    corpus = sub.add_parser("corpus", help="read real corpora into the package's data model")
    csub = corpus.add_subparsers(dest="corpus_command", required=True, parser_class=parser_class)
    p = csub.add_parser("wjd", help="the Weimar Jazz Database CSV export: solos with chords on a grid")
    p.add_argument("path", help="folder with wjd_notes.csv.gz and wjd_solos.csv")
    p.add_argument("--subset", choices=["all", "blues"], default="all")
    p.add_argument(
        "--steps-per-beat",
        type=int_flag(1, MAX_STEPS_PER_BEAT),
        default=4,
        help=f"grid, 1 to {MAX_STEPS_PER_BEAT}: 4 = sixteenths (default), 2 = eighths",
    )
    p.add_argument("--to-c", action="store_true", help="transpose every solo so its key's tonic is C")
    p.add_argument(
        "--show", type=int_flag(0, 100_000), default=5, help="list the first N solos (0 to 100000)"
    )
    p.set_defaults(func=cmd_corpus_wjd)


def cmd_corpus_wjd(a) -> int:
    from improvise.data.wjd import chord_tone_rate, read_wjd, split_by_piece

    solos = read_wjd(Path(a.path), a.subset, a.steps_per_beat, a.to_c)
    notes = sum(s.notes_read for s in solos)
    dropped = sum(s.notes_dropped for s in solos)
    split = split_by_piece([s.melid for s in solos])
    print(
        f"{len(solos)} solos ({a.subset}), {notes} notes, "
        f"{dropped} ({100 * dropped / max(notes, 1):.1f}%) dropped "
        f"by a {a.steps_per_beat}-steps-a-beat grid; chord-tone rate {chord_tone_rate(solos):.3f}; "
        f"split by solo: {len(split['train'])} train, {len(split['valid'])} valid, {len(split['test'])} test"
    )
    for s in solos[: a.show]:
        bars = s.tune.steps // s.tune.steps_per_bar
        print(f"  {s.melid:4d}  {s.performer} - {s.title} ({s.key}, {bars} bars)")
    return 0
