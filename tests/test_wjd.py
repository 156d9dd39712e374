import gzip
from pathlib import Path

import pytest

from improvise.cli.main import dispatch
from improvise.core.chords import parse_wjd_chord
from improvise.data.wjd import chord_tone_rate, key_shift_to_c, read_wjd, split_by_piece

WJD = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjd"
HEADER = "melid,bar,beat,tatum,division,beats_per_bar,chorus,phrase,onset_s,duration_s,pitch,chord,key\n"


@pytest.mark.parametrize(
    "text,symbol",
    [
        ("C79b", "C7(b9)"),
        ("Ebj7911#", "Ebmaj7(9,#11)"),
        ("Fsus7913", "F7sus4(9,13)"),
        ("F-7", "Fm7"),
        ("Bbj7", "Bbmaj7"),
        ("Co7", "Cdim7"),
        ("C+7", "C7(#5)"),
        ("C-j7", "Cmmaj7"),
        ("NC", "N.C."),
        ("Ab+j7/C", "Abmaj7(#5)/C"),
        ("G7alt", "G7(b9,#9,#11,b13)"),
        ("D79#11#", "D7(#9,#11)"),
    ],
)
def test_wjd_chord_spellings(text, symbol):
    assert parse_wjd_chord(text).symbol == symbol


def _tiny(tmp_path):
    """Two solos: one blues in F (4/4, eighths and a triplet), one other."""
    rows = [
        "1,1,1,1,1,4,1,1,0.0,0.4,65,F7,F-maj",  # bar 1 beat 1: F on F7 (chord tone)
        "1,1,2,1,2,4,1,1,0.5,0.2,63,F7,F-maj",  # beat 2: Eb (chord tone, the seventh)
        "1,1,2,2,2,4,1,1,0.75,0.2,66,F7,F-maj",  # beat 2 and: Gb (not)
        "1,1,3,1,3,4,1,1,1.0,0.1,67,F7,F-maj",  # triplet: G, then two more on the same eighth
        "1,1,3,2,3,4,1,1,1.1,0.1,68,F7,F-maj",
        "1,1,3,3,3,4,1,1,1.2,0.1,69,F7,F-maj",
        "1,2,1,1,1,4,1,1,2.0,1.0,70,Bb7,F-maj",  # bar 2: Bb on Bb7
        "2,1,1,1,1,4,1,1,0.0,0.5,60,C-7,C-min",
    ]
    with gzip.open(tmp_path / "wjd_notes.csv.gz", "wt") as f:
        f.write(HEADER + "\n".join(rows) + "\n")
    (tmp_path / "wjd_solos.csv").write_text(
        "melid,performer,title,instrument,style,rhythmfeel,key,signature,avgtempo,tonality_type,form,chorus_count,"
        "number_notes,chord_changes\n1,P,Blues,ts,BEBOP,SWING,F-maj,4/4,120,BLUES,,1,7,\n"
        "2,Q,Other,as,BEBOP,SWING,C-min,4/4,120,FUNCTIONAL,,1,1,\n"
    )
    return tmp_path


def test_reader_quantises_and_carries_chords(tmp_path):
    solos = read_wjd(_tiny(tmp_path), "blues", steps_per_beat=2)
    assert [s.melid for s in solos] == [1]
    s = solos[0]
    assert [(n.pitch, n.start) for n in s.tune.melody] == [
        (65, 0),
        (63, 2),
        (66, 3),
        (67, 4),
        (68, 5),
        (70, 8),
    ]
    assert s.notes_dropped == 1  # the last triplet note lands on an eighth already taken
    assert s.tune.chords[7].symbol == "F7" and s.tune.chords[8].symbol == "Bb7"
    assert s.tune.steps == 16 and s.tune.melody[0].length == 2  # 0.4 s at 120 bpm = 0.8 beat
    assert chord_tone_rate(solos) == pytest.approx(3 / 6)  # F, Eb, Bb are chord tones; Gb, G, Ab are not
    up = read_wjd(tmp_path, "blues", steps_per_beat=2, to_c=True)[0]
    assert up.tune.melody[0].pitch == 60 and up.tune.chords[0].symbol == "C7"
    assert len(read_wjd(tmp_path, "all", steps_per_beat=4)) == 2


def test_key_shift_and_split():
    assert (
        key_shift_to_c("Bb-maj"),
        key_shift_to_c("F-maj"),
        key_shift_to_c("C#-min"),
        key_shift_to_c(""),
    ) == (2, -5, -1, 0)
    ids = list(range(200))
    a, b = split_by_piece(ids), split_by_piece(list(reversed(ids)) + [999])
    assert sorted(a["test"]) == sorted(t for t in b["test"] if t != 999)  # stable when pieces are added
    assert 10 < len(a["test"]) < 35 and not set(a["test"]) & set(a["train"])


def test_missing_files_are_one_line_errors(tmp_path, capsys):
    assert dispatch(["corpus", "wjd", str(tmp_path)]) == 2
    assert "wjd_notes.csv.gz: no such file" in capsys.readouterr().err


@pytest.mark.skipif(not WJD.is_dir(), reason="shared/data is not beside the checkout")
def test_real_blues_solos_match_the_human_reference():
    solos = read_wjd(WJD, "blues")
    assert len(solos) == 97
    assert chord_tone_rate(solos) == pytest.approx(0.486, abs=0.005)  # shared/findings.md


@pytest.mark.skipif(not WJD.is_dir(), reason="shared/data is not beside the checkout")
def test_melody_model_table_on_wjd_blues():
    from improvise.zoo.melody_eval import evaluate_wjd_blues, render_section

    res = evaluate_wjd_blues(WJD, epochs=1)
    assert res["split"] == {"train": 76, "valid": 11, "test": 10}
    nll = {r["model"]: r["test_nll"] for r in res["rows"]}
    # order 2 beats order 0 (unigram) on held-out solos; every figure is a finite positive NLL
    assert nll["Markov chain, order 2"] < nll["Markov chain, order 0"]
    assert all(0 < v < 5 for v in nll.values())
    text = "\n".join(render_section(res))
    assert "| Markov chain, order 2 | 1.7" in text and "LSTM 128" in text


@pytest.mark.parametrize(
    "notes,match",
    [
        ("melid,bar\n1,1\n", "no column beat"),
        (HEADER + "1,1,1,1,1,4,1,1,0.0,0.4,999,F7,F-maj\n", "solo 1: bad row .pitch 999"),
        (HEADER + "1,99999999999,1,1,1,4,1,1,0.0,0.4,65,F7,F-maj\n1,1,1,1,1,4,1,1,0,0.4,65,F7,x\n", "bar"),
        (HEADER + "1,1,1,1,1,4,1,1,0.0,nan,65,F7,F-maj\n", "duration"),
        (HEADER + "1,1,1\n", "fewer fields"),
    ],
)
def test_malformed_notes_are_one_line_errors_naming_the_file(tmp_path, notes, match):
    from improvise.core.errors import UserError

    _tiny(tmp_path)
    with gzip.open(tmp_path / "wjd_notes.csv.gz", "wt") as f:
        f.write(notes)
    with pytest.raises(UserError, match=match) as e:
        read_wjd(tmp_path)
    assert str(tmp_path) in str(e.value)
    (tmp_path / "wjd_notes.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(UserError, match="cannot read"):
        read_wjd(tmp_path)


def test_swing_grid_reads_swung_eighths_as_eighths(tmp_path):
    """grid="swing": a triplet's third tatum and a lone fourth sixteenth are the off-beat eighth
    (step 2); a beat of real sixteenths keeps them; the straight grid puts both on step 3."""
    rows = [
        "1,1,1,1,3,4,1,1,0.0,0.2,60,C7,C-maj",  # beat 1 in three: tatums 1 and 3 (a swung pair)
        "1,1,1,3,3,4,1,1,0.3,0.2,62,C7,C-maj",
        "1,1,2,1,4,4,1,1,0.5,0.2,64,C7,C-maj",  # beat 2 in four: tatums 1 and 4 (dotted eighth + 16th)
        "1,1,2,4,4,4,1,1,0.8,0.1,65,C7,C-maj",
        "1,1,3,1,4,4,1,1,1.0,0.1,67,C7,C-maj",  # beat 3: four sixteenths
        "1,1,3,2,4,4,1,1,1.1,0.1,69,C7,C-maj",
        "1,1,3,3,4,4,1,1,1.2,0.1,67,C7,C-maj",
        "1,1,3,4,4,4,1,1,1.3,0.1,65,C7,C-maj",
        "1,1,4,1,3,4,1,1,1.5,0.1,64,C7,C-maj",  # beat 4: a full triplet
        "1,1,4,2,3,4,1,1,1.6,0.1,62,C7,C-maj",
        "1,1,4,3,3,4,1,1,1.7,0.1,60,C7,C-maj",
    ]
    with gzip.open(tmp_path / "wjd_notes.csv.gz", "wt") as f:
        f.write(HEADER + "\n".join(rows) + "\n")
    (tmp_path / "wjd_solos.csv").write_text(
        "melid,performer,title,instrument,style,rhythmfeel,key,signature,avgtempo,tonality_type,form,chorus_count,"
        "number_notes,chord_changes\n1,P,Swing,ts,BEBOP,SWING,C-maj,4/4,120,BLUES,,1,11,\n"
    )
    swing = [n.start for n in read_wjd(tmp_path, "all", 4, grid="swing")[0].tune.melody]
    straight = [n.start for n in read_wjd(tmp_path, "all", 4)[0].tune.melody]
    assert swing == [0, 2, 4, 6, 8, 9, 10, 11, 12, 13, 14]
    assert straight == [0, 3, 4, 7, 8, 9, 10, 11, 12, 13, 15]
    with pytest.raises(Exception, match="grid"):
        read_wjd(tmp_path, "all", 3, grid="swing")
