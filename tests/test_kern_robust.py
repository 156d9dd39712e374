"""The kern commands on bad input and bad luck: tiny temperatures; run folders checked when
opened; a full disk named by its file; nothing that ends in a traceback. (Same seed, same
bytes: test_kern_cli.py.)"""

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from improvise.cli.main import dispatch
from improvise.core.sample import draw
from improvise.kern.runfolder import expected_shapes
from improvise.nn.char_lstm import CharLSTM, CharLSTMConfig
from tests import test_kern_cli
from tests.test_kern_cli import PIECE, _tiny_args

tiny_run = test_kern_cli.tiny_run  # the fixture, shared with test_kern_cli


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("improvise: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("temperature", ["0", "1e-300", "5e-324", "100"])
def test_any_temperature_in_range_samples_valid_text(tiny_run, tmp_path, temperature):
    out = tmp_path / "s"
    assert (
        dispatch(
            [
                "kern",
                "sample",
                str(tiny_run),
                "--length",
                "80",
                "--temperature",
                temperature,
                "--synth",
                "none",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    doc = json.loads((out / "validity.json").read_text())
    assert doc["samples"][0]["finished"]["grammar_error_count"] == 0


@pytest.mark.parametrize("temperature", ["-1", "-1e-300", "nan", "inf", "101", "warm"])
def test_temperatures_out_of_range_are_refused_naming_the_flag(tiny_run, tmp_path, capsys, temperature):
    out = tmp_path / "s"
    assert dispatch(["kern", "sample", str(tiny_run), "--temperature", temperature, "--out", str(out)]) == 2
    assert "--temperature" in _error(capsys) and not out.exists()


def test_draw_tends_to_the_argmax_and_never_picks_a_masked_character():
    rng = np.random.default_rng(0)
    logits = np.array([1.0, 3.0, 2.9, -5.0], dtype=np.float32)
    assert draw(logits, 0.0, rng) == 1
    assert {draw(logits, 1e-300, rng) for _ in range(50)} == {1}
    mask = np.array([True, False, True, True])
    assert {draw(logits, 0.0, rng, mask)} == {draw(logits, 1e-200, rng, mask)} == {2}
    assert {draw(logits, 100.0, rng, mask) for _ in range(300)} == {0, 2, 3}
    assert draw(np.array([np.nan, np.inf, -np.inf]), 1e-9, rng) == 1


def test_expected_shapes_are_the_models():
    for cfg in (CharLSTMConfig(7, 5, 1), CharLSTMConfig(11, 4, 3)):
        own = {k: tuple(v.shape) for k, v in CharLSTM(cfg).state_dict().items()}
        assert expected_shapes(cfg) == own


def _damaged(tiny_run, tmp_path, config=None, blob=None) -> Path:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    if config is not None:
        data = json.loads((run / "config.json").read_text())
        config(data)
        (run / "config.json").write_text(json.dumps(data))
    if blob is not None:
        b = torch.load(run / "model.pt", weights_only=True)
        blob(b)
        torch.save(b, run / "model.pt")
    return run


from tests.fuzz.common import set_key  # noqa: E402


@pytest.mark.parametrize(
    "config,blob,expect",
    [
        (set_key("zzz", 1), None, "unknown key(s) 'zzz'"),
        (set_key("task", "blues"), None, "not a kern run"),
        (set_key("model.hidden", "16"), None, "CharLSTMConfig.hidden should be int"),
        (set_key("model.hidden", 32), None, "weight lstm.weight_ih_l0 has shape (64, 23)"),
        (set_key("model.layers", 2), None, "another architecture"),
        (set_key("model.hidden", 10**12), None, "beyond the limits"),
        (set_key("train.batch", -3), None, "batch must be a whole number in"),
        (set_key("train.lr", None), None, "KernTrainConfig.lr should be float"),
        (set_key("train.nonsense", 1), None, "unknown KernTrainConfig key(s) 'nonsense'"),
        (set_key("chars", "abc"), None, "3 chars but model.vocab_size"),
        (set_key("layout", ["kern", "text"]), None, "layout should be"),
        (lambda d: d.pop("model"), None, "no model"),
        (None, set_key("model_config.dropout", 0.5), "is not config.json's"),
        (None, lambda b: b["state_dict"].pop("head.bias"), "missing head.bias"),
        (None, lambda b: b["state_dict"].__setitem__("extra.w", torch.zeros(1)), "unexpected extra.w"),
        (None, lambda b: b["state_dict"]["head.bias"].fill_(float("nan")), "NaN or infinite"),
        (
            None,
            lambda b: b["state_dict"].__setitem__("head.bias", torch.zeros(23, dtype=torch.long)),
            "not a floating-point tensor",
        ),
        (None, set_key("extra.chars", "x" * 23), "characters are not config.json's"),
    ],
)
def test_a_damaged_run_folder_is_named_when_opened(tiny_run, tmp_path, capsys, config, blob, expect):
    run = _damaged(tiny_run, tmp_path, config, blob)
    out = tmp_path / "out"
    assert dispatch(["kern", "sample", str(run), "--length", "50", "--out", str(out)]) == 2
    err = _error(capsys)
    assert expect in err and str(run) in err and not out.exists(), err


def test_resume_checks_the_resume_checkpoint(tiny_run, tmp_path, capsys):
    run = _damaged(tiny_run, tmp_path)
    corpus = tiny_run.parent / "corpus"
    b = torch.load(run / "resume.pt", weights_only=True)
    b["extra"]["resume"]["optimizer"]["state"][0]["exp_avg"] = torch.zeros(3)
    torch.save(b, run / "resume.pt")
    assert dispatch(_tiny_args(corpus, run)[:-1] + ["3", "--resume"]) == 2
    assert "resume.pt: its optimizer state does not fit" in _error(capsys)
    assert dispatch(_tiny_args(corpus, run)[:-3] + ["--hidden", "8", "--resume"]) == 2
    assert "different: hidden" in _error(capsys)


def test_a_full_disk_during_training_names_the_file_and_leaves_no_partial_file(tmp_path):
    """A file-size limit stands in for a full disk: the first checkpoint cannot be written."""
    for i in range(3):
        (tmp_path / f"p{i}.krn").write_text(PIECE)

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))

    run = tmp_path / "run"
    r = subprocess.run(
        [sys.executable, "-m", "improvise", *_tiny_args(tmp_path, run)],
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"improvise: error: {run / 'resume.pt'}: could not write"), r.stderr
    assert not list(run.glob(".*.tmp")) and not (run / "resume.pt").exists()


def test_torch_save_failing_as_on_a_full_disk_is_one_line(tmp_path, capsys, monkeypatch):
    for i in range(3):
        (tmp_path / f"p{i}.krn").write_text(PIECE)

    def full(obj, f, *a, **k):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 4544 vs 4432")

    monkeypatch.setattr(torch, "save", full)
    run = tmp_path / "run"
    assert dispatch(_tiny_args(tmp_path, run)) == 2
    err = _error(capsys)
    assert f"{run / 'resume.pt'}: could not write this file (" in err and "unexpected pos" in err
    assert not (run / "resume.pt").exists() and not list(run.glob(".*.tmp"))


def test_training_that_diverges_is_refused_not_saved(tmp_path, capsys, monkeypatch):
    from improvise.kern import train

    for i in range(3):
        (tmp_path / f"p{i}.krn").write_text(PIECE)
    monkeypatch.setattr(train, "stream_nll", lambda model, rows, seq=250: float("nan"))
    run = tmp_path / "run"
    assert dispatch(_tiny_args(tmp_path, run)) == 2
    assert "training diverged" in _error(capsys) and not (run / "model.pt").exists()
