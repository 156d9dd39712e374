"""Every kind of run folder the package writes is recognised and opened by one call, and a
command given a kind it cannot use says which kinds it takes."""

import json
import shutil

import pytest

from improvise.cli.main import dispatch
from improvise.core.errors import UserError
from improvise.core.run_kinds import KINDS, load_run, run_kind
from tests.fuzz.cases_solo import tiny_train_argv, write_tiny_wjd
from tests.fuzz.cases_zoo import ABC

SHEET = "title: t\ntime: 4/4\nkey: F\n| F7 | Bb7 | F7 | C7 |\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One tiny folder of every kind, written by the package's own commands."""
    root = tmp_path_factory.mktemp("kinds")
    tunes = root / "tunes"
    tunes.mkdir()
    for k in range(4):
        (tunes / f"t{k}.abc").write_text(ABC.format(k=k).replace("X:1", f"X:{k + 1}"))
    kern = root / "kern-corpus"
    kern.mkdir()
    body = (
        "**kern\t**kern\n*M4/4\t*M4/4\n=1\t=1\n4C\t4c\n4D\t4d\n4E\t4e\n4F\t4f\n"
        "=2\t=2\n1G\t1g\n==\t==\n*-\t*-\n"
    )
    for k in range(3):
        (kern / f"p{k}.krn").write_text(body)
    wjd = write_tiny_wjd(root / "wjd")
    commands = {
        "blues": [
            "blues",
            "train",
            "--out",
            str(root / "blues"),
            "--epochs",
            "2",
            "--quiet",
            "--snapshot-every",
            "0",
        ],
        "solo": tiny_train_argv(wjd, root / "solo"),
        "kern": [
            "kern",
            "train",
            str(kern),
            "--out",
            str(root / "kern"),
            "--hidden",
            "8",
            "--layers",
            "1",
            "--batch",
            "2",
            "--seq",
            "16",
            "--epochs",
            "1",
            "--quiet",
        ],
        "compare": [
            "compare",
            "--data",
            str(tunes),
            "--models",
            "markov1",
            "--out",
            str(root / "compare"),
            "--quiet",
            "--max-samples",
            "1",
        ],
        "jam": [
            "jam",
            "--simulate",
            "demo",
            "--out",
            str(root / "jam"),
            "--synth",
            "none",
            "--model",
            "markov",
        ],
        "sweep": [
            "blues",
            "sweep",
            "--seeds",
            "0",
            "--choruses",
            "1",
            "--epochs",
            "2",
            "--out",
            str(root / "sweep"),
            "--quiet",
        ],
    }
    for kind, argv in commands.items():
        assert dispatch(argv) == 0, kind
    folders = {kind: root / kind for kind in commands}
    folders["zoo"] = root / "compare" / "models" / "markov1"
    return folders


def test_every_kind_the_package_writes_is_recognised_and_opened(runs):
    assert set(runs) | {"polyphonic"} == set(KINDS)  # polyphonic: tests/test_polyphonic.py writes one
    for kind, folder in runs.items():
        assert run_kind(folder) == kind
        got, loaded = load_run(folder)
        assert got == kind and (loaded is not None) == (KINDS[kind][1] is not None)


def test_a_command_says_which_kinds_it_takes(runs, tmp_path, capsys):
    with pytest.raises(UserError, match="a soloist .*; improvise render takes blues runs"):
        load_run(runs["solo"], accept=("blues",), command="improvise render")
    for argv, needle in (
        (["render", str(runs["kern"])], "improvise render takes blues or jam runs"),
        (["blues", "generate", str(runs["solo"])], "takes blues runs"),
        (["likelihood", str(runs["blues"]), str(tmp_path / "x.abc")], "takes zoo, compare or solo runs"),
    ):
        (tmp_path / "x.abc").write_text(ABC.format(k=0))
        assert dispatch(argv) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="not a run folder"):
        run_kind(empty)
    odd = tmp_path / "odd"
    shutil.copytree(runs["blues"], odd)
    (odd / "config.json").write_text('{"task": "painting"}')
    with pytest.raises(UserError, match="unknown task 'painting'"):
        run_kind(odd)


def test_jam_takes_a_zoo_model_and_names_the_kinds_it_takes(runs, tmp_path, capsys):
    out = tmp_path / "jam-zoo"
    argv = ["jam", "--simulate", "demo", "--out", str(out), "--synth", "none", "--mode", "improv"]
    assert dispatch([*argv, "--model", str(runs["zoo"])]) == 0
    session = json.loads((out / "session.json").read_text())
    assert session["notes"]["machine"] > 0, session["notes"]  # the zoo model answered
    assert dispatch([*argv[:4], str(tmp_path / "jam-kern"), *argv[5:], "--model", str(runs["kern"])]) == 2
    err = capsys.readouterr().err
    assert "improvise jam --model takes blues or zoo runs" in err and err.count("\n") == 1, err


def test_checkpoints_carry_their_kind_and_format(runs, tmp_path):
    import torch

    from improvise.core.runs import FORMATS, load_checkpoint, save_checkpoint

    path = tmp_path / "m.pt"
    save_checkpoint(path, {}, {"w": torch.zeros(2)}, kind="solo")
    assert load_checkpoint(path, "solo")["format"] == FORMATS["solo"]
    with pytest.raises(UserError, match="a solo run .*; this takes blues runs"):
        load_checkpoint(path, "blues")
    blob = torch.load(path, weights_only=True)
    blob["format"] = "improvise.solo/99"
    torch.save(blob, path)
    with pytest.raises(UserError, match="written by a newer improvise"):
        load_checkpoint(path, "solo")
    newer = tmp_path / "newer"
    shutil.copytree(runs["blues"], newer)
    doc = json.loads((newer / "config.json").read_text())
    (newer / "config.json").write_text(json.dumps({**doc, "format": "improvise.blues/99"}))
    with pytest.raises(UserError, match="newer improvise"):
        run_kind(newer)


def test_render_takes_a_jam_session(runs, tmp_path):
    session = tmp_path / "jam"
    shutil.copytree(runs["jam"], session)
    assert dispatch(["render", str(session), "--synth", "numpy"]) == 0
    done = json.loads((session / "render.json").read_text())
    assert done["kind"] == "jam" and done["audio"]["synth"] == "numpy"
    for name in ("session.wav", "session_roll.png", "report.html"):
        assert (session / name).stat().st_size > 1000, name
    counts = json.loads((session / "session.json").read_text())["notes"]
    # every note the session counted is in the picture's legend count (render reads session.mid)
    assert all(done["notes"].get(role, 0) == n for role, n in counts.items() if n), (done["notes"], counts)
    assert "session.wav" in (session / "report.html").read_text()


def test_a_run_folder_of_an_older_version_reads_its_time_budget_in_minutes(runs, tmp_path):
    # before the shared training core (issue 14) kern and polyphonic configs held "minutes"
    old = tmp_path / "kern-old"
    shutil.copytree(runs["kern"], old)
    doc = json.loads((old / "config.json").read_text())
    doc["train"].pop("max_seconds")
    doc["train"]["minutes"] = 2.5
    (old / "config.json").write_text(json.dumps(doc))
    from improvise.kern.runfolder import read_run_config

    assert read_run_config(old)["train_config"].max_seconds == 150.0
    assert load_run(old)[0] == "kern"


def test_every_model_folder_records_its_kind_and_format(runs, tmp_path):
    from improvise.core.runs import FORMATS, load_checkpoint

    for kind in ("blues", "solo", "kern", "zoo"):
        doc = json.loads((runs[kind] / "config.json").read_text())
        assert (doc.get("task"), doc.get("format")) == (kind, FORMATS[kind]), (kind, doc.get("format"))
        if (runs[kind] / "model.pt").is_file():
            assert load_checkpoint(runs[kind] / "model.pt", kind)["format"] == FORMATS[kind]
    # a kern checkpoint is not read as a zoo model's, nor a folder stamped with another kind's format
    with pytest.raises(UserError, match="a kern run .*; this takes zoo runs"):
        load_checkpoint(runs["kern"] / "model.pt", "zoo")
    other = tmp_path / "kern-as-zoo"
    shutil.copytree(runs["kern"], other)
    doc = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**doc, "format": FORMATS["zoo"]}))
    with pytest.raises(UserError, match="this takes kern runs"):
        load_run(other)
