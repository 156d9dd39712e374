"""The soloist's chord-tone biases (issue 15, `solo.calibrate`): the sampler favours chord tones
without moving onsets, on beats 1 and 3 and elsewhere separately; a calibration moves the drawn
rates towards the players'; a run keeps its calibration and `improvise solo` plays with it."""

import json
import shutil

import numpy as np
import pytest

from improvise.core.chords import parse_chord
from improvise.core.music import Note, Tune
from improvise.encodings.conditioned import ChordConditionedEncoding
from improvise.solo.calibrate import LIMIT, calibrate_biases
from improvise.solo.config import SoloConfig
from improvise.solo.generate import SoloControls, chord_tone_bias, favour
from improvise.solo.measures import is_chord_tone
from improvise.solo.train import new_model

ENC = ChordConditionedEncoding()


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_favour_moves_probability_between_pitches_not_onsets(temperature):
    rng = np.random.default_rng(3)
    n = ENC.events.n_events
    logits = rng.normal(size=n) * 2
    mask = np.zeros(n, dtype=bool)
    mask[2::4] = True
    allowed = np.ones(n, dtype=bool)
    allowed[-5:] = False  # above the register
    b = 0.7
    before = _softmax(np.where(allowed, logits, -np.inf) / temperature)
    after = _softmax(np.where(allowed, favour(logits, b, mask, allowed, temperature), -np.inf) / temperature)
    assert after[2:].sum() == pytest.approx(before[2:].sum(), abs=1e-12)  # whether a note starts
    assert after[:2] == pytest.approx(before[:2], abs=1e-12)  # hold and note-off untouched
    on, off = 2 + np.flatnonzero(mask[2:] & allowed[2:]), 2 + np.flatnonzero(~mask[2:] & allowed[2:])
    ratio = (after[on[0]] / after[off[0]]) / (before[on[0]] / before[off[0]])
    assert ratio == pytest.approx(np.exp(b), rel=1e-9)  # a chord tone e^b times as likely as before
    assert after[on].sum() > before[on].sum()


def test_chord_tone_bias_on_beats_1_and_3_and_elsewhere():
    chords = [parse_chord("F7")] * 32 + [None] * 4
    chords = [c if c is not None else parse_chord("N.C.") for c in chords]
    c = SoloControls(strong_tones=1.5, other_tones=-0.5)
    per_step = chord_tone_bias(ENC, chords, 16, 4, c)
    assert [u for u in range(32) if per_step[u][0] == 1.5] == [0, 8, 16, 24]
    assert all(per_step[u][0] == -0.5 for u in range(32) if u % 8)
    assert all(p is None for p in per_step[32:])  # N.C.: no chord tones
    b, mask = per_step[0]
    pitches = ENC.events.min_pitch + np.flatnonzero(mask[2:])
    assert set(pitches % 12) == {5, 9, 0, 3}  # F A C Eb
    assert all(is_chord_tone(int(p), chords[0]) for p in pitches)
    waltz = chord_tone_bias(ENC, chords[:24], 12, 4, c)  # 3/4: beat 1 only
    assert [u for u in range(24) if waltz[u][0] == 1.5] == [0, 12]
    assert chord_tone_bias(ENC, chords, 16, 4, SoloControls()) is None
    assert chord_tone_bias(ENC, chords, 16, 4, SoloControls(temperature=0, strong_tones=1.0)) is None


def test_a_calibration_moves_the_drawn_rates_towards_the_players():
    """Players who play nothing but chord tones: the chord-tone biases go up (to the limit at
    most) and the rates drawn with them are higher than without; every bias within the limit."""
    import torch

    model = new_model(ENC, SoloConfig(hidden=8, dropout=0.0)).eval()
    torch.nn.init.normal_(model.head.weight, std=0.5)
    chords = [parse_chord("F7")] * 16 + [parse_chord("Bb7")] * 16
    melody = [Note(65 if k < 8 else 70, 2 * k, 2) for k in range(16)]
    tunes = [Tune(chords=chords * 2, melody=melody + [Note(n.pitch, n.start + 32, 2) for n in melody])]
    cal = calibrate_biases(model_stepper(model), ENC, tunes * 3)
    assert cal["players"]["strong_beat_ctr"] == cal["players"]["chord_tone_rate"] == 1.0
    assert 0 < cal["strong_tones"] <= LIMIT and 0 < cal["other_tones"] <= LIMIT
    assert all(abs(cal[k]) <= LIMIT for k in ("motif", "density"))
    for k in ("strong_beat_ctr", "chord_tone_rate"):
        assert cal["reached"][k] > cal["unbiased"][k]


def model_stepper(model):
    from improvise.solo.generate import as_stepper

    return as_stepper(model)


def test_a_run_keeps_its_calibration_and_solo_plays_with_it(tiny_solo_run, tmp_path):
    from improvise.cli.main import dispatch

    cal = json.loads((tiny_solo_run / "config.json").read_text())["calibration"]
    assert set(cal) >= {"strong_tones", "other_tones", "players", "reached"}
    sheet = tmp_path / "t.txt"
    sheet.write_text("title: T\nkey: F\n| F7 | Bb7 | C7 | F7 |\n")
    base = ["solo", "--model", str(tiny_solo_run), "--leadsheet", str(sheet), "--synth", "none"]
    base += ["--no-score", "--seed", "4"]
    assert dispatch(base + ["--out", str(tmp_path / "a")]) == 0
    controls = json.loads((tmp_path / "a" / "solo.json").read_text())["controls"]
    assert (controls["strong_tones"], controls["other_tones"]) == (cal["strong_tones"], cal["other_tones"])
    assert dispatch(base + ["--out", str(tmp_path / "b"), "--strong-tones", "2.5", "--other-tones", "0"]) == 0
    controls = json.loads((tmp_path / "b" / "solo.json").read_text())["controls"]
    assert (controls["strong_tones"], controls["other_tones"]) == (2.5, 0.0)


@pytest.mark.parametrize("bad", ['"high"', '{"strong_tones": "x"}', '{"other_tones": 1e9}', "[1, 2]"])
def test_a_damaged_calibration_is_one_line(tiny_solo_run, tmp_path, bad, capsys):
    from improvise.cli.main import dispatch

    run = tmp_path / "run"
    shutil.copytree(tiny_solo_run, run)
    doc = json.loads((run / "config.json").read_text())
    doc["calibration"] = json.loads(bad)
    (run / "config.json").write_text(json.dumps(doc))
    sheet = tmp_path / "t.txt"
    sheet.write_text("| F7 | Bb7 |\n")
    argv = [
        "solo",
        "--model",
        str(run),
        "--leadsheet",
        str(sheet),
        "--synth",
        "none",
        "--out",
        str(tmp_path / "o"),
    ]
    assert dispatch(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "config.json: calibration" in err[0]
    assert not (tmp_path / "o" / "solo.json").exists()


def test_the_shipped_soloist_is_calibrated_on_its_training_solos():
    from improvise.solo.runs import PRETRAINED

    cal = json.loads((PRETRAINED / "config.json").read_text())["calibration"]
    assert cal["solos"] >= 100  # the validation solos and every third training solo
    for k in ("strong_beat_ctr", "chord_tone_rate", "motif_recurrence"):
        assert abs(cal["reached"][k] - cal["players"][k]) < abs(cal["unbiased"][k] - cal["players"][k])
    assert abs(cal["reached"]["phrase_beats"] / cal["players"]["phrase_beats"] - 1) < 0.05


def test_the_results_measure_generated_solos_with_their_calibration_and_licks(monkeypatch):
    """experiments.solo_eval on a toy split: every measure for both sides, the interval-pattern
    rate judged as 'at most the players', and the calibration sentence from its figures."""
    from types import SimpleNamespace

    from improvise.experiments.solo_eval import _calibration_text, evaluate_generation

    model = new_model(ENC, SoloConfig(hidden=8, dropout=0.0)).eval()
    chords = [parse_chord("F7")] * 16 + [parse_chord("Bb7")] * 16
    lick = [Note(p, 2 * k, 2) for k, p in enumerate([65, 67, 69, 70, 72, 70, 69, 67, 65, 64, 65, 69])]
    solos = {i: SimpleNamespace(tune=Tune(chords=chords * 2, melody=lick)) for i in range(3)}
    split = {"train": [0], "valid": [1], "test": [2]}
    cal = {"strong_tones": 0.5, "other_tones": 0.25, "motif": 1.0, "density": -0.5}
    import improvise.solo.calibrate as calibrate

    seen = []
    real = calibrate.generate_solo
    monkeypatch.setattr(calibrate, "generate_solo", lambda *a, **k: seen.append(a[4]) or real(*a, **k))
    out = evaluate_generation({"model": model, "encoding": ENC, "calibration": cal}, solos, split)
    assert [(c.strong_tones, c.other_tones, c.motif, c.density) for c in seen] == [(0.5, 0.25, 1.0, -0.5)]
    assert out["pattern_rate"]["players"]["mean"] == 1.0  # the test solo plays the training lick
    assert out["pattern_rate"]["within"] is (out["pattern_rate"]["generated"]["mean"] <= 1.0)
    assert out["copy_rate"]["players"]["mean"] == 1.0
    assert set(out) >= {"chord_tone_rate", "strong_beat_ctr", "motif_recurrence"}
    rates = {"strong_beat_ctr": 0.5, "chord_tone_rate": 0.4, "motif_recurrence": 0.2, "phrase_beats": 9.0}
    text = _calibration_text({**cal, "solos": 2, "players": rates, "unbiased": rates, "reached": rates})
    assert "+0.500 on the chord tones' log-odds" in text and "-0.500 on every note-on" in text
    assert "| mean phrase length (beats) | 9.00 | 9.00 | 9.00 |" in text
