from pathlib import Path

import pytest

from improvise.chords import ChordParseError, parse_chord
from improvise.cli import dispatch
from improvise.leadsheet import expand_standard, load_leadsheet, parse_text

STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "leadsheets" / "JazzStandards.json"


@pytest.mark.parametrize("text,root,quality,pcs", [
    ("C7", 0, "7", {0, 4, 7, 10}), ("Bb-7", 10, "m7", {10, 1, 5, 8}), ("F#m7b5", 6, "m7b5", {6, 9, 0, 4}),
    ("Ebmaj7", 3, "maj7", {3, 7, 10, 2}), ("Ebj7", 3, "maj7", {3, 7, 10, 2}), ("C-6", 0, "m6", {0, 3, 7, 9}),
    ("Bbo7", 10, "dim7", {10, 1, 4, 7}), ("Gb07", 6, "dim7", {6, 9, 0, 3}), ("A7sus4", 9, "7sus4", {9, 2, 4, 7}),
    ("E7sus", 4, "7sus4", {4, 9, 11, 2}), ("Cø7", 0, "m7b5", {0, 3, 6, 10}), ("F^7", 5, "maj7", {5, 9, 0, 4}),
    ("Fm/maj7", 5, "mmaj7", {5, 8, 0, 4}), ("C69", 0, "6", {0, 4, 7, 9, 2}), ("C+", 0, "aug", {0, 4, 8}),
])
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
    assert [[c.symbol for c in bar] for bar in sheet.bars] == [["F7"], ["Bb7"], ["F7"], ["Bb7"], ["C7", "F7"], ["F7"]]
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
    tune = {"Title": "T", "TimeSignature": "4/4", "Key": "C", "Sections": [
        {"Label": "A", "MainSegment": {"Chords": "C7|F7"}, "Endings": [{"Chords": "G7"}, {"Chords": "C7,(A7)"}]},
        {"Label": "B", "MainSegment": {"Chords": "Dm7,,G7,|"}}]}
    sheet = expand_standard(tune)
    assert [[c.symbol for c in b] for b in sheet.bars] == [
        ["C7"], ["F7"], ["G7"], ["C7"], ["F7"], ["C7", "C7"], ["Dm7", "Dm7", "G7", "G7"], ["G7"]]  # empty slot = chord goes on
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
