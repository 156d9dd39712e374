import pytest

from improvise.core.music import Chord, Progression, Tune, parse_pitch_class, pitch_name


def test_pitch_names():
    assert pitch_name(60) == "C4"
    assert pitch_name(63) == "Eb4"
    assert parse_pitch_class("F#") == 6 and parse_pitch_class("Bb") == 10
    with pytest.raises(ValueError):
        parse_pitch_class("H")


@pytest.mark.parametrize(
    "symbol,pcs",
    [
        ("C7", {0, 4, 7, 10}),
        ("F7", {5, 9, 0, 3}),
        ("G7", {7, 11, 2, 5}),
        ("Ebmaj7", {3, 7, 10, 2}),
        ("F#m7b5", {6, 9, 0, 4}),
    ],
)
def test_chord_parse_and_pitch_classes(symbol, pcs):
    chord = Chord.parse(symbol)
    assert chord.pitch_classes == pcs
    assert Chord.parse(chord.symbol) == chord  # the printed symbol parses back


def test_chord_voicing_in_octave_below_middle_c():
    assert Chord.parse("C7").voicing(48) == [48, 52, 55, 58]  # C3 E3 G3 Bb3
    assert Chord.parse("F7").voicing(48) == [48, 51, 53, 57]
    assert Chord.parse("G7").voicing(48) == [50, 53, 55, 59]
    assert all(48 <= p <= 59 for s in ("Bb7", "Ab7", "B7") for p in Chord.parse(s).voicing(48))


def test_unknown_quality_rejected():
    with pytest.raises(ValueError):
        Chord.parse("C13b9#11")


def test_progression_grid_and_wrap():
    prog = Progression.parse("| C7 | F7 | G7 |", steps_per_bar=4)
    assert prog.steps == 12
    assert prog.chord_at(4).symbol == "F7"
    assert prog.chord_at(12).symbol == "C7"  # repeats past its end
    assert str(prog) == "| C7 | F7 | G7 |"


def test_chord_spans_merge_runs():
    c, f = Chord.parse("C7"), Chord.parse("F7")
    tune = Tune(chords=[c, c, f, f, f, c])
    assert tune.chord_spans() == [(0, 2, c), (2, 3, f), (5, 1, c)]
