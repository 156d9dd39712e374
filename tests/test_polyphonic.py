"""The polyphonic piano-roll bench: data convention, loss convention, padding, CLI smoke."""

import json
import math

import numpy as np
import pytest
import torch

from improvise.cli.main import dispatch
from improvise.nn.pianoroll_lstm import PianorollLSTM, PianorollLSTMConfig, multihot_nll
from improvise.polyphonic.task import (
    config_for,
    roll_pair,
    rolls_nll,
    shift_range,
    shift_roll,
    training_batches,
)


def _roll(t, seed):
    rng = np.random.default_rng(seed)
    r = np.zeros((t, 88), dtype=np.uint8)
    for i in range(t):
        r[i, rng.choice(np.arange(30, 60), 3, replace=False)] = 1
    return r


def test_roll_pair_shifts_one_step_with_zero_first_input():
    r = _roll(5, 0)
    x, y = roll_pair(r)
    assert torch.equal(y, torch.from_numpy(r.astype(np.float32)))
    assert x[0].sum() == 0 and torch.equal(x[1:], y[:-1])


def test_loss_is_summed_bce_over_keys_mean_over_steps_and_ignores_padding():
    torch.manual_seed(0)
    logits = torch.randn(3, 2, 88)
    y = torch.from_numpy(np.stack([_roll(3, 1), _roll(3, 2)], 1).astype(np.float32))
    y[2, 1] = -1.0  # a padded step
    p = torch.sigmoid(logits.double())
    hand, n = 0.0, 0
    for t in range(3):
        for b in range(2):
            if y[t, b, 0] < 0:
                continue
            hand -= float((y[t, b] * p[t, b].log() + (1 - y[t, b]) * (1 - p[t, b]).log()).sum())
            n += 1
    assert n == 5
    assert math.isclose(float(multihot_nll(logits, y)), hand / n, rel_tol=1e-5)
    padded = logits.clone()
    padded[2, 1] = 50.0  # whatever the model says at a padded step does not count
    assert math.isclose(float(multihot_nll(padded, y)), hand / n, rel_tol=1e-5)


def test_batched_nll_equals_one_piece_at_a_time_and_skip_first():
    torch.manual_seed(0)
    model = PianorollLSTM(PianorollLSTMConfig(hidden=8)).eval()
    pairs = [roll_pair(_roll(t, t)) for t in (4, 7, 5)]
    with torch.no_grad():
        total = sum(float(model(x[:, None], y[:, None])[1]) * len(y) for x, y in pairs)
        rest = sum(
            float(model(x[:, None], torch.cat([-torch.ones(1, 88), y[1:]])[:, None])[1]) * (len(y) - 1)
            for x, y in pairs
        )
    assert math.isclose(rolls_nll(model, pairs, batch=2), total / 16, rel_tol=1e-5)
    assert math.isclose(rolls_nll(model, pairs, skip_first=True), rest / 13, rel_tol=1e-5)


def test_transposition_keeps_notes_on_the_keyboard():
    r = np.zeros((2, 88), dtype=np.uint8)
    r[0, 2], r[1, 80] = 1, 1
    assert shift_range(r, 12) == (-2, 7)
    assert shift_roll(r, 7)[1, 87] == 1 and shift_roll(r, -2)[0, 0] == 1
    cfg = config_for("jsb", transpose=12, batch=2, window=3)
    batches = list(training_batches([r, _roll(5, 3)], cfg)(np.random.default_rng(0), 0))
    assert [c for _, _, c in batches] == [False, True]  # one group of two pieces, two carried windows
    assert sum(float(y[..., 0].ge(0).sum()) for _, y, _ in batches) == 7


def _fake_mat(path):
    import scipy.io

    seqs = lambda *ts: np.array([_roll(t, t).astype(float) for t in ts] + [None], dtype=object)[:-1][None]
    scipy.io.savemat(str(path), {"traindata": seqs(12, 9), "validdata": seqs(8, 6), "testdata": seqs(7, 10)})


def test_cli_smoke_on_a_fake_mat(tmp_path, capsys):
    _fake_mat(tmp_path / "JSB_Chorales.mat")
    out = tmp_path / "run"
    rc = dispatch(
        [
            "bench",
            "polyphonic",
            "--data",
            "jsb",
            "--data-dir",
            str(tmp_path),
            "--out",
            str(out),
            "--hidden",
            "8",
            "--epochs",
            "2",
            "--docs",
            str(tmp_path / "docs"),
            "--quiet",
        ]
    )
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["split"] == {"train": 2, "valid": 2, "test": 2} and m["epochs_run"] == 2
    assert 0 < m["test_nll"] < 100 and (out / "model.pt").is_file() and (out / "curve.png").is_file()
    assert (tmp_path / "docs" / "jsb.json").is_file() and (tmp_path / "docs" / "jsb.png").is_file()
    assert "improvise bench polyphonic" in (tmp_path / "docs" / "README.md").read_text()
    assert "test NLL" in capsys.readouterr().out
    from improvise.core.run_kinds import run_kind
    from improvise.core.runs import FORMATS, load_checkpoint

    assert json.loads((out / "config.json").read_text())["format"] == FORMATS["polyphonic"]
    assert run_kind(out) == "polyphonic"
    assert load_checkpoint(out / "model.pt", "polyphonic")["extra"]["data"] == "jsb"
    rc = dispatch(
        [
            "bench",
            "polyphonic",
            "--data",
            "jsb",
            "--data-dir",
            str(tmp_path),
            "--out",
            str(out),
            "--hidden",
            "8",
            "--epochs",
            "3",
            "--resume",
            "--quiet",
        ]
    )
    assert rc == 0 and json.loads((out / "metrics.json").read_text())["epochs_run"] == 3


def test_missing_file_is_a_one_line_error(tmp_path, capsys):
    assert dispatch(["bench", "polyphonic", "--data", "nottingham", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "Nottingham.mat: no such file" in err and "\n" not in err


def test_bad_config_is_rejected():
    with pytest.raises(ValueError):
        config_for("jsb", output_dropout=1.5)
