from pathlib import Path

import pytest

from improvise.cli.main import dispatch
from improvise.core.chords import ChordParseError, parse_chord
from improvise.leadsheet.load import load_leadsheet
from improvise.leadsheet.sources import expand_standard
from improvise.leadsheet.text import parse_text

STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "leadsheets" / "JazzStandards.json"


@pytest.mark.parametrize(
    "text,root,quality,pcs",
    [
        ("C7", 0, "7", {0, 4, 7, 10}),
        ("Bb-7", 10, "m7", {10, 1, 5, 8}),
        ("F#m7b5", 6, "m7b5", {6, 9, 0, 4}),
        ("Ebmaj7", 3, "maj7", {3, 7, 10, 2}),
        ("Ebj7", 3, "maj7", {3, 7, 10, 2}),
        ("C-6", 0, "m6", {0, 3, 7, 9}),
        ("Bbo7", 10, "dim7", {10, 1, 4, 7}),
        ("Gb07", 6, "dim7", {6, 9, 0, 3}),
        ("A7sus4", 9, "7sus4", {9, 2, 4, 7}),
        ("E7sus", 4, "7sus4", {4, 9, 11, 2}),
        ("Cø7", 0, "m7b5", {0, 3, 6, 10}),
        ("F^7", 5, "maj7", {5, 9, 0, 4}),
        ("Fm/maj7", 5, "mmaj7", {5, 8, 0, 4}),
        ("C69", 0, "6", {0, 4, 7, 9, 2}),
        ("C+", 0, "aug", {0, 4, 8}),
    ],
)
def test_chord_spellings(text, root, quality, pcs):
    c = parse_chord(text)
    assert (c.root, c.quality, set(c.pitch_classes)) == (root, quality, pcs)


def test_extensions_alterations_and_bass():
    alt = parse_chord("G7alt")
    assert alt.quality == "7" and {"b9", "#9", "#11", "b13"} <= set(alt.extensions)
    assert parse_chord("C7#9").pitch_classes == {0, 4, 7, 10, 3}
    assert parse_chord("C13").pitch_classes == {0, 4, 7, 10, 2, 9}  # jazz 13: no 11th
    slash = parse_chord("D/F#")
    assert slash.bass == 6 and slash.pitch_classes == {2, 6, 9}
    assert parse_chord("N.C.").is_no_chord and parse_chord("N.C.").pitch_classes == frozenset()
    assert parse_chord("Bb7").transpose(2).symbol == "C7"


@pytest.mark.parametrize("bad", ["H7", "C7xyz", "Cm7/Q", "", "7"])
def test_unknown_spellings_are_errors(bad):
    with pytest.raises(ChordParseError):
        parse_chord(bad)


def test_text_format_repeats_and_split_bars():
    sheet = parse_text("title: Test\ntime: 3/4\nkey: F\n|: F7 | Bb7 :| C7 F7 | % |")
    assert sheet.title == "Test" and sheet.beats_per_bar == 3 and sheet.key == "F"
    assert [[c.symbol for c in bar] for bar in sheet.bars] == [
        ["F7"],
        ["Bb7"],
        ["F7"],
        ["Bb7"],
        ["C7", "F7"],
        ["F7"],
    ]
    steps = sheet.chord_per_step(2)  # 6 steps a bar; two slots share a bar evenly
    assert len(steps) == 36 and [c.symbol for c in steps[24:30]] == ["C7"] * 3 + ["F7"] * 3
    eb = sheet.to_key("Eb")
    assert eb.key == "Eb" and eb.bars[0][0].symbol == "Eb7"


def test_text_format_records_a_chord_it_cannot_read(tmp_path, capsys):
    sheet = parse_text("| C7 | Qm7 |", "tune.txt")
    assert sheet.unparsed == ["Qm7 (bar 2)"]  # kept, with its bar, never dropped silently
    f = tmp_path / "tune.txt"
    f.write_text("| C7 | Qm7 |\n")
    assert dispatch(["leadsheet", "show", str(f)]) == 0
    assert "could not read 1 chord(s): Qm7 (bar 2)" in capsys.readouterr().out


def test_standard_sections_endings_and_alternates():
    tune = {
        "Title": "T",
        "TimeSignature": "4/4",
        "Key": "C",
        "Sections": [
            {
                "Label": "A",
                "MainSegment": {"Chords": "C7|F7"},
                "Endings": [{"Chords": "G7"}, {"Chords": "C7,(A7)"}],
            },
            {"Label": "B", "MainSegment": {"Chords": "Dm7,,G7,|"}},
        ],
    }
    sheet = expand_standard(tune)
    assert [[c.symbol for c in b] for b in sheet.bars] == [
        ["C7"],
        ["F7"],
        ["G7"],
        ["C7"],
        ["F7"],
        ["C7", "C7"],
        ["Dm7", "Dm7", "G7", "G7"],
        ["G7"],
    ]  # empty slot = chord goes on
    assert sheet.unparsed == []


@pytest.mark.skipif(not STANDARDS.is_file(), reason="shared/data is not beside the checkout")
def test_every_jazz_standard_parses(capsys):
    assert dispatch(["leadsheet", "check", str(STANDARDS)]) == 0
    assert "(100.00% parsed)" in capsys.readouterr().out
    sheet = load_leadsheet("Autumn Leaves", STANDARDS)
    assert sheet.key == "Gmin" and [c.symbol for c in sheet.bars[0]] == ["Cm7"]


def test_leadsheet_cli(tmp_path, capsys):
    f = tmp_path / "blues.txt"
    f.write_text("title: F blues\nkey: F\n| F7 | Bb7 | F7 | F7 |\n")
    assert dispatch(["leadsheet", "show", str(f), "--key", "Bb"]) == 0
    out = capsys.readouterr().out
    assert "F blues" in out and "| Bb7" in out and "Eb7" in out
    assert dispatch(["leadsheet", "show", "No Such Tune"]) == 2
    assert "--standards" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text,symbol,pcs",
    [
        ("CM69", "C6(9)", {0, 2, 4, 7, 9}),
        ("FM6", "F6", {5, 9, 0, 2}),
        ("C6/9", "C6(9)", {0, 2, 4, 7, 9}),
        ("CM", "C", {0, 4, 7}),
        ("A7b6/E", "A7(b13)/E", {9, 1, 4, 7, 5}),
        ("D13b9", "D7(13,b9)", {2, 6, 9, 0, 11, 3}),  # the b9 replaces the 13's natural 9 (E)
        ("Bb13b9/Eb", "Bb7(13,b9)/Eb", {10, 2, 5, 8, 7, 11, 3}),
        ("C7-9", "C7(b9)", {0, 4, 7, 10, 1}),
        ("Bbm+", "Bbm(#5)", {10, 1, 6}),
        ("CmM7", "Cmmaj7", {0, 3, 7, 11}),
        ("C-^7", "Cmmaj7", {0, 3, 7, 11}),
        ("Eb7/B6", "Eb7\\B6", {3, 7, 10, 1, 11, 6, 8}),  # a polychord: Eb7 over B6 (bass B)
        ("Eb7\\B6", "Eb7\\B6", {3, 7, 10, 1, 11, 6, 8}),
    ],
)
def test_more_spellings(text, symbol, pcs):
    c = parse_chord(text)
    assert c.symbol == symbol and set(c.pitch_classes) == pcs
    assert parse_chord(c.symbol).pitch_classes == c.pitch_classes  # the canonical spelling reads back


def test_polychord_bass_and_transposition():
    c = parse_chord("Eb7/B6")
    assert c.bass == 11 and c.lower.symbol == "B6"
    up = c.transpose(2)
    assert up.symbol == "F7\\Db6" and up.bass == 1
    with pytest.raises(ChordParseError):
        parse_chord("C7/Q9")


# ---- every format: sharps, flats, slash chords, N.C., repeats and endings ------------------
PLAYED = [["Gbm7"], ["Bb7/D"], ["N.C."], ["Gbm7"], ["Bb7/D"], ["Ebmaj7", "C7(#9)"]]


def _bars(sheet):
    return [[c.symbol for c in bar] for bar in sheet.bars]


def test_format_text(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("title: T\n# a comment line\nsection: A\n|: F#m7 | Bb7/D |1 N.C. :|2 Ebmaj7 C7#9 | ; end\n")
    sheet = load_leadsheet(str(f))
    assert _bars(sheet) == PLAYED and sheet.unparsed == [] and sheet.sections == [(0, "A")]


def test_text_comments_and_sharps():
    sheet = parse_text("| C7#9 | F#m7 B7 | E |\n  # only this line is a comment | G7 |\n")
    assert _bars(sheet) == [["C7(#9)"], ["Gbm7", "B7"], ["E"]]


def test_text_repeats_are_bounded():
    from improvise.core.errors import UserError

    sheet = parse_text("|: C7 | F7 |\n")  # a repeat never closed: played once, and said so
    assert len(sheet.bars) == 2 and "never closed" in sheet.warnings[0]
    assert len(parse_text("| C :| " * 40).bars) == 80  # each end repeats its own bar, no doubling
    with pytest.raises(UserError, match="longer than 10000 bars"):
        parse_text("|: " + "C | " * 6000 + ":|", "big.txt")
    with pytest.raises(UserError, match="time signature 99999999/4"):
        parse_text("time: 99999999/4\n| C |", "t.txt")


def test_format_musicxml(tmp_path):
    from tests.fuzz.cases_leadsheet import mxl

    def h(step, kind, alter="", bass=""):
        alt = f"<root-alter>{alter}</root-alter>" if alter else ""
        b = f"<bass><bass-step>{bass}</bass-step></bass>" if bass else ""
        return f"<harmony><root><root-step>{step}</root-step>{alt}</root><kind>{kind}</kind>{b}</harmony>"

    def m(n, body, dur="4", left="", right=""):
        return (
            f'<measure number="{n}">{left}{body}'
            f"<note><rest/><duration>{dur}</duration></note>{right}</measure>"
        )

    rest2 = "<note><rest/><duration>2</duration></note>"
    body = (
        m(
            1,
            "<attributes><divisions>1</divisions><key><fifths>-1</fifths></key><time><beats>4</beats>"
            "<beat-type>4</beat-type></time></attributes>" + h("F", "minor-seventh", "1"),
            left='<barline location="left"><repeat direction="forward"/></barline>',
        )
        + m(2, h("B", "dominant", "-1", "D"))
        + m(
            3,
            "<harmony><kind>none</kind></harmony>",
            left='<barline location="left"><ending number="1" type="start"/></barline>',
            right='<barline location="right"><ending number="1" type="stop"/>'
            '<repeat direction="backward"/></barline>',
        )
        + m(
            4,
            h("E", "major-seventh", "-1")
            + rest2
            + h("C", "dominant").replace(
                "</harmony>",
                "<degree><degree-value>9</degree-value><degree-alter>1</degree-alter>"
                "<degree-type>add</degree-type></degree></harmony>",
            ),
            dur="2",
            left='<barline location="left"><ending number="2" type="start"/></barline>',
        )
    )
    text = (
        '<?xml version="1.0"?><score-partwise version="3.1"><part-list><score-part id="P1"><part-name>x'
        f'</part-name></score-part></part-list><part id="P1">{body}</part></score-partwise>'
    )
    f = tmp_path / "t.musicxml"
    f.write_text(text)
    sheet = load_leadsheet(str(f))
    assert _bars(sheet) == PLAYED and sheet.key == "F" and sheet.unparsed == []
    z = tmp_path / "t.mxl"
    z.write_bytes(mxl(text.encode()))
    assert _bars(load_leadsheet(str(z))) == PLAYED


IMPRO = """(title Test Tune)
(composer Me)
(meter 4 4)
(key 2)
(part (type chords))
(section (style swing))
F#m7 | Bb7/D | NC |
(section (style swing))
F#m7 | Bb7/D | EbM7 C7#9 |
(part (type melody) (title Chorus 1))
f#+4 c#+8 a8 r2 bb4. d8/3 f8/3 g#8/3 r2
(part (type melody) (title Chorus 2))
c2+8 r4.
"""


def test_format_impro_visor(tmp_path):
    """Impro-Visor writes its forms out (no repeat signs); chords, sections and the melody."""
    f = tmp_path / "t.ls"
    f.write_text(IMPRO)
    sheet = load_leadsheet(str(f))
    assert _bars(sheet) == PLAYED and sheet.title == "Test Tune" and sheet.key == "D"
    assert sheet.sections == [(0, "section 1"), (3, "section 2")]
    first = [(n.pitch, float(n.start), float(n.length)) for n in sheet.melody[:4]]
    assert first == [(78, 0, 1), (73, 1, 0.5), (69, 1.5, 0.5), (70, 4, 1.5)]
    assert [float(n.length) for n in sheet.melody[4:7]] == pytest.approx([1 / 3] * 3)
    assert (sheet.melody[-1].pitch, float(sheet.melody[-1].start), float(sheet.melody[-1].length)) == (
        60,
        24,
        2.5,
    )
    solo = sheet.solo_tune(4)  # the melody as a solo: two choruses of the 6-bar form, 16 steps a bar
    assert solo.steps == 2 * 6 * 16 and solo.melody[0].pitch == 78 and solo.melody[-1].start == 96


def test_format_ireal(tmp_path):
    from urllib.parse import quote

    from improvise.leadsheet.ireal import obfuscate50, scramble, unscramble

    block = "".join(chr(48 + k) for k in range(50))
    assert obfuscate50(obfuscate50(block)) == block and obfuscate50(block)[:5] == block[45:][::-1]
    chart = "T44{*AF#-7 |Bb7/D |N1n }|N2Eb^7 C7#9 Z"
    assert unscramble(scramble(chart + " " * 60)[10:]) == chart + " " * 60
    assert unscramble("XyQKclLZ") == "   | x |"
    link = "irealb://" + quote(f"Test=Me==Swing=F#-=={scramble(chart)}=Jazz=120=3===List", safe="")
    sheet = load_leadsheet(link)
    assert (
        _bars(sheet) == PLAYED
        and sheet.title == "Test"
        and sheet.key == "F#m"
        and sheet.sections == [(0, "A")]
    )
    page = tmp_path / "list.html"
    other = "irealbook://Other=You=Ballad=C=n=C7 |F7 Z"
    page.write_text(f'<a href="{link}">Test</a> <a href="{other.replace("=", "&#61;")}">Other</a>')
    from improvise.core.errors import UserError

    with pytest.raises(UserError, match="2 songs; pick one"):
        load_leadsheet(str(page))
    assert _bars(load_leadsheet(f"{page}#Test")) == PLAYED
    assert _bars(load_leadsheet(f"{page}#2")) == [["C7"], ["F7"]]


def test_ireal_bars_repeats_and_three_chords(tmp_path):
    from improvise.leadsheet.ireal import parse_chart

    song = {
        "title": "T",
        "composer": "",
        "key": "C",
        "chart": "T44C7 |x |D-7 G7 C^7 |r| |p n Z<D.C. al Fine>",
    }
    sheet = parse_chart(song, "t")
    assert _bars(sheet)[:3] == [
        ["C7"],
        ["C7"],
        ["Dm7", "Dm7", "G7", "Cmaj7"],
    ]  # 3 chords: the first takes 2 beats
    assert _bars(sheet)[3:5] == [["C7"], ["Dm7", "Dm7", "G7", "Cmaj7"]]  # r: the two bars before
    assert "not followed" in sheet.warnings[0]


def test_format_standards_json(tmp_path):
    import json

    tunes = [
        {"Title": None, "Sections": []},
        {"Title": 7, "Sections": []},
        {
            "Title": "Test",
            "Key": "F#m",
            "TimeSignature": "4/4",
            "Sections": [
                {
                    "Label": "A",
                    "MainSegment": {"Chords": "F#m7|Bb7/D"},
                    "Endings": [{"Chords": "N.C."}, {"Chords": "Ebmaj7,C7#9(A7b6/E)"}],
                }
            ],
        },
    ]
    f = tmp_path / "s.json"
    f.write_text(json.dumps(tunes))
    sheet = load_leadsheet("test", f)  # titles that are not strings no longer break the look-up
    assert _bars(sheet) == PLAYED and sheet.unparsed == []
    one = tmp_path / "one.json"
    one.write_text(json.dumps(tunes[2:]))
    assert _bars(load_leadsheet(str(one))) == PLAYED


def test_sniffing(tmp_path):
    from improvise.leadsheet.load import sniff_format

    cases = {
        "a.txt": b"| C |",
        "b.ls": b"(title x)",
        "c": b"(title x)\nC |",
        "d.txt": b"<?xml version='1.0'?>",
        "e": b"PK\x03\x04",
        "f.html": b"<html>",
        "g.txt": b"irealb://x",
        "h.json": b"[]",
    }
    kinds = {n: sniff_format(tmp_path / n) for n in cases if (tmp_path / n).write_bytes(cases[n]) is not None}
    assert kinds == {
        "a.txt": "text",
        "b.ls": "impro",
        "c": "impro",
        "d.txt": "musicxml",
        "e": "mxl",
        "f.html": "ireal",
        "g.txt": "ireal",
        "h.json": "standards",
    }
