"""The blues commands (corpus, train, generate, sweep), render, gradcheck and the top level."""

from __future__ import annotations

import json
import shutil

from tests.fuzz.common import GARBAGE, flag_cases
from tests.fuzz.harness import Case, cli

TRAIN_FLAGS = {
    "--corpus-choruses": (1, 10_000, True),
    "--corpus-seed": (0, 2**32 - 1, True),
    "--chord-hidden": (1, 8192, True),
    "--melody-hidden": (1, 8192, True),
    "--forget-bias": (-100, 100, False),
    "--epochs": (1, 1_000_000, True),
    "--lr": (None, 10, False),
    "--lr-decay-every": (1, 1_000_000, True),
    "--lr-decay": (None, 1, False),
    "--clip": (None, 1e6, False),
    "--streams": (1, 4096, True),
    "--restart-streams": (0, 4096, True),
    "--chunk": (1, 100_000, True),
    "--threads": (1, 256, True),
}
GEN_FLAGS = {
    "--choruses": (1, 10_000, True),
    "--seed": (0, 2**32 - 1, True),
    "--tempo": (20, 400, False),
    "--chord-temperature": (0, 100, False),
    "--pitch-temperature": (0, 100, False),
}
RENDER_FLAGS = {"--tempo": (20, 400, False), "--max-choruses": (1, 1000, True), "--swing": (0.5, 1, False)}
GRAD_FLAGS = {
    "--seed": (0, 2**32 - 1, True),
    "--per-tensor": (1, 1000, True),
    "--steps": (2, 1000, True),
    "--chord-hidden": (1, 256, True),
    "--melody-hidden": (1, 256, True),
    "--tolerance": (0, 1e6, False),
}


def _build_run(folder) -> None:
    cli("blues", "train", "--out", str(folder), "--epochs", "6", "--snapshot-every", "3", "--quiet")
    cli("blues", "generate", str(folder), "--choruses", "2")


def cases(fx) -> list[Case]:
    run = fx.built("blues_run", _build_run)
    out = str(fx.path("blues-out-never"))
    c: list[Case] = []
    c += flag_cases("blues-train-flags", ["blues", "train", "--out", out], TRAIN_FLAGS)
    c += flag_cases("blues-generate-flags", ["blues", "generate", str(run), "--out", out], GEN_FLAGS)
    c += flag_cases(
        "blues-sweep-flags",
        ["blues", "sweep", "--out", out],
        {"--choruses": (1, 10_000, True), "--state-clip": (0, 1e6, False)},
    )
    c += flag_cases(
        "blues-corpus-flags",
        ["blues", "corpus"],
        {"--choruses": (1, 10_000, True), "--seed": (0, 2**32 - 1, True)},
    )
    c += flag_cases("render-flags", ["render", str(run)], RENDER_FLAGS)
    c += flag_cases("gradcheck-flags", ["gradcheck"], GRAD_FLAGS)
    c += [
        Case(f"gradcheck-flags/eps/{k}", ["gradcheck", "--eps", v], expect="--eps")
        for k, v in enumerate(["0", "1", "-1", "nan", "2", "x"])
    ]
    c += _sweep_seed_cases(out) + _out_cases(fx, run) + _top_level_cases()
    c += _checkpoint_cases(fx, run) + _render_cases(fx, run)
    c += [
        Case("blues-ok/corpus", ["blues", "corpus", "--choruses", "2"], ok=True),
        Case(
            "blues-ok/generate",
            ["blues", "generate", str(run), "--out", str(fx.path("ok-gen")), "--choruses", "3"],
            ok=True,
        ),
        Case(
            "blues-ok/train",
            [
                "blues",
                "train",
                "--out",
                str(fx.path("ok-train")),
                "--epochs",
                "2",
                "--quiet",
                "--snapshot-every",
                "0",
            ],
            ok=True,
        ),
        Case("blues-ok/gradcheck", ["gradcheck", "--steps", "4", "--per-tensor", "2"], ok=True),
    ]
    return c


def _sweep_seed_cases(out: str) -> list[Case]:
    bad = [
        "0-100000",
        "a-b",
        "",
        ",",
        "5-1",
        "-1",
        "0-99999999999999999",
        "1e3",
        "0--3",
        "4294967296",
        "0,,1",
    ]
    return [
        Case(
            f"blues-sweep-seeds/{k}",
            ["blues", "sweep", "--out", out, "--seeds", s, "--quiet"],
            expect="--seeds",
        )
        for k, s in enumerate(bad)
    ]


def _out_cases(fx, run) -> list[Case]:
    a_file = fx.write("out-is-a-file", "x")
    under = str(a_file / "sub")
    c = [
        Case(
            "blues-out/train-file",
            ["blues", "train", "--out", str(a_file), "--epochs", "1"],
            expect=str(a_file),
        ),
        Case("blues-out/train-under-file", ["blues", "train", "--out", under, "--epochs", "1"], expect="sub"),
        Case(
            "blues-out/generate-file",
            ["blues", "generate", str(run), "--out", str(a_file)],
            expect=str(a_file),
        ),
        Case("blues-out/generate-under-file", ["blues", "generate", str(run), "--out", under], expect="sub"),
        Case(
            "blues-out/sweep-file",
            ["blues", "sweep", "--out", str(a_file), "--seeds", "0"],
            expect=str(a_file),
        ),
        Case(
            "blues-out/train-bad-flag-leaves-nothing",
            ["blues", "train", "--out", str(fx.path("never1")), "--epochs", "0"],
            expect="--epochs",
            absent=[str(fx.path("never1"))],
        ),
    ]
    return c


def _top_level_cases() -> list[Case]:
    argvs = [
        [],
        ["frobnicate"],
        ["blues"],
        ["blues", "nope"],
        ["render"],
        ["kern"],
        ["leadsheet"],
        ["corpus"],
        ["blues", "train"],
        ["blues", "generate"],
        ["--bogus"],
        ["blues", "train", "--out", "x", "--arch", "y"],
        ["blues", "train", "--out", "x", "--cell", "lstm2"],
        ["blues", "sweep", "--setup", "x"],
        ["blues", "sweep", "--experiment", "3"],
        ["blues", "generate", "x", "--feedback", "maybe"],
        ["render", "x", "--synth", "casio"],
        ["blues", "corpus", "--print", "--json", "--x"],
    ]
    return [Case(f"top-level/{k}", a) for k, a in enumerate(argvs)]


def _ckpt(fx, run, name, mutate) -> str:
    """A copy of the run whose model.pt is rewritten by `mutate(blob)` (torch.save of the result)."""
    import torch

    folder = fx.path(f"ckpt-{name}")
    shutil.copytree(run, folder)
    blob = torch.load(folder / "model.pt", weights_only=True)
    new = mutate(blob)
    if isinstance(new, bytes):
        (folder / "model.pt").write_bytes(new)
    else:
        torch.save(new, folder / "model.pt")
    return str(folder)


def _checkpoint_cases(fx, run) -> list[Case]:
    import torch

    def sd(f):
        def m(b):
            b["state_dict"] = f(dict(b["state_dict"]))
            return b

        return m

    def mc(**kw):
        def m(b):
            b["model_config"] = {**b["model_config"], **kw}
            return b

        return m

    def blues(**kw):
        def m(b):
            b["extra"] = {"blues": {**b["extra"]["blues"], **kw}}
            return b

        return m

    first = "chord_rnn.weight_ih_l0"
    muts = {
        **{f"bytes-{k}": (lambda b, v=v: v) for k, v in GARBAGE.items()},
        "truncated": lambda b: (run / "model.pt").read_bytes()[:200],
        "not-a-dict": lambda b: [1, 2, 3],
        "no-format": lambda b: {k: v for k, v in b.items() if k != "format"},
        "other-format": lambda b: {**b, "format": "improvise.kern/1"},
        "no-state": lambda b: {k: v for k, v in b.items() if k != "state_dict"},
        "state-list": lambda b: {**b, "state_dict": [1, 2]},
        "missing-key": sd(lambda d: {k: v for k, v in d.items() if k != first}),
        "extra-key": sd(lambda d: {**d, "bogus.weight": torch.zeros(2)}),
        "wrong-shape": sd(lambda d: {**d, first: torch.zeros(3, 3)}),
        "nan-weights": sd(lambda d: {**d, first: torch.full_like(d[first], float("nan"))}),
        "int-weights": sd(lambda d: {**d, first: d[first].long()}),
        "not-tensor": sd(lambda d: {**d, first: 3}),
        "cfg-huge": mc(chord_hidden=10**12),
        "cfg-negative": mc(melody_hidden=-4),
        "cfg-unknown": mc(colour="blue"),
        "cfg-type": mc(chord_hidden="32"),
        "cfg-cell": mc(cell="transformer"),
        "cfg-missing": lambda b: {**b, "model_config": {"chord_hidden": 3}},
        "cfg-list": lambda b: {**b, "model_config": [1]},
        "cfg-bigger": mc(chord_hidden=64),
        "cfg-inputs": mc(chord_inputs=[999]),
        "blues-unknown": blues(flavour="sad"),
        "blues-type": blues(choruses="eight"),
        "blues-arch": blues(arch="circular"),
        "blues-train-type": blues(train={"epochs": "many"}),
        "blues-train-unknown": blues(train={"speed": 3}),
        "blues-train-bad": blues(train={"epochs": 0}),
        "blues-none": lambda b: {**b, "extra": {}},
        "blues-bool": blues(choruses=True),
        "blues-huge-corpus": blues(choruses=10**9),
    }
    c = []
    for name, mut in muts.items():
        folder = _ckpt(fx, run, name, mut)
        c.append(
            Case(
                f"blues-checkpoint/generate-{name}",
                ["blues", "generate", folder, "--out", str(fx.path(f"never-{name}"))],
                expect="model.pt",
                absent=[str(fx.path(f"never-{name}"))],
            )
        )
        c.append(
            Case(f"blues-checkpoint/render-{name}", ["render", folder, "--synth", "numpy"], expect="model.pt")
        )
    empty = fx.path("empty-run")
    empty.mkdir()
    dir_ckpt = fx.path("dir-ckpt")
    shutil.copytree(run, dir_ckpt)
    (dir_ckpt / "model.pt").unlink()
    (dir_ckpt / "model.pt").mkdir()
    c += [
        Case("blues-checkpoint/empty-folder", ["blues", "generate", str(empty)], expect=str(empty)),
        Case("blues-checkpoint/folder-model", ["blues", "generate", str(dir_ckpt)], expect="model.pt"),
        Case(
            "blues-checkpoint/run-is-file",
            ["blues", "generate", str(run / "config.json")],
            expect="config.json",
        ),
        Case("blues-checkpoint/missing", ["blues", "generate", str(fx.path("nowhere"))], expect="nowhere"),
    ]
    return c


def _damaged(fx, run, name, filename, data) -> str:
    folder = fx.path(f"render-{name}")
    shutil.copytree(run, folder)
    target = folder / filename
    if data is None:
        target.unlink()
    elif data == "DIR":
        target.unlink()
        target.mkdir()
    else:
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(folder)


def _render_cases(fx, run) -> list[Case]:
    tokens = json.loads((run / "tokens.json").read_text())
    j = json.dumps
    bad = {
        "tokens.json": {
            **{k: v for k, v in GARBAGE.items() if k != "huge_line"},
            "missing": None,
            "dir": "DIR",
            "no-chords": j({"pitches": [0]}),
            "strings": j({"chords": ["C7"], "pitches": ["C"]}),
            "floats": j({"chords": [0.5], "pitches": [0.5]}),
            "bools": j({"chords": [True], "pitches": [False]}),
            "negative": j({"chords": [-1], "pitches": [0]}),
            "big": j({"chords": [99], "pitches": [0]}),
            "unequal": j({"chords": tokens["chords"], "pitches": tokens["pitches"][:-1]}),
            "empty": j({"chords": [], "pitches": []}),
            "nested": j({"chords": [[0]], "pitches": [[0]]}),
            "huge-int": j({"chords": [10**30], "pitches": [0]}),
            "too-long": j({"chords": [0] * 960_200, "pitches": [0] * 960_200}),
        },
        "config.json": {
            **{k: v for k, v in GARBAGE.items() if k not in ("huge_line", "empty")},
            "kern": j({"task": "kern"}),
            "blues-list": j({"blues": [1]}),
            "blues-unknown": j({"blues": {"x": 1}}),
            "blues-type": j({"blues": {"choruses": "8"}}),
            "blues-bad": j({"blues": {"arch": "x"}}),
            "dir": "DIR",
        },
        "metrics.json": {
            **{k: v for k, v in GARBAGE.items() if k not in ("huge_line", "empty")},
            "gen-list": j({"generation": [1]}),
            "gen-strings": j({"generation": {"per_chorus_bar_onset": ["a"]}}),
            "dir": "DIR",
        },
        "history.json": {
            **{k: v for k, v in GARBAGE.items() if k not in ("huge_line",)},
            "no-loss": j({"acc": [1]}),
            "unequal": j({"loss": [1, 2], "chord_loss": [1]}),
            "nan": '{"loss": [NaN]}',
            "strings": j({"loss": ["a"]}),
            "dict-values": j({"loss": {"a": 1}}),
            "dir": "DIR",
        },
        "snapshots.json": {
            **{k: v for k, v in GARBAGE.items() if k not in ("huge_line",)},
            "not-list": j({"snapshots": 3}),
            "bad-epoch": j({"snapshots": [{"epoch": 10**6, "chords": [0], "pitches": [0]}]}),
            "bad-ids": j({"snapshots": [{"epoch": 1, "chords": [7], "pitches": [0]}]}),
            "missing-keys": j({"snapshots": [{"epoch": 1}]}),
            "dir": "DIR",
        },
    }
    c = []
    for filename, variants in bad.items():
        for vname, data in variants.items():
            folder = _damaged(fx, run, f"{filename}-{vname}", filename, data)
            c.append(
                Case(f"render/{filename}-{vname}", ["render", folder, "--synth", "numpy"], expect=filename)
            )
    c += _soundfont_cases(fx, run)
    ok = fx.path("render-ok")
    shutil.copytree(run, ok)
    c.append(
        Case(
            "render-ok/plain",
            ["render", str(ok), "--synth", "numpy", "--max-choruses", "1"],
            ok=True,
            timeout=60,
        )
    )
    return c


def _soundfont_cases(fx, run) -> list[Case]:
    """--soundfont: garbage, a RIFF file of another kind, a truncated and a corrupted SoundFont."""
    import os

    body = b"sfbk" + bytes((i * 7919) & 255 for i in range(4000))
    fonts = {
        **{k: v for k, v in GARBAGE.items() if k != "huge_line"},
        "riff-wave": b"RIFF" + (4).to_bytes(4, "little") + b"WAVE",
        "truncated": b"RIFF" + (10**6).to_bytes(4, "little") + b"sfbkLIST",
        "fake-body": b"RIFF" + len(body).to_bytes(4, "little") + body,
    }
    c = []
    for name, data in fonts.items():
        sf = fx.write(f"font-{name}.sf2", data)
        for synth in ("fluidsynth", "auto"):
            c.append(
                Case(
                    f"render-soundfont/{name}-{synth}",
                    ["render", str(run), "--synth", synth, "--soundfont", str(sf)],
                    expect=sf.name,
                )
            )
    folder = fx.path("font-folder.sf2")
    os.makedirs(folder, exist_ok=True)
    c.append(
        Case("render-soundfont/folder", ["render", str(run), "--soundfont", str(folder)], expect=folder.name)
    )
    c.append(
        Case(
            "render-soundfont/missing",
            ["render", str(run), "--soundfont", str(fx.path("none.sf2"))],
            expect="none.sf2",
        )
    )
    return c
