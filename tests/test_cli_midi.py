import json
import subprocess
import sys

import mido
import pytest

from improvise.cli.main import dispatch


def _midi_notes(path):
    mid = mido.MidiFile(path)
    notes = {}
    for i, track in enumerate(mid.tracks):
        on, pitches = {}, []
        for msg in track:
            if msg.type == "note_on" and msg.velocity > 0:
                on[msg.note] = on.get(msg.note, 0) + 1
                pitches.append(msg.note)
            elif msg.type == "note_off" or (msg.type == "note_on" and msg.velocity == 0):
                on[msg.note] -= 1
        assert all(v == 0 for v in on.values()), f"stuck notes in track {i}"
        notes[i] = pitches
    return mid, notes


def test_generate_writes_tokens_midi_metrics(run_dir, tmp_path, capsys):
    out = tmp_path / "gen"
    assert (
        dispatch(["blues", "generate", str(run_dir), "--choruses", "3", "--out", str(out), "--seed", "2"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "bar 12" in printed and "bar_onset_match" in printed
    tokens = json.loads((out / "tokens.json").read_text())
    assert len(tokens["chords"]) == len(tokens["pitches"]) == 288
    metrics = json.loads((out / "metrics.json").read_text())["generation"]
    assert metrics["choruses"] == 3 and len(metrics["per_chorus_bar_onset"]) == 3

    mid, notes = _midi_notes(out / "chorus.mid")
    assert len(mid.tracks) == 2
    assert notes[0] and all(48 <= p <= 59 for p in notes[0])  # chords below middle C
    assert notes[1] and all(60 <= p <= 84 for p in notes[1])  # melody from middle C up
    n_melody = sum(p != 7 for p in tokens["pitches"])
    assert len(notes[1]) == n_melody
    assert abs(mid.length - 288 * 0.25) < 0.01  # 3 choruses of eighths at 120 bpm


def test_midi_opens_in_music21_and_pretty_midi(run_dir, tmp_path):
    pretty_midi = pytest.importorskip("pretty_midi")
    music21 = pytest.importorskip("music21")
    out = tmp_path / "gen"
    assert dispatch(["blues", "generate", str(run_dir), "--out", str(out)]) == 0
    pm = pretty_midi.PrettyMIDI(str(out / "chorus.mid"))
    assert len(pm.instruments) == 2
    assert abs(pm.get_tempo_changes()[1][0] - 120.0) < 1e-6
    tokens = json.loads((out / "tokens.json").read_text())
    melody = [n.pitch for n in sorted(pm.instruments[1].notes, key=lambda n: n.start)]
    vocab = tokens["pitch_vocab"]
    assert melody == [vocab[p] for p in tokens["pitches"] if vocab[p] != "REST"]
    score = music21.converter.parse(str(out / "chorus.mid"))
    assert len(score.parts) == 2
    assert len(score.flatten().notes) > 0


def test_train_cli_writes_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert dispatch(["blues", "train", "--out", str(out), "--epochs", "3", "--quiet"]) == 0
    for name in ("config.json", "model.pt", "metrics.json", "history.json"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["blues"]["train"]["epochs"] == 3
    assert "trained in" in capsys.readouterr().out


def test_corpus_print(capsys):
    assert dispatch(["blues", "corpus", "--print", "--choruses", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("bar  1   C7") == 2 and "bar  5   F7" in out and "bar  9   G7" in out


def test_sweep_json_shape(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert (
        dispatch(
            [
                "blues",
                "sweep",
                "--seeds",
                "0",
                "--choruses",
                "2",
                "--epochs",
                "5",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    doc = json.loads((out / "sweep.json").read_text())
    row = doc["seeds"][0]
    assert row["seed"] == 0 and row["train_seconds"] > 0
    assert set(row["teacher_forced"]) == {"chord_acc", "pitch_acc"}
    for mode in ("deterministic", "sampled"):
        assert {
            "bar_onset_match",
            "step_match",
            "on_beat_rate",
            "palette_rate",
            "chord_tone_rate",
            "per_chorus_bar_onset",
        } <= set(row[mode])
    assert "summary" in doc and "mean" in capsys.readouterr().out
    assert doc["config"]["blues"]["train"]["epochs"] == 5 and doc["config"]["blues"]["train"]["lr"] == 1.5e-2


def test_sweep_eck2002_setup(tmp_path, capsys):
    out = tmp_path / "eck"
    assert (
        dispatch(
            [
                "blues",
                "sweep",
                "--setup",
                "eck2002",
                "--experiment",
                "2",
                "--seeds",
                "0",
                "--choruses",
                "1",
                "--epochs",
                "3",
                "--cell-output",
                "tanh",
                "--state-clip",
                "5",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    doc = json.loads((out / "sweep.json").read_text())
    # flags given override the setup's defaults; the others stay the setup's (lr 0.003, not the headline's)
    assert doc["setup"] == "eck2002" and doc["experiment"] == 2
    assert doc["config"]["train"]["epochs"] == 3 and doc["config"]["train"]["lr"] == 3e-3
    assert doc["config"]["cell_output"] == "tanh" and doc["config"]["state_clip"] == 5
    assert 0 <= doc["seeds"][0]["chord_tone_rate"] <= 1 and doc["summary"]["seeds_holding_form"] in (0, 1)
    assert "seeds >= 0.99" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["blues", "train", "--out", "x", "--bogus"], "unrecognized arguments"),
        (["blues", "train", "--out", "x", "--epochs", "-3"], "--epochs: must be in [1, 1000000], not -3"),
        (["blues", "generate", "nowhere-at-all"], "no such run folder"),
        (["blues", "sweep", "--seeds", "a-b"], "seeds must look like"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_errors_are_one_line_exit_2(argv, needle, capsys):
    assert dispatch(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_negative_temperature_and_corrupt_checkpoint(run_dir, tmp_path, capsys):
    assert dispatch(["blues", "generate", str(run_dir), "--chord-temperature", "-1"]) == 2
    assert "--chord-temperature: must be in [0, 100], not -1" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model.pt").write_bytes(b"this is not a checkpoint")
    assert dispatch(["blues", "generate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "model.pt: not a readable checkpoint" in err and err.count("\n") == 1


def test_console_script_exit_code(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "improvise", "blues", "generate", str(tmp_path / "none")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("improvise: error:") and "Traceback" not in proc.stderr


def test_gradcheck_cli_passes(capsys):
    assert dispatch(["gradcheck", "--per-tensor", "3"]) == 0
    out = capsys.readouterr().out
    assert "gradcheck: max relative error" in out and "ok" in out
    assert dispatch(["gradcheck", "--per-tensor", "3", "--tolerance", "1e-30"]) == 1  # nothing is that exact
