"""Every kind of run folder the package writes is recognised and opened by one call, and a
command given a kind it cannot use says which kinds it takes."""

import shutil

import pytest

from improvise.cli.main import dispatch
from improvise.core.errors import UserError
from improvise.core.run_kinds import KINDS, load_run, run_kind
from tests.fuzz.cases_solo import write_tiny_wjd
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
    body = "**kern\t**kern\n*M4/4\t*M4/4\n=1\t=1\n4C\t4c\n4D\t4d\n4E\t4e\n4F\t4f\n=2\t=2\n1G\t1g\n==\t==\n*-\t*-\n"
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
        "solo": [
            "solo-train",
            "--wjd",
            str(wjd),
            "--out",
            str(root / "solo"),
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--no-augment",
            "--quiet",
        ],
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
        (["render", str(runs["kern"])], "improvise render takes blues runs"),
        (["blues", "generate", str(runs["solo"])], "takes blues runs"),
        (["likelihood", str(runs["blues"]), str(tmp_path / "x.abc")], "takes zoo or compare runs"),
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
