"""`improvise solo` and `improvise solo-train`: absurd flags, damaged run folders, bad --out, bad
lead sheets, and valid tiny runs that must succeed. The soloist is trained once on a tiny
WJD-like corpus written here (the suite never needs shared/data)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

from tests.fuzz.common import GARBAGE, WORDS, damaged, edit_config, flag_cases
from tests.fuzz.harness import Case, cli

NOTES_HEADER = (
    "melid,bar,beat,tatum,division,beats_per_bar,chorus,phrase,onset_s,duration_s,pitch,chord,key\n"
)
SOLOS_HEADER = (
    "melid,performer,title,instrument,style,rhythmfeel,key,signature,avgtempo,tonality_type,form,"
    "chorus_count,number_notes,chord_changes\n"
)
SHEET = "title: Tiny\nkey: F\n|: F7 | Bb7 :| C-7 F7 | F#m7b5 B7b9 |\n"


def write_tiny_wjd(folder, n_solos: int = 24, bars: int = 4, seed: int = 0, blues: bool = True) -> Path:
    """A WJD CSV export of `n_solos` short random solos (4/4, eighth notes, WJD chord spellings);
    odd ones are blues (none with `blues=False`)."""
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chords = ["F7", "Bb7", "C-7", "Ebj7", "G79b", "D-7b5", "NC"]
    rows, solos = [], []
    for melid in range(1, n_solos + 1):
        for bar in range(1, bars + 1):
            chord = chords[rng.randrange(len(chords))]
            for beat in range(1, 5):
                for tatum in (1, 2):
                    if rng.random() < 0.6:
                        rows.append(
                            f"{melid},{bar},{beat},{tatum},2,4,1,1,0.0,0.2,"
                            f"{rng.randrange(55, 80)},{chord},F-maj"
                        )
        kind = "BLUES" if blues and melid % 2 else "FUNCTIONAL"
        solos.append(f"{melid},P{melid},Tune {melid},ts,BEBOP,SWING,F-maj,4/4,160,{kind},,1,0,")
    with gzip.open(folder / "wjd_notes.csv.gz", "wt") as f:
        f.write(NOTES_HEADER + "\n".join(rows) + "\n")
    (folder / "wjd_solos.csv").write_text(SOLOS_HEADER + "\n".join(solos) + "\n")
    return folder


def tiny_train_argv(wjd: Path, out: Path) -> list[str]:
    """`improvise solo-train` of a tiny soloist (one epoch, 8 units, in C) on `wjd`."""
    return ["solo-train", "--wjd", str(wjd), "--out", str(out), "--epochs", "1", "--hidden", "8"] + [
        "--no-augment",
        "--quiet",
    ]


def _build_run(folder: Path) -> None:
    cli(*tiny_train_argv(write_tiny_wjd(folder.parent / (folder.name + "-wjd")), folder))


def _build_solo(folder: Path, run: Path, sheet: Path) -> None:
    cli("solo", "--model", str(run), "--leadsheet", str(sheet), "--out", str(folder), "--synth", "none")


SOLO_FLAGS = {
    "--choruses": (1, 10_000, True),
    "--tempo": (20, 400, False),
    "--low": (0, 127, True),
    "--high": (0, 127, True),
    "--density": (-50, 50, False),
    "--strong-tones": (-20, 20, False),
    "--other-tones": (-20, 20, False),
    "--motif": (-20, 20, False),
    "--seed": (0, 2**32 - 1, True),
    "--temperature": (0, 100, False),
}
TRAIN_FLAGS = {"--epochs": (1, 1_000_000, True), "--hidden": (1, 4096, True), "--seed": (0, 2**32 - 1, True)}


def cases(fx) -> list[Case]:
    import music21.musicxml.xmlToM21  # noqa: F401
    import torch  # noqa: F401  (imported once here, before the children fork: each case starts fast)

    run = fx.built("solo_run", _build_run)
    wjd = run.parent / (run.name + "-wjd")
    sheet = fx.write("solo-sheet.txt", SHEET)
    done = fx.built("solo_done", lambda f: _build_solo(f, run, sheet))
    out = str(fx.path("solo-out-never"))
    base = ["solo", "--model", str(run), "--leadsheet", str(sheet), "--out", out, "--synth", "none"]
    c = flag_cases("solo/flags", base, SOLO_FLAGS)
    c += [
        Case(
            f"solo/flags/temperature-zero/{k}",
            base[:-4] + ["--out", str(fx.path(f"t0-{k}")), "--synth", "none", "--temperature", v],
            ok=True,
        )
        for k, v in enumerate(["0", "-0"])
    ]  # 0 is the argmax, as everywhere
    c += flag_cases(
        "solo/train-flags", ["solo-train", "--wjd", str(wjd), "--out", out, "--quiet"], TRAIN_FLAGS
    )
    c += _word_cases(base, out, wjd) + _out_cases(fx, run, sheet, wjd) + _run_cases(fx, run, sheet)
    c += _sheet_cases(fx, run) + _train_cases(fx, wjd)
    c += _ok_cases(fx, run, sheet, done)
    return c


def _word_cases(base: list[str], out: str, wjd: Path) -> list[Case]:
    c = [
        Case(f"solo/key/{k}", base + ["--key", v], expect="key")
        for k, v in enumerate(["H", "1", "Cx", "--", "zz", "é"])
    ]
    c += [
        Case(f"solo/regenerate/{k}", base + ["--regenerate", v], expect="regenerate" if k < 6 else None)
        for k, v in enumerate(["a-b", "0-1", "5-3", "-1", "1", "1-2-3", "１-2", "1-999999999"])
    ]
    c += [Case(f"solo/synth/{k}", base + ["--synth", v], expect="--synth") for k, v in enumerate(WORDS[:4])]
    c += [
        Case(f"solo/grid/{k}", ["solo-train", "--wjd", str(wjd), "--out", out, "--grid", v], expect="--grid")
        for k, v in enumerate(["8th", "", "16"])
    ]
    c += [
        Case(
            f"solo/subset/{k}",
            ["solo-train", "--wjd", str(wjd), "--out", out, "--subset", v],
            expect="--subset",
        )
        for k, v in enumerate(["none", "ALL", ""])
    ]
    c += [
        Case("solo/high-below-low", base + ["--low", "80", "--high", "60"], expect="low"),
        Case("solo/choruses-past-max-bars", base + ["--choruses", "10000"], expect="bars"),
        Case("solo/missing-leadsheet-flag", ["solo", "--out", out], expect="--leadsheet"),
    ]
    return c


def _out_cases(fx, run: Path, sheet: Path, wjd: Path) -> list[Case]:
    a_file = fx.write("solo-out-file", "x")
    under = a_file / "sub"
    c = []
    for k, out in enumerate([a_file, under]):
        c.append(
            Case(
                f"solo/out/{k}",
                ["solo", "--model", str(run), "--leadsheet", str(sheet), "--out", str(out)],
                expect=str(a_file),
            )
        )
        c.append(
            Case(
                f"solo/train-out/{k}",
                ["solo-train", "--wjd", str(wjd), "--out", str(out), "--epochs", "1"],
                expect=str(a_file),
            )
        )
    return c


def _damage(fx, name: str, edit) -> Path:
    return damaged(fx, "solo_run", name, edit)


def _checkpoint(edit):
    def apply(run: Path) -> None:
        import torch

        blob = torch.load(run / "model.pt", weights_only=True)
        edit(blob)
        torch.save(blob, run / "model.pt")

    return apply


def _weights(edit):
    """A damage that edits the sampler's weights.npz (a dict of arrays) and writes it back."""

    def apply(run: Path) -> None:
        import numpy as np

        with np.load(run / "weights.npz") as z:
            w = {k: z[k].copy() for k in z.files}
        edit(w)
        np.savez(run / "weights.npz", **w)

    return apply


def _run_cases(fx, run: Path, sheet: Path) -> list[Case]:
    import numpy as np

    damages = {
        "config-unknown-key": edit_config(lambda d: d["solo"].update(colour="blue")),
        # a training setting missing reads as its default (older runs); the network's may not
        "config-missing-key": edit_config(lambda d: d["model"].pop("hidden")),
        "config-wrong-type": edit_config(lambda d: d["solo"].update(hidden="128")),
        "config-bool-as-int": edit_config(lambda d: d["solo"].update(hidden=True)),
        "config-grid": edit_config(lambda d: d["solo"].update(steps_per_beat=48)),
        "config-task": edit_config(lambda d: d.update(task="blues")),
        "config-solo-list": edit_config(lambda d: d.update(solo=[1, 2])),
        "config-calibration-text": edit_config(lambda d: d.update(calibration="high")),
        "config-calibration-nan": edit_config(lambda d: d.update(calibration={"strong_tones": float("nan")})),
        "config-calibration-huge": edit_config(lambda d: d.update(calibration={"other_tones": 1e300})),
        "config-calibration-bool": edit_config(lambda d: d.update(calibration={"other_tones": True})),
        "config-garbage": lambda r: (r / "config.json").write_bytes(GARBAGE["random"]),
        "config-empty": lambda r: (r / "config.json").write_text(""),
        "config-array": lambda r: (r / "config.json").write_text("[]"),
        "config-missing": lambda r: (r / "config.json").unlink(),
        "model-garbage": lambda r: (r / "model.pt").write_bytes(GARBAGE["random"]),
        "model-pickle": lambda r: (r / "model.pt").write_bytes(GARBAGE["pickle"]),
        "model-empty": lambda r: (r / "model.pt").write_bytes(b""),
        "model-truncated": lambda r: (r / "model.pt").write_bytes((r / "model.pt").read_bytes()[:300]),
        "model-other-hidden": _checkpoint(lambda b: b["model_config"].update(hidden=64)),
        "model-other-inputs": _checkpoint(lambda b: b["model_config"].update(input_size=7)),
        "model-huge-hidden": _checkpoint(lambda b: b["model_config"].update(hidden=10**9)),
        "model-cell": _checkpoint(lambda b: b["model_config"].update(cell="transformer")),
        "model-config-extra": _checkpoint(lambda b: b["model_config"].update(heads=8)),
        "model-config-missing": _checkpoint(lambda b: b.pop("model_config")),
        "model-weights-missing": _checkpoint(lambda b: b["state_dict"].pop(next(iter(b["state_dict"])))),
        "model-weights-shape": _checkpoint(
            lambda b: b["state_dict"].update({k: v[:1] for k, v in list(b["state_dict"].items())[:1]})
        ),
        "model-format": _checkpoint(lambda b: b.update(format="other/1")),
        "weights-garbage": lambda r: (r / "weights.npz").write_bytes(GARBAGE["random"]),
        "weights-pickle": lambda r: (r / "weights.npz").write_bytes(GARBAGE["pickle"]),
        "weights-empty": lambda r: (r / "weights.npz").write_bytes(b""),
        "weights-truncated": lambda r: (r / "weights.npz").write_bytes((r / "weights.npz").read_bytes()[:99]),
        "weights-missing": lambda r: (r / "weights.npz").unlink(),
        "weights-shape": _weights(lambda w: w.update({"head.bias": w["head.bias"][:-1]})),
        "weights-nan": _weights(lambda w: w["head.weight"].fill(np.nan)),
        "weights-ints": _weights(lambda w: w.update({"head.bias": w["head.bias"].astype(np.int64)})),
        "weights-array-missing": _weights(lambda w: w.pop("leap.weight")),
        "weights-other-checkpoint": _weights(lambda w: w.update(model_pt_sha256=np.zeros(32, np.uint8))),
        "fragments-garbage": lambda r: (r / "fragments.npy").write_bytes(GARBAGE["random"]),
        "fragments-missing": lambda r: (r / "fragments.npy").unlink(),
        "fragments-objects": lambda r: np.save(r / "fragments.npy", np.array([{"a": 1}], dtype=object)),
        "fragments-floats": lambda r: np.save(r / "fragments.npy", np.zeros(3)),
        "fragments-2d": lambda r: np.save(r / "fragments.npy", np.zeros((2, 2), dtype=np.int64)),
    }
    c = []
    for name, edit in damages.items():
        bad = _damage(fx, f"solo-run-{name}", edit)
        out = fx.path(f"solo-run-out-{name}")
        c.append(
            Case(
                f"solo/run/{name}",
                [
                    "solo",
                    "--model",
                    str(bad),
                    "--leadsheet",
                    str(sheet),
                    "--out",
                    str(out),
                    "--synth",
                    "none",
                ],
                expect=str(bad),
                absent=[str(out / "solo.mid")],
            )
        )
    c.append(
        Case(
            "solo/run/missing",
            [
                "solo",
                "--model",
                str(fx.path("no-run")),
                "--leadsheet",
                str(sheet),
                "--out",
                str(fx.path("o1")),
            ],
            expect="no-run",
        )
    )
    c.append(
        Case(
            "solo/run/is-a-file",
            ["solo", "--model", str(sheet), "--leadsheet", str(sheet), "--out", str(fx.path("o2"))],
            expect=str(sheet),
        )
    )
    return c


def _sheet_cases(fx, run: Path) -> list[Case]:
    sheets = {
        "unparsed": "| C7 | Qm7 |\n",
        "empty": "",
        "binary": GARBAGE["random"],
        "zeros": GARBAGE["zeros"],
        "huge-time": "time: 99999999/4\n| C |\n",
        "seven-eight": "time: 7/8\n| C |\n",
        "too-many-bars": "| C " * 10_001 + "|\n",
        "comments-only": "# nothing\n; here\n",
        "repeat-bomb": "| C :| " * 5001 + "\n",
        "ls-unbalanced": "(title x\n F7 | Bb7 |",  # 10,002 bars played
        "ireal-empty": "irealb://",
        "mxl-garbage": GARBAGE["zip"],
    }
    names = {"ls-unbalanced": "x.ls", "mxl-garbage": "x.mxl"}
    c = []
    for name, data in sheets.items():
        f = fx.write(f"solo-sheet-{name}-" + names.get(name, "x.txt"), data)
        out = fx.path(f"solo-sheet-out-{name}")
        c.append(
            Case(
                f"solo/leadsheet/{name}",
                ["solo", "--model", str(run), "--leadsheet", str(f), "--out", str(out), "--synth", "none"],
                expect=str(f) if name != "unparsed" else "Qm7",
                absent=[str(out / "solo.mid")],
            )
        )
    c += [
        Case(
            "solo/leadsheet/wjd-no-folder",
            ["solo", "--model", str(run), "--leadsheet", "wjd:1", "--out", str(fx.path("o3"))],
            expect="--wjd",
        ),
        Case(
            "solo/leadsheet/title-no-standards",
            ["solo", "--model", str(run), "--leadsheet", "Some Title", "--out", str(fx.path("o4"))],
            expect="--standards",
        ),
    ]
    return c


def _train_cases(fx, wjd: Path) -> list[Case]:
    folders = {"missing": fx.path("no-wjd"), "file": fx.write("wjd-is-a-file", "x")}
    empty = fx.path("wjd-empty")
    empty.mkdir()
    folders["empty"] = empty
    c = [
        Case(
            f"solo/train-wjd/{k}",
            ["solo-train", "--wjd", str(p), "--out", str(fx.path(f"tw-{k}")), "--quiet"],
            expect=str(p),
        )
        for k, p in folders.items()
    ]
    one = write_tiny_wjd(fx.path("wjd-one-solo"), n_solos=3, blues=False)
    c.append(
        Case(
            "solo/train-wjd/no-training-solos",
            [
                "solo-train",
                "--wjd",
                str(one),
                "--subset",
                "blues",
                "--out",
                str(fx.path("tw-one")),
                "--quiet",
                "--epochs",
                "1",
            ],
        )
    )
    return c


def _ok_cases(fx, run: Path, sheet: Path, done: Path) -> list[Case]:
    from tests.fuzz.cases_leadsheet import IMPRO, ireal_link

    ls = fx.write("solo-ok.ls", IMPRO)
    regen = fx.copy("solo_done", "solo-regen")
    return [
        Case(
            "solo/ok/text",
            [
                "solo",
                "--model",
                str(run),
                "--leadsheet",
                str(sheet),
                "--out",
                str(fx.path("ok1")),
                "--synth",
                "none",
                "--key",
                "Eb",
                "--choruses",
                "2",
            ],
            ok=True,
            timeout=60,
        ),
        Case(
            "solo/ok/impro-visor",
            [
                "solo",
                "--model",
                str(run),
                "--leadsheet",
                str(ls),
                "--out",
                str(fx.path("ok2")),
                "--synth",
                "none",
            ],
            ok=True,
            timeout=60,
        ),
        Case(
            "solo/ok/ireal",
            [
                "solo",
                "--model",
                str(run),
                "--leadsheet",
                ireal_link(),
                "--out",
                str(fx.path("ok3")),
                "--synth",
                "numpy",
                "--tempo",
                "300",
            ],
            ok=True,
            timeout=60,
        ),
        Case(
            "solo/ok/regenerate",
            [
                "solo",
                "--model",
                str(run),
                "--leadsheet",
                str(sheet),
                "--out",
                str(regen),
                "--synth",
                "none",
                "--regenerate",
                "2-3",
                "--seed",
                "5",
            ],
            ok=True,
            timeout=60,
        ),
        Case(
            "solo/regenerate-past-end",
            [
                "solo",
                "--model",
                str(run),
                "--leadsheet",
                str(sheet),
                "--out",
                str(fx.copy("solo_done", "solo-regen2")),
                "--synth",
                "none",
                "--regenerate",
                "4-99",
            ],
            expect="--regenerate",
        ),
        Case(
            "solo/ok/train",
            [
                "solo-train",
                "--wjd",
                str(run.parent / (run.name + "-wjd")),
                "--out",
                str(fx.path("ok-train")),
                "--epochs",
                "1",
                "--hidden",
                "4",
                "--quiet",
                "--grid",
                "triplet",
                "--subset",
                "blues",
            ],
            ok=True,
            timeout=60,
        ),
    ]
