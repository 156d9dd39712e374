"""`improvise kern train` and `kern sample` end to end on a tiny corpus and a tiny model."""
import json

from improvise.cli import dispatch
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
    args = ["kern", "train", str(tmp_path), "--out", str(run), "--hidden", "16", "--layers", "1", "--batch", "2",
            "--seq", "20", "--quiet"]
    assert dispatch(args + ["--epochs", "2"]) == 0
    assert {"config.json", "split.json", "metrics.json", "model.pt", "resume.pt"} <= {p.name for p in run.iterdir()}
    assert list((run / "checkpoints").glob("epoch00*_*.pt"))  # named by the validation loss
    assert dispatch(args + ["--epochs", "3", "--resume"]) == 0
    assert json.loads((run / "metrics.json").read_text())["epochs_run"] == 3
    assert dispatch(["kern", "sample", str(run), "--n", "1", "--length", "150", "--out", str(out),
                     "--synth", "numpy", "--seed", "2"]) == 0
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
