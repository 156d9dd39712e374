"""compare, likelihood and bench polyphonic: corpora, model folders and piano-roll files."""

from __future__ import annotations

import json
import shutil

import numpy as np

from tests.fuzz.common import GARBAGE, flag_cases
from tests.fuzz.harness import Case, cli

ABC = """X:1
T:Tune {k}
M:4/4
L:1/8
K:G
"G"GABc dBGB|"C"c2ec "G"B2dB|"D7"A2FA DFAc|"G"B2G2 G4|
"G"dedB "C"c2ec|"G"BdBG "D"A2FA|"G"GABc "D7"dcBA|"G"G2B2 G4|
"""


def _tunes(folder) -> None:
    folder.mkdir(parents=True)
    for k in range(6):
        (folder / f"t{k}.abc").write_text(ABC.format(k=k).replace("X:1", f"X:{k + 1}"))


def _build_compare(folder) -> None:
    tunes = folder.parent / "zoo_tunes"
    if not tunes.exists():
        _tunes(tunes)
    cli(
        "compare",
        "--data",
        str(tunes),
        "--models",
        "markov1,hmm,lstm",
        "--out",
        str(folder),
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--max-samples",
        "1",
        "--quiet",
    )


def _mat(fx, name, **arrays) -> str:
    import scipy.io

    path = fx.path(f"{name}/JSB_Chorales.mat")
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(str(path), arrays)
    return str(path.parent)


def cases(fx) -> list[Case]:
    cmp = fx.built("zoo_compare", _build_compare)
    tunes = cmp.parent / "zoo_tunes"
    out = str(fx.path("zoo-out-never"))
    c: list[Case] = []
    c += flag_cases(
        "compare-flags",
        ["compare", "--data", str(tunes), "--models", "markov1", "--out", out],
        {
            "--epochs": (1, 1_000_000, True),
            "--max-seconds": (0, 7 * 24 * 3600, False),
            "--hidden": (1, 8192, True),
            "--max-samples": (1, 100_000, True),
            "--seed": (0, 2**32 - 1, True),
        },
    )
    c += flag_cases(
        "likelihood-flags", ["likelihood", str(cmp), str(tunes / "t0.abc")], {"--piece": (0, 10**6, True)}
    )
    c += _compare_cases(fx, tunes, out) + _likelihood_cases(fx, cmp, tunes) + _bench_cases(fx)
    c += [
        Case(
            "zoo-ok/likelihood",
            ["likelihood", str(cmp), str(tunes / "t1.abc"), "--model", "markov1"],
            ok=True,
        ),
        Case(
            "zoo-ok/likelihood-lstm",
            ["likelihood", str(cmp / "models" / "lstm"), str(tunes / "t2.abc"), "--json"],
            ok=True,
        ),
        Case(
            "zoo-ok/compare",
            [
                "compare",
                "--data",
                str(tunes),
                "--models",
                "markov2",
                "--out",
                str(fx.path("ok-cmp")),
                "--quiet",
                "--max-samples",
                "1",
            ],
            ok=True,
        ),
    ]
    return c


def _compare_cases(fx, tunes, out) -> list[Case]:
    a_file = fx.write("zoo-a-file", "x")
    c = [
        Case(
            f"compare-models/{k}",
            ["compare", "--data", str(tunes), "--models", m, "--out", out, "--quiet"],
            expect=m.split(",")[-1] or "model",
        )
        for k, m in enumerate(["transformer", "markov", "markovx", "lstm,../x", "hmm2", ",", "LSTM"])
    ]
    c += [
        Case("compare-data/wjd-no-dir", ["compare", "--data", "wjd:blues", "--out", out], expect="--wjd"),
        Case(
            "compare-data/wjd-bad-dir",
            ["compare", "--data", "wjd:blues", "--wjd", str(tunes), "--out", out],
            expect=str(tunes),
        ),
        Case(
            "compare-data/unknown-scheme",
            ["compare", "--data", "music21:nothing", "--out", out],
            expect="music21:nothing",
        ),
        Case(
            "compare-data/missing",
            ["compare", "--data", str(fx.path("no-such")), "--out", out],
            expect="no-such",
        ),
        Case("compare-out/file", ["compare", "--data", str(tunes), "--out", str(a_file)], expect=str(a_file)),
        Case(
            "compare-out/under-file",
            ["compare", "--data", str(tunes), "--out", str(a_file / "d")],
            expect="d",
        ),
    ]
    for name, data in GARBAGE.items():
        for ext in ("abc", "mid", "musicxml", "krn", "xml"):
            folder = fx.path(f"bad-corpus-{name}-{ext}")
            folder.mkdir()
            (folder / f"bad.{ext}").write_bytes(data)
            c.append(
                Case(
                    f"compare-corpus/{name}-{ext}",
                    [
                        "compare",
                        "--data",
                        str(folder),
                        "--models",
                        "markov1",
                        "--out",
                        out,
                        "--on-bad-file",
                        "fail",
                        "--quiet",
                    ],
                    expect="bad." + ext,
                    absent=[out],
                )
            )
    return c


def _model_copy(fx, cmp, name, model, filename, data) -> str:
    folder = fx.path(f"zoo-model-{name}")
    shutil.copytree(cmp / "models" / model, folder)
    target = folder / filename
    if callable(data):
        data = data(target)
    if data is None:
        target.unlink()
    else:
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(folder)


def _likelihood_cases(fx, cmp, tunes) -> list[Case]:
    meta = json.loads((cmp / "models" / "lstm" / "config.json").read_text())
    j = json.dumps
    variants = {
        ("lstm", "config.json"): {
            **GARBAGE,
            "missing": None,
            "no-name": j({**meta, "name": None}),
            "bad-name": j({**meta, "name": "../../x"}),
            "zoo-unknown": j({**meta, "zoo": {**meta["zoo"], "x": 1}}),
            "zoo-type": j({**meta, "zoo": {**meta["zoo"], "hidden": "8"}}),
            "zoo-huge": j({**meta, "zoo": {**meta["zoo"], "hidden": 10**9}}),
            "enc-bad": j({**meta, "encoding": {"min_pitch": 90, "max_pitch": 10}}),
            "enc-unknown": j({**meta, "encoding": {"lowest": 3}}),
            "other-arch": j({**meta, "name": "gru"}),
            "no-zoo": j({"name": "lstm"}),
        },
        ("lstm", "model.pt"): {**{k: v for k, v in GARBAGE.items() if k != "huge_line"}, "missing": None},
        ("markov1", "model.json"): {
            **{k: v for k, v in GARBAGE.items() if k != "huge_line"},
            "missing": None,
            "order-huge": j({"order": 10**9, "n_events": 39, "alpha": 1, "counts": []}),
            "bad-counts": j({"order": 1, "n_events": 39, "alpha": 1, "counts": [[[0], [1]]]}),
            "neg-counts": j({"order": 1, "n_events": 39, "alpha": 1, "counts": [[[0], [-1] * 39]]}),
            "ctx-long": j({"order": 1, "n_events": 39, "alpha": 1, "counts": [[[0, 1, 2], [1] * 39]]}),
            "events": j({"order": 1, "n_events": 5, "alpha": 1, "counts": []}),
            "strings": j({"order": "x", "n_events": 39, "alpha": 1, "counts": []}),
        },
        ("hmm", "model.npz"): {
            **{k: v for k, v in GARBAGE.items() if k != "huge_line"},
            "missing": None,
            "shapes": lambda t: _npz(
                startprob=np.ones(3) / 3, transmat=np.ones((2, 2)), emissionprob=np.ones((3, 39)) / 39
            ),
            "nan": lambda t: _npz(
                startprob=np.full(2, np.nan), transmat=np.eye(2), emissionprob=np.ones((2, 39)) / 39
            ),
            "object": lambda t: _npz(
                startprob=np.array([None, 1], dtype=object),
                transmat=np.eye(2),
                emissionprob=np.ones((2, 39)) / 39,
            ),
        },
    }
    c = []
    for (model, filename), vs in variants.items():
        for vname, data in vs.items():
            folder = _model_copy(fx, cmp, f"{model}-{filename}-{vname}", model, filename, data)
            c.append(
                Case(
                    f"likelihood-model/{model}-{filename}-{vname}",
                    ["likelihood", folder, str(tunes / "t0.abc")],
                    expect=filename if vname != "missing" or filename != "config.json" else "config.json",
                )
            )
    for name, data in GARBAGE.items():
        for ext in ("abc", "mid", "musicxml", "krn"):
            f = fx.write(f"lk-{name}.{ext}", data)
            c.append(
                Case(
                    f"likelihood-file/{name}-{ext}",
                    ["likelihood", str(cmp), str(f), "--model", "markov1"],
                    expect=f.name,
                )
            )
    mid = fx.write("lk-ok.mid", _midi())
    c += [
        Case("likelihood-file/folder", ["likelihood", str(cmp), str(tunes)], expect=str(tunes)),
        Case(
            "likelihood-file/piece",
            ["likelihood", str(cmp), str(mid), "--piece", "5", "--model", "markov1"],
            expect="piece 5",
        ),
        Case(
            "likelihood-run/model-path",
            ["likelihood", str(cmp), str(mid), "--model", "../../x"],
            expect="../../x",
        ),
        Case(
            "likelihood-run/no-model",
            ["likelihood", str(cmp), str(mid), "--model", "markov7"],
            expect="markov7",
        ),
        Case("likelihood-run/not-a-run", ["likelihood", str(tunes), str(mid)], expect=str(tunes)),
        Case("likelihood-run/a-file", ["likelihood", str(mid), str(mid)], expect=str(mid)),
        Case(
            "likelihood-run/single-with-model",
            ["likelihood", str(cmp / "models" / "lstm"), str(mid), "--model", "lstm"],
            expect="--model",
        ),
        Case("likelihood-out/file", ["likelihood", str(cmp), str(mid), "--out", str(mid)], expect=str(mid)),
    ]
    return c


def _midi() -> bytes:
    import io

    import mido

    track = mido.MidiTrack()
    for k, pitch in enumerate([60, 62, 64, 65, 67, 65, 64, 62]):
        track += [
            mido.Message("note_on", note=pitch, velocity=64, time=0 if k == 0 else 0),
            mido.Message("note_off", note=pitch, velocity=0, time=240),
        ]
    buf = io.BytesIO()
    mido.MidiFile(tracks=[track], ticks_per_beat=480).save(file=buf)
    return buf.getvalue()


def _cell(*items) -> np.ndarray:
    """A MATLAB cell array (a 1-D object array) holding `items` as they are."""
    cell = np.empty(len(items), dtype=object)
    for k, item in enumerate(items):
        cell[k] = item
    return cell


def _npz(**arrays) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _bench_cases(fx) -> list[Case]:
    out = str(fx.path("bench-out-never"))
    base = ["bench", "polyphonic", "--data", "jsb", "--out", out, "--quiet"]
    roll = np.zeros((4, 88), dtype=np.uint8)
    roll[:, 40] = 1
    good = {
        "traindata": _cell(roll, roll[:3]),
        "validdata": _cell(roll, roll[:2]),
        "testdata": _cell(roll, roll[:3]),
    }
    ok_dir = _mat(fx, "mat-ok", **good)
    c = flag_cases(
        "bench-flags",
        [*base, "--data-dir", ok_dir],
        {
            "--minutes": (0, 7 * 24 * 60, False),
            "--seed": (0, 2**32 - 1, True),
            "--hidden": (1, 8192, True),
            "--layers": (1, 16, True),
            "--input-dropout": (0, None, False),
            "--dropout": (0, None, False),
            "--output-dropout": (0, None, False),
            "--transpose": (0, 24, True),
            "--batch": (1, 4096, True),
            "--window": (0, 100_000, True),
            "--lr": (None, 10, False),
            "--weight-decay": (0, 10, False),
            "--lr-decay": (None, 1, False),
            "--patience": (1, 10**6, True),
            "--epochs": (1, 10**6, True),
        },
    )
    c += [
        Case(f"bench-flags/dropout-one/{f}", [*base, "--data-dir", ok_dir, f, "1"], expect=f)
        for f in ("--input-dropout", "--dropout", "--output-dropout")
    ]
    bad = {
        "no-test": {k: v for k, v in good.items() if k != "testdata"},
        "wrong-keys": {**good, "traindata": _cell(np.zeros((4, 87)), roll)},
        "strings": {**good, "validdata": _cell("abc", roll)},
        "values": {**good, "testdata": _cell(roll + 7, roll)},
        "empty-seq": {**good, "traindata": _cell(np.zeros((0, 88)), roll)},
        "3d": {**good, "traindata": np.zeros((2, 2, 88))},
    }
    for name, arrays in bad.items():
        c.append(
            Case(
                f"bench-mat/{name}",
                [*base, "--data-dir", _mat(fx, f"mat-{name}", **arrays)],
                expect="JSB_Chorales.mat",
                absent=[out],
            )
        )
    for name, data in GARBAGE.items():
        folder = fx.path(f"mat-garbage-{name}")
        folder.mkdir()
        (folder / "JSB_Chorales.mat").write_bytes(data)
        c.append(
            Case(
                f"bench-mat/garbage-{name}",
                [*base, "--data-dir", str(folder)],
                expect="JSB_Chorales.mat",
                absent=[out],
            )
        )
    a_file = fx.write("bench-a-file", "x")
    c += [
        Case("bench-dir/missing", [*base, "--data-dir", str(fx.path("nowhere-mat"))], expect="nowhere-mat"),
        Case("bench-dir/file", [*base, "--data-dir", str(a_file)], expect=str(a_file)),
        Case(
            "bench-dir/empty", [*base, "--data-dir", str(fx.path("mat-garbage-empty").parent)], expect=".mat"
        ),
        Case(
            "bench-out/file",
            ["bench", "polyphonic", "--data", "jsb", "--data-dir", ok_dir, "--out", str(a_file)],
            expect=str(a_file),
        ),
        Case("bench-out/docs-file", [*base, "--data-dir", ok_dir, "--docs", str(a_file)], expect=str(a_file)),
        Case(
            "bench-data/unknown",
            ["bench", "polyphonic", "--data", "bach", "--data-dir", ok_dir],
            expect="--data",
        ),
        Case(
            "bench-ok/tiny",
            [
                "bench",
                "polyphonic",
                "--data",
                "jsb",
                "--data-dir",
                ok_dir,
                "--out",
                str(fx.path("bench-ok")),
                "--hidden",
                "4",
                "--layers",
                "1",
                "--epochs",
                "1",
                "--quiet",
            ],
            ok=True,
        ),
    ]
    return c
