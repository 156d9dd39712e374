"""`improvise kern train` and `kern sample` end to end on a tiny corpus and a tiny model; the same
seed writes the same bytes."""

import json
from pathlib import Path

import pytest

from improvise.cli.main import dispatch
from improvise.kern.train import split_by_file

PIECE = """**kern\t**kern\t**dynam
*clefF4\t*clefG2\t*
=1-\t=1-\t=1-
4C\t8e/L\t.
.\t8g/J\tp
8D/ 8F/\t4r\t.
8G\\\t.\t<
=2\t=2\t=2
2C\t2e 2g\t.
*-\t*-\t*-
"""


def test_split_by_file_is_seeded_and_keeps_both_sides():
    names = [f"f{i}.krn" for i in range(20)]
    a, b = split_by_file(names, 0.1, 0), split_by_file(list(reversed(names)), 0.1, 0)
    assert a == b and len(a["valid"]) == 2 and not set(a["valid"]) & set(a["train"])
    assert split_by_file(names, 0.1, 1)["valid"] != a["valid"]


def test_train_then_sample_writes_every_output(tmp_path, capsys):
    for i in range(4):
        (tmp_path / f"p{i}.krn").write_text(PIECE)
    run, out = tmp_path / "run", tmp_path / "out"
    args = [
        "kern",
        "train",
        str(tmp_path),
        "--out",
        str(run),
        "--hidden",
        "16",
        "--layers",
        "1",
        "--batch",
        "2",
        "--seq",
        "20",
        "--quiet",
    ]
    assert dispatch(args + ["--epochs", "2"]) == 0
    assert {"config.json", "split.json", "metrics.json", "model.pt", "resume.pt"} <= {
        p.name for p in run.iterdir()
    }
    assert list((run / "checkpoints").glob("epoch00*_*.pt"))  # named by the validation loss
    assert dispatch(args + ["--epochs", "3", "--resume"]) == 0
    assert json.loads((run / "metrics.json").read_text())["epochs_run"] == 3
    assert (
        dispatch(
            [
                "kern",
                "sample",
                str(run),
                "--n",
                "1",
                "--length",
                "150",
                "--out",
                str(out),
                "--synth",
                "numpy",
                "--seed",
                "2",
            ]
        )
        == 0
    )
    names = {p.name for p in out.iterdir()}
    assert {"sample_000.krn", "sample_000.raw.txt", "validity.json"} <= names
    doc = json.loads((out / "validity.json").read_text())
    s = doc["samples"][0]
    assert s["finished"]["grammar_error_count"] == 0 and "raw_with_basics" in s
    if s["finished"]["ok"] and s["finished"]["grammar_notes"]:
        assert {"sample_000.musicxml", "sample_000.mid", "sample_000.svg", "sample_000.wav"} <= names
    assert "pass the validator" in capsys.readouterr().out
    assert dispatch(["kern", "sample", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert dispatch(["kern", "sample", str(run), "--primer", "Z", "--out", str(out)]) == 2


TIMING_KEYS = {"sample_seconds", "validate_seconds"}  # validity.json's only fields that may differ


def _tiny_args(corpus: Path, run: Path) -> list[str]:
    return [
        "kern",
        "train",
        str(corpus),
        "--out",
        str(run),
        "--hidden",
        "16",
        "--layers",
        "1",
        "--batch",
        "2",
        "--seq",
        "20",
        "--quiet",
        "--epochs",
        "2",
    ]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kern")
    (root / "corpus").mkdir()
    for i in range(3):
        (root / "corpus" / f"p{i}.krn").write_text(PIECE)
    assert dispatch(_tiny_args(root / "corpus", root / "run")) == 0
    return root / "run"


def _without_timing(obj):
    if isinstance(obj, dict):
        return {k: _without_timing(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_without_timing(v) for v in obj]
    return obj


def test_kern_sample_with_one_seed_writes_the_same_bytes_twice(tiny_run, tmp_path):
    """Every file byte for byte (.krn, .raw.txt, MusicXML, SVG, MIDI, WAV), validity.json but
    for its timing fields: verovio's SVG ids are seeded, MusicXML's part ids and date stable."""
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert (
            dispatch(
                [
                    "kern",
                    "sample",
                    str(tiny_run),
                    "--n",
                    "2",
                    "--length",
                    "150",
                    "--seed",
                    "7",
                    "--synth",
                    "numpy",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    assert {".krn", ".musicxml", ".svg", ".mid", ".wav"} <= {Path(n).suffix for n in names}, names
    for name in names:
        a, b = (out / name for out in outs)
        if name == "validity.json":
            assert _without_timing(json.loads(a.read_text())) == _without_timing(json.loads(b.read_text()))
        else:
            assert a.read_bytes() == b.read_bytes(), name
