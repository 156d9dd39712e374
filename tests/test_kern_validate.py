"""The validator: grammar, verovio in a subprocess, music21 note counts; and the CLI's warnings."""

import json
from pathlib import Path

import pytest

from improvise.cli.main import dispatch
from improvise.kern import validate
from improvise.kern.sample import finish_body
from improvise.kern.validate import grammar_check, validate_kern

BODY = "@\n4C\t8e/L\t.\n.\t8g/J\tp\n8D/ 8F/\t4r\t.\n8G\\\t.\t<\n@\n2C\t2e 2g\t.\n"
GOOD = finish_body(BODY)["kern"]


def test_a_finished_file_passes_all_three_checks():
    r = validate_kern(GOOD)
    assert r["ok"], r
    assert r["grammar_notes"] == r["music21"]["notes"] == 9 and r["verovio"]["notes"] == 9


@pytest.mark.parametrize(
    "text,line,reason",
    [
        (GOOD.replace("8D/ 8F/\t4r\t.", "8D/ 8F/\t4r"), 12, "2 fields where 3"),  # wrong field count
        (GOOD.replace("**kern\t**kern\t**dynam", "**kern\t**zzz\t**dynam"), 2, "unknown exclusive"),
        (GOOD.rsplit("*-", 1)[0].rstrip("\t*-\n") + "\n", 15, "never terminated"),  # truncated spine
        (GOOD.replace("8G\\\t.\t<", "8G\\\t4a\t<"), 13, "'4' not allowed"),  # a note over a sounding one
    ],
)
def test_broken_files_name_the_line(text, line, reason):
    errors = grammar_check(text)["errors"]
    assert errors and errors[0]["line"] == line and reason in errors[0]["reason"], errors


def test_a_wrong_field_count_crashes_verovio_only_in_its_subprocess():
    bad = GOOD.replace("8D/ 8F/\t4r\t.", "8D/ 8F/")
    r = validate_kern(bad)
    assert not r["ok"] and not r["verovio"]["ok"] and r["verovio"]["errors"]


def test_a_verovio_error_line_fails_the_file(monkeypatch):
    script = (
        "import sys, json; sys.stderr.write('[Error] something went wrong\\n'); "
        "print(json.dumps({'notes': 8}))"
    )
    monkeypatch.setattr(validate, "VEROVIO_SCRIPT", script)
    r = validate_kern(GOOD)
    assert not r["ok"] and r["verovio"]["errors"] == ["[Error] something went wrong"] and r["music21"]["ok"]


def test_cli_validate_warns_with_file_and_line(tmp_path, capsys):
    (tmp_path / "good.krn").write_text(GOOD)
    (tmp_path / "fields.krn").write_text(GOOD.replace("8D/ 8F/\t4r\t.", "8D/ 8F/\t4r"))
    files = [str(tmp_path / n) for n in ("good.krn", "fields.krn")]
    assert dispatch(["kern", "validate", *files, "--json", str(tmp_path / "v.json")]) == 1
    out, err = capsys.readouterr()
    assert "good.krn: valid (9 notes)" in out and "fields.krn: INVALID" in out
    assert "fields.krn:12: 2 fields where 3 spines are active" in err and "Traceback" not in err
    assert [f["ok"] for f in json.loads((tmp_path / "v.json").read_text())["files"]] == [True, False]
    assert dispatch(["kern", "validate", str(tmp_path / "good.krn")]) == 0


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"\x00\x01\x02binary", "binary data"),
        (b"", "empty file"),
        (b" \n\n", "empty file"),
        (None, "a folder"),
    ],
)
def test_cli_validate_refuses_a_file_that_is_not_text_before_any_work(tmp_path, capsys, data, reason):
    (tmp_path / "good.krn").write_text(GOOD)
    bad = tmp_path / "bad.krn"
    bad.mkdir() if data is None else bad.write_bytes(data)
    report = tmp_path / "v.json"
    assert dispatch(["kern", "validate", str(tmp_path / "good.krn"), str(bad), "--json", str(report)]) == 2
    out, err = capsys.readouterr()
    assert err == f"improvise: error: {bad}: {reason}" + err.split(reason, 1)[1] and err.count("\n") == 1
    assert out == "" and not report.exists()


def test_latin1_files_are_validated_as_their_text(tmp_path, capsys):
    path = tmp_path / "latin.krn"
    path.write_bytes(GOOD.replace("!!!OTL: improvise", "!!!OTL: Sonate f\u00fcr Klavier").encode("latin-1"))
    assert dispatch(["kern", "validate", str(path)]) == 0, capsys.readouterr()


def test_a_wrong_field_count_is_invalid_not_a_crash(tmp_path, capsys):
    """verovio aborts the process on a wrong field count: only its subprocess may die."""
    path = tmp_path / "fields.krn"
    path.write_text(GOOD.replace("8D/ 8F/\t4r\t.", "8D/ 8F/"))
    assert dispatch(["kern", "validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "INVALID" in out and "internal error" not in err and "Traceback" not in err


def test_a_last_measure_verovio_rejects_is_cut_back_to_the_barline(tmp_path):
    """A real sample (seed 0, #73 of the committed run) whose grammar-accepted last measure verovio's
    rhythm check rejects: the finished file is cut back to its last barline and then passes."""
    from improvise.kern.outputs import finish_and_check
    from improvise.kern.sample import DEFAULT_LAYOUT, finish_body

    text = (Path(__file__).parent / "data" / "kern_sample_rhythm_tail.txt").read_text()
    plain = finish_body(text, DEFAULT_LAYOUT, 120)
    (tmp_path / "plain.krn").write_text(plain["kern"])
    assert not validate_kern(plain["kern"], tmp_path / "plain.krn")["verovio"]["ok"]
    finished, result = finish_and_check(text, DEFAULT_LAYOUT, 120, "t", tmp_path / "cut.krn", None)
    assert result["ok"] and finished["repairs"][-1].startswith("cut back to the last barline")
    assert (tmp_path / "cut.krn").read_text() == finished["kern"]
