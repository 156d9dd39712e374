"""Chord-conditioned solos (issue 8): the input layout, transposition, the sampler's controls,
the copy rate and the solo command."""

from pathlib import Path

import numpy as np
import pytest
import torch

from improvise.core.chords import parse_chord
from improvise.core.music import Note, Tune
from improvise.encodings.conditioned import ChordConditionedEncoding, transpose_tune
from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
from improvise.solo.soloist import SoloControls, chord_tone_rate, copy_rate, fragments, generate_solo

WJD = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjd"
ENC = ChordConditionedEncoding()


def tiny_tune():
    chords = [parse_chord("F7")] * 16 + [parse_chord("Bb7")] * 16
    return Tune(chords=chords, melody=[Note(65, 0, 4), Note(67, 4, 2), Note(70, 16, 8)], steps_per_bar=16)


def test_input_layout_index_by_index():
    x, y = ENC.tune_to_tensors(tiny_tune())
    assert ENC.size == 115 and x.shape == (31, 115) and y.shape == (31,)
    ev = ENC.events.tune_to_events(tiny_tune())
    assert int(x[0, :39].argmax()) == ev[0] and y[3] == ev[4]
    assert (
        int(x[0, 39:55].argmax()) == 1
        and int(x[14, 39:55].argmax()) == 15
        and int(x[15, 39:55].argmax()) == 0
    )
    # row 0 predicts step 1: chord F7 (root 5; 0 4 7 10 above it), next change Bb7 (root 10)
    assert int(x[0, 55:67].argmax()) == 5 and set(np.flatnonzero(x[0, 67:79].numpy())) == {0, 4, 7, 10}
    assert int(x[0, 79:91].argmax()) == 10 and set(np.flatnonzero(x[0, 91:103].numpy())) == {0, 4, 7, 10}
    assert x[20, 79:103].sum() == 0  # no change after the last Bb7
    assert set(np.flatnonzero(x[0, 103:].numpy())) == {5, 9, 0, 3} and set(
        np.flatnonzero(x[20, 103:].numpy())
    ) == {10, 2, 5, 8}


def test_transposition_moves_roots_not_qualities():
    up = transpose_tune(tiny_tune(), 3)
    a, _ = ENC.tune_to_tensors(tiny_tune())
    b, _ = ENC.tune_to_tensors(up)
    assert [n.pitch for n in up.melody] == [68, 70, 73] and up.chords[0].symbol == "Ab7"
    assert torch.equal(a[:, 67:79], b[:, 67:79]) and int(b[0, 55:67].argmax()) == 8
    assert torch.equal(torch.roll(a[:, 103:], 3, dims=1), b[:, 103:])


def tiny_model():
    torch.manual_seed(0)
    return MelodyRNN(
        MelodyRNNConfig(input_size=ENC.size, n_events=ENC.events.n_events, hidden=8, layers=1, dropout=0.0)
    ).eval()


def test_sampler_controls_register_density_and_kept_bars():
    chords = tiny_tune().chords * 4
    model = tiny_model()
    ev = generate_solo(model, ENC, chords, 16, SoloControls(low=60, high=67, density=2.0, seed=1))
    pitches = [ENC.events.min_pitch + e - 2 for e in ev if e >= 2]
    assert pitches and min(pitches) >= 60 and max(pitches) <= 67
    sparse = generate_solo(model, ENC, chords, 16, SoloControls(density=-4.0, seed=1))
    assert (sparse >= 2).sum() < (ev >= 2).sum()
    keep = ev.copy()
    keep[32:64] = -1  # bars 3-4 again
    again = generate_solo(model, ENC, chords, 16, SoloControls(low=60, high=67, seed=9), keep=keep)
    assert np.array_equal(again[:32], ev[:32]) and np.array_equal(again[64:], ev[64:])
    assert not np.array_equal(again[32:64], ev[32:64])
    assert np.array_equal(
        generate_solo(model, ENC, chords, 16, SoloControls(seed=1)),
        generate_solo(model, ENC, chords, 16, SoloControls(seed=1)),
    )


def test_chord_tone_and_copy_rates():
    t = tiny_tune()
    assert chord_tone_rate(t) == pytest.approx(2 / 3)  # F over F7 and Bb over Bb7 are; G (a ninth) is not
    ev = ENC.events.tune_to_events(Tune(chords=t.chords * 2, melody=t.melody, steps_per_bar=16))
    train = fragments(ev)
    assert copy_rate(ev, train) == 1.0
    other = ev.copy()
    other[other >= 2] += 1
    assert copy_rate(other, train) == 0.0


@pytest.mark.skipif(not WJD.is_dir(), reason="shared/data is not beside the checkout")
def test_solo_cli_train_generate_regenerate(tmp_path, capsys):
    import json

    from improvise.cli.main import dispatch

    run = tmp_path / "run"
    assert (
        dispatch(
            [
                "solo-train",
                "--wjd",
                str(WJD),
                "--subset",
                "blues",
                "--no-augment",
                "--epochs",
                "2",
                "--hidden",
                "16",
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    assert (run / "model.pt").is_file() and (run / "fragments.npy").is_file()
    sheet = tmp_path / "tune.txt"
    sheet.write_text("title: Blues in F\ntime: 4/4\nkey: F\n|: F7 | Bb7 | F7 | F7 :| C7 | Bb7 | F7 | C7 |\n")
    out = tmp_path / "solo"
    args = [
        "solo",
        "--model",
        str(run),
        "--leadsheet",
        str(sheet),
        "--key",
        "Eb",
        "--choruses",
        "2",
        "--out",
        str(out),
        "--synth",
        "numpy",
        "--seed",
        "1",
    ]
    assert dispatch(args) == 0
    first = json.loads((out / "solo.json").read_text())
    assert len(first["events"]) == 2 * 12 * 16 and first["key"] == "Eb" and first["bars"][0] == ["Eb7"]
    assert 0 <= first["metrics"]["chord_tone_rate"] <= 1 and (out / "solo.wav").is_file()
    assert (out / "report.html").is_file() and (out / "solo.musicxml").is_file()
    assert (
        first["score"]["errors"] == [] and first["score"]["notes_engraved"] > 0.8 * first["metrics"]["notes"]
    )
    assert dispatch(args[:-2] + ["--seed", "2", "--regenerate", "3-4"]) == 0
    second = json.loads((out / "solo.json").read_text())
    assert second["events"][:32] == first["events"][:32] and second["events"][64:] == first["events"][64:]
    assert (
        dispatch(["solo", "--model", str(tmp_path / "nope"), "--leadsheet", str(sheet), "--out", str(out)])
        == 2
    )
    assert "nope: no trained soloist there" in capsys.readouterr().err


@pytest.mark.skipif(not WJD.is_dir(), reason="shared/data is not beside the checkout")
def test_solo_on_a_triplet_grid_over_a_wjd_solos_changes(tmp_path):
    import json

    from improvise.cli.main import dispatch

    run = tmp_path / "run"
    assert (
        dispatch(
            [
                "solo-train",
                "--wjd",
                str(WJD),
                "--subset",
                "blues",
                "--no-augment",
                "--epochs",
                "1",
                "--hidden",
                "8",
                "--grid",
                "triplet",
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    out = tmp_path / "solo"
    assert (
        dispatch(
            [
                "solo",
                "--model",
                str(run),
                "--leadsheet",
                "wjd:1",
                "--wjd",
                str(WJD),
                "--out",
                str(out),
                "--synth",
                "none",
            ]
        )
        == 0
    )
    doc = json.loads((out / "solo.json").read_text())
    assert len(doc["events"]) == len(doc["bars"]) * 12  # 4/4 on triplet eighths: 12 steps a bar
    assert doc["score"]["errors"] == [] and doc["score"]["notes_engraved"] > 0
    import mido

    assert mido.MidiFile(out / "solo.mid").length > 30


def test_musicxml_lead_sheet(tmp_path):
    from music21 import harmony, key, meter, note, stream

    from improvise.leadsheet.load import load_leadsheet

    part = stream.Part()
    for k, fig in enumerate(["B-7", "E-7", "B-7", "F7"]):
        m = stream.Measure(number=k + 1)
        if k == 0:
            m.insert(0, meter.TimeSignature("4/4"))
            m.insert(0, key.KeySignature(-2))
        m.insert(0, harmony.ChordSymbol(fig))
        if k == 3:
            m.insert(2, harmony.ChordSymbol("Cm7"))
        m.append(note.Note("C4", quarterLength=4))
        part.append(m)
    score = stream.Score([part])
    path = tmp_path / "tune.musicxml"
    score.write("musicxml", str(path))
    sheet = load_leadsheet(str(path))
    assert [[c.symbol for c in bar] for bar in sheet.bars[:4]] == [["Bb7"], ["Eb7"], ["Bb7"], ["F7", "Cm7"]]
    assert sheet.key == "Bb" and sheet.to_key("C").bars[0][0].symbol == "C7"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A soloist trained for one epoch on a tiny WJD-like corpus written here (no shared/data)."""
    from improvise.cli.main import dispatch
    from tests.fuzz.cases_solo import write_tiny_wjd

    root = tmp_path_factory.mktemp("tiny")
    wjd = write_tiny_wjd(root / "wjd")
    run = root / "run"
    assert (
        dispatch(
            [
                "solo-train",
                "--wjd",
                str(wjd),
                "--out",
                str(run),
                "--epochs",
                "1",
                "--hidden",
                "8",
                "--no-augment",
                "--quiet",
            ]
        )
        == 0
    )
    return run


def test_same_seed_writes_the_same_bytes(tiny_run, tmp_path):
    """Two runs with the same --seed: every file byte for byte the same, timing aside."""
    import json

    from improvise.cli.main import dispatch

    sheet = tmp_path / "t.txt"
    sheet.write_text("title: T\nkey: F\n|: F7 | Bb7 :| C-7 F7 | F#m7b5 B7b9 |\n")
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert (
            dispatch(
                [
                    "solo",
                    "--model",
                    str(tiny_run),
                    "--leadsheet",
                    str(sheet),
                    "--out",
                    str(out),
                    "--synth",
                    "numpy",
                    "--seed",
                    "7",
                    "--key",
                    "G",
                ]
            )
            == 0
        )
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    assert {"report.html", "solo.musicxml", "solo.svg", "solo.mid", "solo.wav", "solo.json"} <= set(names)
    for name in names:
        a, b = ((out / name).read_bytes() for out in outs)
        if name == "solo.json":  # metrics.seconds is the one timing field
            da, db = json.loads(a), json.loads(b)
            da["metrics"].pop("seconds"), db["metrics"].pop("seconds")
            assert da == db
            continue
        assert a == b, f"{name} differs between two runs with the same seed"


@pytest.mark.parametrize(
    "damage,match",
    [
        (
            lambda run: (run / "config.json").write_text(
                '{"task": "solo", "solo": {"colour": 1}, "model": {}}'
            ),
            "unknown SoloConfig key.s. 'colour'",
        ),
        (
            lambda run: (run / "config.json").write_text(
                (run / "config.json").read_text().replace('"hidden": 8', '"hidden": "8"')
            ),
            "SoloConfig.hidden should be int, not '8'",
        ),
        (lambda run: _edit_checkpoint(run, hidden=32), "has shape .* the config says"),
        (lambda run: _edit_checkpoint(run, input_size=99), "input_size 99 .a soloist has 115"),
        (lambda run: (run / "fragments.npy").write_bytes(b"junk"), "fragments.npy"),
    ],
)
def test_a_damaged_run_is_named_when_opened(tiny_run, tmp_path, damage, match):
    import shutil

    from improvise.core.errors import UserError
    from improvise.solo.soloist import load_solo_run

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    damage(run)
    with pytest.raises(UserError, match=match) as e:
        load_solo_run(run)
    assert str(run) in str(e.value)


def _edit_checkpoint(run, **changes):
    blob = torch.load(run / "model.pt", weights_only=True)
    blob["model_config"].update(changes)
    torch.save(blob, run / "model.pt")


def test_without_seed_each_call_draws_a_new_one_and_solo_json_keeps_it(tiny_run, tmp_path, capsys):
    import json

    from improvise.cli.main import dispatch

    sheet = tmp_path / "t.txt"
    sheet.write_text("title: T\nkey: F\n| F7 | Bb7 | C7 | F7 |\n")
    base = ["solo", "--model", str(tiny_run), "--leadsheet", str(sheet), "--synth", "none"]
    docs = []
    for name in ("a", "b"):
        assert dispatch(base + ["--out", str(tmp_path / name)]) == 0
        docs.append(json.loads((tmp_path / name / "solo.json").read_text()))
    seeds = [d["controls"]["seed"] for d in docs]
    assert seeds[0] != seeds[1] and f"--seed {seeds[1]} repeats it" in capsys.readouterr().out
    assert dispatch(base + ["--out", str(tmp_path / "again"), "--seed", str(seeds[0])]) == 0
    again = json.loads((tmp_path / "again" / "solo.json").read_text())
    assert again["events"] == docs[0]["events"] and again["controls"]["seed"] == seeds[0]
