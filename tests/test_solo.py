"""Chord-conditioned solos (issues 8 and 15): the input layout, transposition, the network and
its numpy stepper, the sampler's controls, the musical measures, the solo command, the shipped
soloist and `improvise likelihood` on a soloist."""

from pathlib import Path

import numpy as np
import pytest
import torch

from improvise.core.chords import parse_chord
from improvise.core.music import Note, Tune
from improvise.encodings.conditioned import ChordConditionedEncoding, transpose_tune
from improvise.solo.config import SoloConfig
from improvise.solo.generate import SoloControls, as_stepper, generate_solo
from improvise.solo.measures import chord_tone_rate, copy_rate, fragments
from improvise.solo.train import new_model

WJD = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjd"
ENC = ChordConditionedEncoding()


def tiny_tune():
    chords = [parse_chord("F7")] * 16 + [parse_chord("Bb7")] * 16
    return Tune(chords=chords, melody=[Note(65, 0, 4), Note(67, 4, 2), Note(70, 16, 8)], steps_per_bar=16)


def test_input_layout_index_by_index():
    x, y = ENC.tune_to_tensors(tiny_tune())
    assert ENC.size == 227 and x.shape == (31, 227) and y.shape == (31,)
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
    assert set(np.flatnonzero(x[0, 103:115].numpy())) == {5, 9, 0, 3}
    assert set(np.flatnonzero(x[20, 103:115].numpy())) == {10, 2, 5, 8}
    # row 5 (step 5 next): the last note is G4 (67, started at step 4), a 9th... 2 above F
    assert int(x[5, 115:152].argmax()) == 67 - 48 and int(x[5, 152:164].argmax()) == 2
    assert int(x[5, 164:181].argmax()) == 2 and x[5, 181] == 1  # started 2 steps before step 6; sounding
    assert x[7, 181] == 0 and int(x[7, 164:181].argmax()) == 4  # G ended at step 6: silence
    assert int(x[0, 182:199].argmax()) == 15 and int(x[14, 182:199].argmax()) == 1  # 15 steps, then 1, to Bb7
    assert int(x[20, 182:199].argmax()) == 16  # no change ahead
    # row 17 predicts step 18 under Bb7: the last note Bb (started at 16) is the root
    assert int(x[17, 152:164].argmax()) == 0
    assert x[0, 115:152].sum() == 1 and x[0, 152:164].sum() == 1  # F at step 0 is the last note already


def test_transposition_moves_roots_not_qualities():
    up = transpose_tune(tiny_tune(), 3)
    a, _ = ENC.tune_to_tensors(tiny_tune())
    b, _ = ENC.tune_to_tensors(up)
    assert [n.pitch for n in up.melody] == [68, 70, 73] and up.chords[0].symbol == "Ab7"
    assert torch.equal(a[:, 67:79], b[:, 67:79]) and int(b[0, 55:67].argmax()) == 8
    assert torch.equal(torch.roll(a[:, 103:115], 3, dims=1), b[:, 103:115])
    assert torch.equal(a[:, 152:], b[:, 152:])  # degree of the last note, timing: key-free
    s = ENC.encode(tiny_tune())
    assert np.array_equal(ENC.window(s, 0, 31, 3)[0], b.numpy())  # a window drawn in another key


def tiny_model(hidden=8):
    return new_model(ENC, SoloConfig(hidden=hidden, dropout=0.0)).eval()


def test_stepper_matches_the_network_and_the_sampler_feeds_the_training_inputs(monkeypatch):
    import improvise.solo.generate as gen

    model = tiny_model(12)
    torch.nn.init.normal_(model.degree.weight)
    torch.nn.init.normal_(model.leap.weight)
    chords = tiny_tune().chords * 3
    tune = Tune(
        chords=chords,
        melody=[Note(65, 0, 4), Note(67, 4, 2), Note(70, 16, 8), Note(58, 40, 3)],
        steps_per_bar=16,
    )
    x, _ = ENC.tune_to_tensors(tune)
    with torch.no_grad():
        want = model(x[:, None])[0][:, 0].numpy()
    st = as_stepper(model)
    got = np.stack([st.step(np.flatnonzero(row)) for row in x.numpy()])
    assert np.abs(got - want).max() < 1e-4
    seen = []
    step = gen.SoloStepper.step
    monkeypatch.setattr(
        gen.SoloStepper,
        "step",
        lambda self, a, *rest: seen.append(sorted(a.tolist())) or step(self, a, *rest),
    )
    ev = ENC.events.tune_to_events(tune)
    generate_solo(model, ENC, chords, 16, SoloControls(low=0, high=127), keep=ev)
    assert seen == [np.flatnonzero(row).tolist() for row in x.numpy()]


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


def test_musical_measures_on_a_hand_made_solo():
    from improvise.solo.measures import measure

    f7 = parse_chord("F7")
    # bar 1: F A C on beats 1, 1+, 2, G on the last sixteenth of beat 2, then a 2-beat rest;
    # bar 2: C on beat 1, a 1-beat rest, then C Eb D C in eighths from beat 3 (C repeated)
    notes = [Note(65, 0, 2), Note(69, 2, 2), Note(72, 4, 3), Note(67, 7, 1)]
    notes += [Note(72, 16, 4), Note(72, 24, 2), Note(75, 26, 2), Note(74, 28, 2), Note(72, 30, 2)]
    t = Tune(chords=[f7] * 32, melody=notes, steps_per_bar=16)
    m = measure(t)
    assert m["chord_tone_rate"] == pytest.approx(7 / 9)  # all but G and D (F7 = F A C Eb)
    assert m["strong_beat_ctr"] == pytest.approx(1.0)  # steps 0, 16, 24: F, C, C
    assert m["repeated_note_rate"] == pytest.approx(1 / 8)
    assert m["eighth_grid_rate"] == pytest.approx(8 / 9)  # all but step 7
    assert m["silence_share"] == pytest.approx(12 / 32)
    # rests of a beat or more cut three phrases: F A C G (2 beats), C (1), C Eb D C (2)
    assert m["phrase_beats"] == pytest.approx(5 / 3) and m["phrase_end_ctr"] == pytest.approx(2 / 3)
    assert m["motif_recurrence"] == pytest.approx(0.0)
    up = [Note(p, 2 * k, 2) for k, p in enumerate([60, 62, 64, 65, 67, 62, 64, 66, 67, 69])]
    assert measure(Tune(chords=[f7] * 32, melody=up, steps_per_bar=16))["motif_recurrence"] == pytest.approx(
        2 / 6
    )


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
        "--score",
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
                "--score",
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


def test_same_seed_writes_the_same_bytes(tiny_solo_run, tmp_path):
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
                    str(tiny_solo_run),
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
                    "--score",
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
        (lambda run: _edit_checkpoint(run, input_size=250), "input_size 250 .a soloist has 227"),
        (lambda run: (run / "fragments.npy").write_bytes(b"junk"), "fragments.npy"),
    ],
)
def test_a_damaged_run_is_named_when_opened(tiny_solo_run, tmp_path, damage, match):
    import shutil

    from improvise.core.errors import UserError
    from improvise.solo.soloist import load_solo_run

    run = tmp_path / "run"
    shutil.copytree(tiny_solo_run, run)
    damage(run)
    with pytest.raises(UserError, match=match) as e:
        load_solo_run(run)
    assert str(run) in str(e.value)


def _edit_checkpoint(run, **changes):
    blob = torch.load(run / "model.pt", weights_only=True)
    blob["model_config"].update(changes)
    torch.save(blob, run / "model.pt")


def test_without_seed_each_call_draws_a_new_one_and_solo_json_keeps_it(tiny_solo_run, tmp_path, capsys):
    import json

    from improvise.cli.main import dispatch

    sheet = tmp_path / "t.txt"
    sheet.write_text("title: T\nkey: F\n| F7 | Bb7 | C7 | F7 |\n")
    base = ["solo", "--model", str(tiny_solo_run), "--leadsheet", str(sheet), "--synth", "none", "--no-score"]
    docs = []
    for name in ("a", "b"):
        assert dispatch(base + ["--out", str(tmp_path / name)]) == 0
        docs.append(json.loads((tmp_path / name / "solo.json").read_text()))
    seeds = [d["controls"]["seed"] for d in docs]
    assert seeds[0] != seeds[1] and f"--seed {seeds[1]} repeats it" in capsys.readouterr().out
    assert dispatch(base + ["--out", str(tmp_path / "again"), "--seed", str(seeds[0])]) == 0
    again = json.loads((tmp_path / "again" / "solo.json").read_text())
    assert again["events"] == docs[0]["events"] and again["controls"]["seed"] == seeds[0]


def test_swing_rendering_places_offbeat_eighths_late_and_keeps_sixteenth_runs_straight():
    from improvise.core.midi import TICKS_PER_BEAT, step_to_tick

    onsets = {0, 2, 4, 5, 6, 7}  # beat 1: two eighths; beat 2: four sixteenths
    tick = step_to_tick(4, 0.6, onsets)
    assert [tick(s) for s in (0, 2, 4, 5, 6, 7, 8)] == [0, 288, 480, 600, 720, 840, 960]
    assert tick(3) == round(0.8 * TICKS_PER_BEAT)  # a note's end inside a swung beat
    assert [step_to_tick(4, 0.5, onsets)(s) for s in (2, 3)] == [240, 360]  # 0.5: straight
    third = step_to_tick(4, 2 / 3, {0, 1, 2})  # a triplet at 2/3 swing is exact
    assert [third(s) for s in (0, 1, 2)] == [0, 160, 320]


def test_motif_memory_suggests_the_leap_that_followed_the_same_intervals():
    from improvise.encodings.conditioned import MotifMemory

    m = MotifMemory()
    got = [m.add(p) for p in [60, 62, 64, 65, 67, 62, 64, 66, 67, 69]]
    # C D E F G, then the shape again from D: after D E F# (2, 2 as at the start) comes +1, ...
    assert got[7] == (1, 2) and got[8] == (2, 3) and got[9] == (-5, 3)
    assert got[0] == (None, 0) and got[5] == (None, 0)  # nothing played yet / a leap of -5 is new
    tune = Tune(
        chords=[parse_chord("C7")] * 40,
        melody=[Note(p, 4 * k, 2) for k, p in enumerate([60, 62, 64, 65, 67, 62, 64, 66, 67, 69])],
        steps_per_bar=16,
    )
    x, _ = ENC.tune_to_tensors(tune)
    row = 4 * 8  # after the 9th note (67): suggested +2, 3 intervals matched
    assert int(x[row, 199:224].argmax()) - 12 == 2 and int(x[row, 224:227].argmax()) + 1 == 3


def test_shipped_soloist_plays_a_shipped_title_with_no_data_folder(tmp_path, monkeypatch, capsys):
    """`improvise solo --leadsheet "Blues For Alice"`: the shipped model and lead sheet, from
    any folder, no WJD, no standards file; the ODbL notice ships beside the weights."""
    import json

    from improvise.cli.main import dispatch
    from improvise.solo.runs import PRETRAINED

    monkeypatch.chdir(tmp_path)
    assert "Open Database License" in (PRETRAINED / "NOTICE.md").read_text()
    assert sum(p.stat().st_size for p in PRETRAINED.iterdir()) < 5 << 20
    args = ["solo", "--leadsheet", "blues for alice", "--choruses", "2", "--synth", "none", "--seed", "3"]
    assert dispatch(args + ["--out", "alice"]) == 0
    doc = json.loads((tmp_path / "alice" / "solo.json").read_text())
    assert doc["leadsheet"] == "Blues For Alice" and len(doc["events"]) == 2 * 12 * 16
    assert doc["bars"][0] == ["Fmaj7"] and 0.3 < doc["metrics"]["chord_tone_rate"] <= 1
    # the score is engraved by default: the lead sheet's changes above the solo
    assert (tmp_path / "alice" / "solo.musicxml").is_file() and doc["score"]["notes_engraved"] > 0
    assert (tmp_path / "alice" / "solo.svg").stat().st_size > 10_000
    assert dispatch(["solo", "--leadsheet", "No Such Tune", "--out", "x"]) == 2
    assert "No Such Tune" in capsys.readouterr().err


def test_likelihood_of_a_solo_over_its_changes(tiny_solo_run, tmp_path, capsys):
    """`improvise likelihood RUN --solo FILE --leadsheet SHEET`: a surprisal per note, the plot,
    and one-line errors for what a soloist cannot score."""
    import json

    from improvise.cli.main import dispatch

    sheet = tmp_path / "t.txt"
    sheet.write_text("title: T\nkey: F\n| F7 | Bb7 | C7 | F7 |\n")
    assert (
        dispatch(
            [
                "solo",
                "--model",
                str(tiny_solo_run),
                "--leadsheet",
                str(sheet),
                "--synth",
                "none",
                "--seed",
                "1",
                "--out",
                str(tmp_path / "s"),
            ]
        )
        == 0
    )
    solo = json.loads((tmp_path / "s" / "solo.json").read_text())
    out = tmp_path / "why"
    args = [
        "likelihood",
        str(tiny_solo_run),
        "--solo",
        str(tmp_path / "s" / "solo.json"),
        "--leadsheet",
        str(sheet),
    ]
    assert dispatch(args + ["--out", str(out)]) == 0
    doc = json.loads((out / "likelihood.json").read_text())
    assert len(doc["notes"]) == solo["metrics"]["notes"] - (solo["events"][0] >= 2)
    assert all(r["surprisal"] >= 0 and 0 < r["p"] <= 1 for r in doc["notes"])
    assert (out / "likelihood.png").read_bytes()[:4] == b"\x89PNG"
    assert "nats per note" in capsys.readouterr().out
    # the same melody through MIDI scores the same notes
    assert (
        dispatch(
            [
                "likelihood",
                str(tiny_solo_run),
                "--solo",
                str(tmp_path / "s" / "solo.mid"),
                "--leadsheet",
                str(sheet),
                "--json",
            ]
        )
        == 0
    )
    assert dispatch(["likelihood", str(tiny_solo_run), "--solo", str(tmp_path / "s" / "solo.json")]) == 2
    assert "--leadsheet" in capsys.readouterr().err
    assert dispatch(["likelihood", str(tiny_solo_run)]) == 2


@pytest.mark.parametrize(
    "damage,match",
    [
        (lambda run: _edit_checkpoint(run, hidden=32), "model.pt: does not match weights.npz"),
        (lambda run: (run / "weights.npz").write_bytes(b"junk"), "weights.npz: not readable"),
        (
            lambda run: _edit_weights(run, lambda w: w.pop("leap.weight")),
            "weights.npz: not this soloist's weights .leap",
        ),
        (lambda run: _edit_weights(run, lambda w: w.update({"head.bias": w["head.bias"][:3]})), "head.bias"),
        (lambda run: _edit_weights(run, lambda w: w.pop("model_pt_sha256")), "does not match weights.npz"),
    ],
)
def test_the_sampler_refuses_a_damaged_run(tiny_solo_run, tmp_path, damage, match):
    import shutil

    from improvise.core.errors import UserError
    from improvise.solo.runs import open_solo_run

    run = tmp_path / "run"
    shutil.copytree(tiny_solo_run, run)
    open_solo_run(run)  # intact
    damage(run)
    with pytest.raises(UserError, match=match) as e:
        open_solo_run(run)
    assert str(run) in str(e.value)


def _edit_weights(run, edit):
    with np.load(run / "weights.npz") as z:
        w = dict(z)
    edit(w)
    np.savez(run / "weights.npz", **w)


@pytest.mark.realtime
def test_384_bars_sample_in_under_two_seconds_on_one_thread():
    import time

    from improvise.leadsheet.load import load_leadsheet
    from improvise.solo.builtin import find_builtin
    from improvise.solo.runs import PRETRAINED, open_solo_run

    stepper, enc, _, _ = open_solo_run(PRETRAINED)
    chords = load_leadsheet(str(find_builtin("Blues For Alice"))).chord_per_step(4) * 32
    t0 = time.perf_counter()
    ev = generate_solo(stepper, enc, chords, 16, SoloControls(seed=0))
    assert len(ev) == 384 * 16 and time.perf_counter() - t0 < 2.0


def test_the_score_colours_the_chord_tones():
    """report.html's engraved solo shows which notes are chord tones (issue 15): F and A over F7
    and Bb over Bb7 in blue, G (a ninth) in black; MusicXML carries the colour to verovio."""
    from improvise.render.score import CHORD_TONE_COLOUR, score_to_musicxml, solo_to_score

    t = tiny_tune()
    t.melody.append(Note(69, 8, 2))
    score = solo_to_score(t, "colours")
    colours = {n.pitch.midi: n.style.color for n in score.recurse().notes if hasattr(n, "pitch")}
    assert colours == {65: CHORD_TONE_COLOUR, 67: None, 69: CHORD_TONE_COLOUR, 70: CHORD_TONE_COLOUR}
    assert score_to_musicxml(score).count(f'<note color="{CHORD_TONE_COLOUR}"'.encode()) == 3


@pytest.mark.parametrize("text", ["Bb7b9", "A7(b9)", "Em7(b5)", "F#m7", "Bbmaj7", "C7#9"])
def test_chord_symbols_reach_the_score_as_symbols_not_text(text):
    from improvise.render.score import chord_symbol

    assert chord_symbol(text).figure.replace("-", "b") == text.replace("(", "").replace(")", "")


def test_the_score_has_the_lead_sheets_key_signature_and_spells_for_it():
    """In F, a B-flat needs no accidental and an E-flat is spelled as a flat, not as D-sharp;
    in E, a D-sharp is a sharp (the key signature carries it)."""
    import re

    from improvise.render.score import key_of, score_to_musicxml, solo_to_score

    chords = [parse_chord("Bb7")] * 16
    tune = Tune(chords=chords, melody=[Note(70, 0, 2), Note(63, 2, 2), Note(71, 4, 2)], steps_per_bar=16)
    xml = score_to_musicxml(solo_to_score(tune, "k", "F")).decode()
    assert "<fifths>-1</fifths>" in xml
    notes = []
    for n in re.findall(r"<note.*?</note>", xml, re.S):
        step = re.search(r"<step>(\w)</step>", n)
        if step:
            acc = re.search(r"<accidental>(\w+)</accidental>", n)
            notes.append((step.group(1), acc.group(1) if acc else None))
    assert notes == [("B", None), ("E", "flat"), ("B", "natural")]
    sharp = score_to_musicxml(solo_to_score(tune, "k", "E")).decode()
    assert "<fifths>4</fifths>" in sharp and "<step>D</step>" in sharp and "<step>E</step>" not in sharp
    assert (
        key_of("Dmin").sharps == -1
        and key_of("C#m").sharps == 4
        and key_of("H") is None
        and key_of(None) is None
    )
