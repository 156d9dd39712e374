"""`improvise kern prepare|train|sample|validate`: absurd numbers for every numeric flag, bad
--out/--json paths, malformed **kern files, damaged run folders (config.json, model.pt,
resume.pt, the vocabulary), bad primers, and valid tiny inputs that must succeed. The run is
trained once, for a few seconds, on three small pieces written here (never shared/data)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.fuzz.common import GARBAGE, WORDS, damaged, edit_config, flag_cases, set_key
from tests.fuzz.harness import Case, cli

PIECE = (
    "**kern\t**kern\t**dynam\n*clefF4\t*clefG2\t*\n=1-\t=1-\t=1-\n4C\t8e/L\t.\n.\t8g/J\tp\n"
    "8D/ 8F/\t4r\t.\n8G\\\t.\t<\n=2\t=2\t=2\n2C\t2e 2g\t.\n=3\t=3\t=3\n{body}*-\t*-\t*-\n"
)
BODIES = ["4c\t4cc\t.\n4G\t4b\t.\n2C\t2cc\tf\n", "2F\t4a\t.\n.\t4f\t.\n2C\t2e\tp\n", "1C\t1c 1e 1g\tmf\n"]
TINY = ["--hidden", "16", "--layers", "1", "--batch", "2", "--seq", "20", "--quiet"]

TRAIN_FLAGS = {
    "--minutes": (0, 7 * 24 * 60, False),
    "--epochs": (1, 1_000_000, True),
    "--hidden": (1, 8192, True),
    "--layers": (1, 64, True),
    "--dropout": (0, None, False),
    "--seq": (1, 100_000, True),
    "--batch": (1, 100_000, True),
    "--lr": (None, 10, False),
    "--seed": (0, 2**32 - 1, True),
    "--threads": (1, 256, True),
}
SAMPLE_FLAGS = {
    "--n": (1, 10_000, True),
    "--temperature": (0, 100, False),
    "--seed": (0, 2**32 - 1, True),
    "--length": (1, 1_000_000, True),
    "--tempo": (20, 320, True),
}

# **kern texts prepare and train must refuse, each for a reason the error names
BROKEN = {
    "fields-short": PIECE.format(body="").replace("8D/ 8F/\t4r\t.", "8D/ 8F/\t4r"),
    "fields-long": PIECE.format(body="").replace("8D/ 8F/\t4r\t.", "8D/\t4r\t.\t.\t."),
    "fields-thousands": PIECE.format(body="").replace("8D/ 8F/\t4r\t.", "\t".join(["4c"] * 5000)),
    "unknown-spine": PIECE.format(body="").replace("**dynam", "**zzz"),
    "no-barline": "**kern\t**kern\n4c\t4e\n*-\t*-\n",
    "never-terminated": PIECE.format(body="").replace("*-\t*-\t*-\n", ""),
    "lone-join": PIECE.format(body="*v\t*\t*\n"),
    "data-first": "4c\t4e\n" + PIECE.format(body=""),
    "headers-only": "!!!COM: nobody\n!! nothing else\n",
    "spine-bomb": "**kern\n" + "*^\n".join("\t".join(["*"] * 2**k) for k in range(12)) + "\n",
}


def _write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True)
    for i, body in enumerate(BODIES):
        (folder / f"p{i}.krn").write_text(PIECE.format(body=body))


def _build_run(folder: Path) -> None:
    corpus = folder.parent / "kern-corpus-for-run"
    _write_corpus(corpus)
    cli("kern", "train", str(corpus), "--out", str(folder), *TINY, "--epochs", "2", "--minutes", "1")


def cases(fx) -> list[Case]:
    import music21.humdrum  # noqa: F401
    import torch  # noqa: F401  (imported once here, before the children fork: each case starts fast)

    import improvise.kern.outputs  # noqa: F401
    import improvise.kern.train  # noqa: F401

    corpus = fx.built("kern_corpus", _write_corpus)
    run = fx.built("kern_run", _build_run)
    c = _flag_cases(fx, corpus, run) + _usage_cases(fx, corpus, run) + _out_cases(fx, corpus, run)
    c += _file_cases(fx, corpus) + _run_cases(fx, run) + _resume_cases(fx, corpus)
    c += _primer_cases(fx, run) + _ok_cases(fx, corpus, run)
    return c


def _flag_cases(fx, corpus: Path, run: Path) -> list[Case]:
    out = str(fx.path("kern-out-never"))
    c = flag_cases("kern/train-flags", ["kern", "train", str(corpus), "--out", out], TRAIN_FLAGS)
    c += flag_cases("kern/sample-flags", ["kern", "sample", str(run), "--out", out], SAMPLE_FLAGS)
    edges = [
        ("train", "--dropout", "1"),
        ("train", "--lr", "0"),
        ("train", "--lr", "-0"),
        ("train", "--minutes", "-0.1"),
        ("sample", "--temperature", "-1e-300"),
        ("sample", "--temperature", "1e308"),
        ("sample", "--tempo", "120.5"),
        ("sample", "--n", "0"),
        ("sample", "--length", "0"),
    ]
    for k, (cmd, flag, value) in enumerate(edges):
        target = str(corpus) if cmd == "train" else str(run)
        c.append(
            Case(
                f"kern/{cmd}-flags/edge/{k}",
                ["kern", cmd, target, "--out", out, f"{flag}={value}"],
                expect=flag,
                absent=[out],
            )
        )
    return c


def _usage_cases(fx, corpus: Path, run: Path) -> list[Case]:
    out = str(fx.path("kern-usage-out"))
    c = [
        Case(f"kern/synth/{k}", ["kern", "sample", str(run), "--out", out, "--synth", v], expect="--synth")
        for k, v in enumerate(WORDS[:4] + ["FLUIDSYNTH"])
    ]
    c += [
        Case("kern/no-subcommand", ["kern"], expect="kern"),
        Case("kern/unknown-subcommand", ["kern", "compose"], expect="compose"),
        Case("kern/prepare/no-out", ["kern", "prepare", str(corpus)], expect="--out"),
        Case("kern/prepare/no-dirs", ["kern", "prepare", "--out", out], expect="dirs"),
        Case("kern/train/no-out", ["kern", "train", str(corpus)], expect="--out"),
        Case("kern/sample/no-out", ["kern", "sample", str(run)], expect="--out"),
        Case("kern/sample/no-run", ["kern", "sample", "--out", out], expect="run"),
        Case("kern/validate/no-files", ["kern", "validate"], expect="files"),
        Case(
            "kern/train/unknown-flag",
            ["kern", "train", str(corpus), "--out", out, "--bogus"],
            expect="--bogus",
        ),
        Case(
            "kern/sample/unknown-flag",
            ["kern", "sample", str(run), "--out", out, "--n", "1", "2"],
            expect="2",
        ),
        Case(
            "kern/train/batch-longer-than-corpus",
            ["kern", "train", str(corpus), "--out", out, *TINY, "--batch", "5000"],
            expect="--batch",
            absent=[out],
        ),
        Case(
            "kern/train/seq-longer-than-corpus",
            ["kern", "train", str(corpus), "--out", out, "--batch", "1", "--seq", "50000", "--quiet"],
            expect="--seq",
            absent=[out],
        ),
    ]
    big = [
        ("hidden-layers", ["--hidden", "8192", "--layers", "64"]),
        ("batch-seq", ["--batch", "100000", "--seq", "100000"]),
        ("hidden-batch", ["--hidden", "8192", "--batch", "100000", "--seq", "1000"]),
    ]
    c += [
        Case(
            f"kern/train/memory/{name}",
            ["kern", "train", str(corpus), "--out", out, "--quiet", *flags],
            expect="memory",
            absent=[out],
        )
        for name, flags in big
    ]
    return c


def _out_cases(fx, corpus: Path, run: Path) -> list[Case]:
    a_file = fx.write("kern-out-file", "x")
    a_dir = fx.path("kern-out-dir")
    a_dir.mkdir()
    good = corpus / "p0.krn"
    c = []
    for k, out in enumerate([a_file, a_file / "sub", a_file / "sub" / "deeper"]):
        c += [
            Case(
                f"kern/train/out/{k}",
                ["kern", "train", str(corpus), "--out", str(out), *TINY],
                expect=str(a_file),
            ),
            Case(f"kern/sample/out/{k}", ["kern", "sample", str(run), "--out", str(out)], expect=str(a_file)),
        ]
    for k, out in enumerate([a_dir, a_file / "corpus.txt", a_dir / "sub" / "..", Path("/")]):
        c.append(
            Case(
                f"kern/prepare/out/{k}",
                ["kern", "prepare", str(corpus), "--out", str(out)],
                expect=str(out) if k != 1 else str(a_file),
            )
        )
    stats_dir = fx.path("kern-out-stats/corpus.txt")
    Path(str(stats_dir) + ".json").mkdir(parents=True)
    c.append(
        Case(
            "kern/prepare/out-json-is-a-folder",
            ["kern", "prepare", str(corpus), "--out", str(stats_dir)],
            expect=f"{stats_dir}.json",
            absent=[str(stats_dir)],
        )
    )
    c.append(
        Case(
            "kern/prepare/out-is-an-input",
            [
                "kern",
                "prepare",
                str(fx.copy("kern_corpus", "kern-self")),
                "--out",
                str(fx.root / "cases" / "kern-self" / "p1.krn"),
            ],
            expect="p1.krn",
        )
    )
    for k, out in enumerate([a_dir, a_file / "v.json", Path("/")]):
        c.append(
            Case(
                f"kern/validate/json/{k}",
                ["kern", "validate", str(good), "--json", str(out)],
                expect=str(a_file) if k == 1 else str(out),
            )
        )
    c.append(
        Case(
            "kern/train/resume-no-folder",
            ["kern", "train", str(corpus), "--out", str(fx.path("kern-nowhere")), "--resume"],
            expect="kern-nowhere",
        )
    )
    c.append(
        Case(
            "kern/train/resume-a-file",
            ["kern", "train", str(corpus), "--out", str(a_file), "--resume"],
            expect=str(a_file),
        )
    )
    return c


def _bad_files(fx) -> dict[str, Path]:
    """Every malformed input file, by name: garbage bytes, broken **kern, a folder, a pipe."""
    files = {f"garbage-{k}": fx.write(f"kern-bad/garbage-{k}.krn", v) for k, v in GARBAGE.items()}
    files.update({f"kern-{k}": fx.write(f"kern-bad/kern-{k}.krn", v) for k, v in BROKEN.items()})
    folder = fx.path("kern-bad/a-folder.krn")
    folder.mkdir()
    files["folder"] = folder
    pipe = fx.path("kern-bad/a-pipe.krn")
    os.mkfifo(pipe)
    files["pipe"] = pipe
    files["missing"] = fx.path("kern-bad/missing.krn")
    files["dev-null"] = Path("/dev/null")
    return files


UNREADABLE = (
    "garbage-empty",
    "garbage-zeros",
    "garbage-random",
    "garbage-utf16",
    "garbage-pickle",
    "garbage-zip",
    "folder",
    "pipe",
    "missing",
    "dev-null",
)  # not text at all: validate refuses them too


def _file_cases(fx, corpus: Path) -> list[Case]:
    good = corpus / "p0.krn"
    c = []
    for name, path in _bad_files(fx).items():
        out = fx.path(f"kern-file-out-{name}")
        c.append(
            Case(
                f"kern/prepare/file/{name}",
                ["kern", "prepare", str(path), "--out", str(out)],
                expect=str(path),
                absent=[str(out), f"{out}.json"],
            )
        )
        c.append(
            Case(
                f"kern/train/file/{name}",
                ["kern", "train", str(good), str(path), "--out", str(out), *TINY],
                expect=str(path),
                absent=[str(out)],
            )
        )
        if name in UNREADABLE:
            report = fx.path(f"kern-file-report-{name}.json")
            c.append(
                Case(
                    f"kern/validate/file/{name}",
                    ["kern", "validate", str(good), str(path), "--json", str(report)],
                    expect=str(path),
                    absent=[str(report)],
                )
            )
    empty = fx.path("kern-empty-folder")
    empty.mkdir()
    c += [
        Case(
            "kern/prepare/no-krn-files",
            ["kern", "prepare", str(empty), "--out", str(fx.path("k1"))],
            expect=str(empty),
        ),
        Case(
            "kern/train/one-file",
            ["kern", "train", str(good), "--out", str(fx.path("k2")), *TINY],
            expect="two",
        ),
        Case(
            "kern/train/same-file-twice",
            ["kern", "train", str(good), str(good), "--out", str(fx.path("k3")), *TINY],
            expect="two",
        ),
    ]
    return c


def _damage(fx, name: str, edit) -> Path:
    return damaged(fx, "kern_run", name, edit)


def _blob(name: str, edit):
    def apply(run: Path) -> None:
        import torch

        blob = torch.load(run / name, weights_only=True)
        edit(blob)
        torch.save(blob, run / name)

    return apply


def _other_model(hidden: int, layers: int, more_chars: int = 0):
    """model.pt replaced by an untrained CharLSTM of another size, its model_config honest."""

    def apply(run: Path) -> None:
        from improvise.core.runs import save_checkpoint
        from improvise.nn.char_lstm import CharLSTM, CharLSTMConfig

        vocab = len(json.loads((run / "config.json").read_text())["chars"]) + more_chars
        cfg = CharLSTMConfig(vocab, hidden, layers)
        save_checkpoint(run / "model.pt", cfg.to_dict(), CharLSTM(cfg).state_dict(), {})

    return apply


def _writes(name: str, data: bytes):
    """A damage that writes `data` over the run folder's file `name`."""
    return lambda r: (r / name).write_bytes(data)


def _config_damages() -> dict:
    raw = {f"config-{k}": _writes("config.json", v) for k, v in GARBAGE.items() if k != "huge_line"}
    return {
        **raw,
        "config-missing": lambda r: (r / "config.json").unlink(),
        "config-folder": lambda r: ((r / "config.json").unlink(), (r / "config.json").mkdir()),
        "config-unknown-key": edit_config(set_key("colour", "blue")),
        "config-task-blues": edit_config(set_key("task", "blues")),
        "config-task-number": edit_config(set_key("task", 3)),
        "config-blues-run": lambda r: (r / "config.json").write_text(
            json.dumps({"task": "blues", "blues": {}})
        ),
        "config-no-model": edit_config(lambda d: d.pop("model")),
        "config-no-train": edit_config(lambda d: d.pop("train")),
        "config-model-list": edit_config(set_key("model", [16, 1])),
        "config-model-unknown": edit_config(set_key("model.heads", 4)),
        "config-model-missing-vocab": edit_config(lambda d: d["model"].pop("vocab_size")),
        "config-hidden-string": edit_config(set_key("model.hidden", "16")),
        "config-hidden-float": edit_config(set_key("model.hidden", 16.0)),
        "config-hidden-bool": edit_config(set_key("model.hidden", True)),
        "config-hidden-zero": edit_config(set_key("model.hidden", 0)),
        "config-hidden-huge": edit_config(set_key("model.hidden", 10**12)),
        "config-layers-huge": edit_config(set_key("model.layers", 10**6)),
        "config-hidden-other": edit_config(set_key("model.hidden", 32)),
        "config-layers-other": edit_config(set_key("model.layers", 2)),
        "config-dropout-one": edit_config(set_key("model.dropout", 1.0)),
        "config-dropout-null": edit_config(set_key("model.dropout", None)),
        "config-train-unknown": edit_config(set_key("train.colour", 1)),
        "config-train-lr-string": edit_config(set_key("train.lr", "fast")),
        "config-train-batch-negative": edit_config(set_key("train.batch", -3)),
        "config-train-list": edit_config(set_key("train", [])),
        "config-layout-text": edit_config(set_key("layout", ["kern", "text"])),
        "config-layout-string": edit_config(set_key("layout", "kern")),
        "config-layout-empty": edit_config(set_key("layout", [])),
        "config-layout-dynam-only": edit_config(set_key("layout", ["dynam"])),
        "config-layout-many": edit_config(set_key("layout", ["kern"] * 50)),
        "config-corpus-number": edit_config(set_key("corpus", 5)),
    }


def _vocab_damages() -> dict:
    return {
        "vocab-missing": edit_config(lambda d: d.pop("chars")),
        "vocab-empty": edit_config(set_key("chars", "")),
        "vocab-short": edit_config(set_key("chars", "abc")),
        "vocab-list": edit_config(lambda d: d.update(chars=list(d["chars"]))),
        "vocab-number": edit_config(set_key("chars", 23)),
        "vocab-duplicates": edit_config(lambda d: d.update(chars=d["chars"][:-1] + d["chars"][0])),
        "vocab-longer": edit_config(
            lambda d: d.update(
                chars=d["chars"] + "Z", model={**d["model"], "vocab_size": len(d["chars"]) + 1}
            )
        ),
        "vocab-checkpoint-other": _blob(
            "model.pt", lambda b: b["extra"].update(chars="x" * len(b["extra"]["chars"]))
        ),
    }


def _model_damages() -> dict:
    raw = {f"model-{k}": _writes("model.pt", v) for k, v in GARBAGE.items() if k != "huge_line"}
    nan = _blob("model.pt", lambda b: b["state_dict"]["head.bias"].fill_(float("nan")))
    return {
        **raw,
        "model-missing": lambda r: (r / "model.pt").unlink(),
        "model-folder": lambda r: ((r / "model.pt").unlink(), (r / "model.pt").mkdir()),
        "model-truncated": lambda r: (r / "model.pt").write_bytes((r / "model.pt").read_bytes()[:400]),
        "model-other-hidden": _other_model(8, 1),
        "model-other-layers": _other_model(16, 2),
        "model-other-vocab": _other_model(16, 1, 4),
        "model-nan": nan,
        "model-format": _blob("model.pt", set_key("format", "other/1")),
        "model-no-state": _blob("model.pt", lambda b: b.pop("state_dict")),
        "model-state-list": _blob("model.pt", set_key("state_dict", [1, 2])),
        "model-weight-missing": _blob("model.pt", lambda b: b["state_dict"].pop("head.bias")),
        "model-weight-extra": _blob(
            "model.pt", lambda b: b["state_dict"].update(extra=b["state_dict"]["head.bias"])
        ),
        "model-weight-int": _blob(
            "model.pt", lambda b: b["state_dict"].update({"head.bias": b["state_dict"]["head.bias"].long()})
        ),
        "model-weight-string": _blob("model.pt", lambda b: b["state_dict"].update({"head.bias": "zeros"})),
        "model-config-dropout": _blob("model.pt", set_key("model_config.dropout", 0.5)),
        "model-extra-list": _blob("model.pt", set_key("extra", [1])),
    }


def _run_cases(fx, run: Path) -> list[Case]:
    damages = {**_config_damages(), **_vocab_damages(), **_model_damages()}
    c = []
    for name, edit in damages.items():
        bad = _damage(fx, f"kern-run-{name}", edit)
        out = fx.path(f"kern-run-out-{name}")
        c.append(
            Case(
                f"kern/run/{name}",
                ["kern", "sample", str(bad), "--length", "30", "--synth", "none", "--out", str(out)],
                expect=str(bad),
                absent=[str(out)],
            )
        )
    a_file = fx.write("kern-run-a-file", "x")
    c += [
        Case(
            "kern/run/missing",
            ["kern", "sample", str(fx.path("kern-no-run")), "--out", str(fx.path("k4"))],
            expect="kern-no-run",
        ),
        Case(
            "kern/run/a-file",
            ["kern", "sample", str(a_file), "--out", str(fx.path("k5"))],
            expect=str(a_file),
        ),
        Case(
            "kern/run/empty-folder",
            ["kern", "sample", str(fx.copy("kern_corpus", "kern-run-corpus")), "--out", str(fx.path("k6"))],
            expect="kern-run-corpus",
        ),
    ]
    return c


def _resume_cases(fx, corpus: Path) -> list[Case]:
    damages = {
        "resume-missing": lambda r: (r / "resume.pt").unlink(),
        "resume-garbage": lambda r: (r / "resume.pt").write_bytes(GARBAGE["random"]),
        "resume-empty": lambda r: (r / "resume.pt").write_bytes(b""),
        "resume-no-state": _blob("resume.pt", lambda b: b["extra"].pop("resume")),
        "resume-state-list": _blob("resume.pt", set_key("extra.resume", [])),
        "resume-weights-other": _blob("resume.pt", lambda b: b["extra"]["resume"]["model"].pop("head.bias")),
        "resume-epoch-string": _blob("resume.pt", set_key("extra.resume.epoch", "two")),
        "resume-history": _blob("resume.pt", set_key("extra.resume.history", None)),
        "resume-optimizer": _blob(
            "resume.pt", set_key("extra.resume.optimizer", {"state": {}, "param_groups": []})
        ),
        "resume-moments": _blob(
            "resume.pt",
            lambda b: b["extra"]["resume"]["optimizer"]["state"][0].update(
                exp_avg=b["extra"]["resume"]["optimizer"]["state"][0]["exp_avg"][:1]
            ),
        ),
        "resume-config-garbage": lambda r: (r / "config.json").write_bytes(GARBAGE["zeros"]),
        "resume-config-unknown": edit_config(set_key("colour", 1)),
    }
    c = []
    for name, edit in damages.items():
        bad = _damage(fx, f"kern-{name}", edit)
        c.append(
            Case(
                f"kern/train/{name}",
                ["kern", "train", str(corpus), "--out", str(bad), *TINY, "--epochs", "3", "--resume"],
                expect=str(bad),
            )
        )
    other = fx.copy("kern_run", "kern-resume-other-settings")
    c += [
        Case(
            "kern/train/resume-other-hidden",
            ["kern", "train", str(corpus), "--out", str(other), *TINY, "--hidden", "8", "--resume"],
            expect="hidden",
        ),
        Case(
            "kern/train/resume-other-corpus",
            [
                "kern",
                "train",
                str(corpus / "p0.krn"),
                str(corpus / "p2.krn"),
                "--out",
                str(other),
                *TINY,
                "--resume",
            ],
            expect=str(other),
        ),
    ]
    return c


def _primer_cases(fx, run: Path) -> list[Case]:
    primers = {
        "unseen": "Z",
        "unicode": "é",
        "breaks-grammar": "**",
        "too-many-fields": "4c\\t4c\\t.\\t.\\t.",
        "bad-duration": "7c",
        "barline-mid-line": "4c\\t@",
        "long-unseen": "x" * 5000,
    }
    c = []
    for name, primer in primers.items():
        out = fx.path(f"kern-primer-out-{name}")
        c.append(
            Case(
                f"kern/primer/{name}",
                ["kern", "sample", str(run), "--primer", primer, "--length", "30", "--out", str(out)],
                expect="--primer",
                absent=[str(out)],
            )
        )
    return c


def _ok_cases(fx, corpus: Path, run: Path) -> list[Case]:
    good, mixed = corpus / "p0.krn", fx.copy("kern_corpus", "kern-ok-mixed")
    (mixed / "broken.krn").write_text(BROKEN["fields-short"])
    (mixed / "junk.krn").write_bytes(GARBAGE["zeros"])
    latin = fx.write(
        "kern-ok/latin.krn", ("!!!OTL: f\u00fcr Elise\n" + PIECE.format(body="")).encode("latin-1")
    )
    sample = ["kern", "sample", str(run), "--length", "40", "--synth", "none"]
    c = [
        Case("kern/ok/prepare", ["kern", "prepare", str(corpus), "--out", str(fx.path("ok1.txt"))], ok=True),
        Case(
            "kern/ok/prepare-skips-bad-files",
            ["kern", "prepare", str(mixed), "--out", str(fx.path("ok2.txt"))],
            ok=True,
        ),
        Case(
            "kern/ok/prepare-latin1",
            ["kern", "prepare", str(latin), "--out", str(fx.path("ok3.txt"))],
            ok=True,
        ),
        Case(
            "kern/ok/validate", ["kern", "validate", str(good), "--json", str(fx.path("ok4.json"))], ok=True
        ),
        Case("kern/ok/validate-latin1", ["kern", "validate", str(latin)], ok=True),
        Case(
            "kern/ok/train",
            ["kern", "train", str(corpus), "--out", str(fx.path("ok5")), *TINY, "--epochs", "1"],
            ok=True,
            timeout=60,
        ),
        Case(
            "kern/ok/train-resume",
            [
                "kern",
                "train",
                str(corpus),
                "--out",
                str(fx.copy("kern_run", "ok6")),
                *TINY,
                "--epochs",
                "3",
                "--minutes",
                "1",
                "--resume",
            ],
            ok=True,
            timeout=60,
        ),
        Case("kern/ok/sample", sample + ["--out", str(fx.path("ok7"))], ok=True, timeout=60),
        Case(
            "kern/ok/sample-numpy-audio",
            sample + ["--synth", "numpy", "--n", "2", "--out", str(fx.path("ok8"))],
            ok=True,
            timeout=90,
        ),
    ]
    extra = [
        ["--temperature", "0"],
        ["--temperature", "1e-300"],
        ["--temperature", "100"],
        ["--no-grammar"],
        ["--primer", ""],
        ["--primer", "@\\n4C"],
        ["--tempo", "20"],
        ["--tempo", "320"],
        ["--seed", "4294967295"],
        ["--length", "1"],
    ]
    c += [
        Case(f"kern/ok/sample/{k}", sample + flags + ["--out", str(fx.path(f"ok-s{k}"))], ok=True, timeout=60)
        for k, flags in enumerate(extra)
    ]
    return c
