import json
from pathlib import Path

import pytest

from improvise.cli.main import dispatch
from improvise.kern.prepare import KernError, next_spine_count, prepare_text

KERN = Path(__file__).resolve().parents[2] / "shared" / "data" / "kern"
GOOD = """!!!COM: Someone
**kern\t**kern
*clefF4\t*clefG2
=1-\t=1-
4C\t4e
!	! a comment
*^\t*
4D\t4F\t4f
*v\t*v\t*
=2\t=2
8QE\t8g
*-\t*-
"""


def test_prepare_keeps_the_body_marks_barlines_and_fixes_grace_notes():
    p = prepare_text(GOOD)
    assert p.body == ["@", "4C\t4e", "*^\t*", "4D\t4F\t4f", "*v\t*v\t*", "@", "8qE\t8g", "*-\t*-"]
    assert p.grace_fixed == 1 and p.spines == {2: 2, 3: 1}


def test_spine_counts():
    assert next_spine_count(["*^", "*"], 1) == 3
    assert next_spine_count(["*v", "*v", "*"], 1) == 2
    assert next_spine_count(["*-", "*-"], 1) == 0
    with pytest.raises(KernError):
        next_spine_count(["*v", "*"], 7)


@pytest.mark.parametrize(
    "text,line,reason",
    [
        (GOOD.replace("4D\t4F\t4f", "4D\t4F"), 8, "2 fields where 3"),  # wrong field count
        (GOOD.replace("**kern\t**kern", "**kern\t**zzz"), 2, "unknown exclusive"),  # unknown spine type
        (GOOD.rsplit("*-", 1)[0].rstrip("\t*-\n") + "\n", 11, "never terminated"),  # truncated: no *-
    ],
)
def test_invalid_files_name_the_line(text, line, reason):
    with pytest.raises(KernError) as e:
        prepare_text(text)
    assert e.value.line == line and reason in e.value.reason


def test_cli_skips_bad_files_with_a_warning(tmp_path, capsys):
    (tmp_path / "good.krn").write_text(GOOD)
    (tmp_path / "junk.krn").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "fields.krn").write_text(GOOD.replace("4D\t4F\t4f", "4D"))
    out = tmp_path / "corpus.txt"
    assert dispatch(["kern", "prepare", str(tmp_path), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "junk.krn:0: binary data" in err and "fields.krn:8:" in err and "Traceback" not in err
    stats = json.loads((tmp_path / "corpus.txt.json").read_text())
    assert stats["kept"] == 1 and stats["files"] == 3 and len(stats["skipped"]) == 2
    assert out.read_text().startswith("@\n4C\t4e")
    assert dispatch(["kern", "prepare", str(tmp_path / "nowhere"), "--out", str(out)]) == 2


@pytest.mark.skipif(not KERN.is_dir(), reason="shared/data is not beside the checkout")
def test_every_shared_sonata_prepares(tmp_path):
    from improvise.kern.prepare import prepare_corpus

    stats = prepare_corpus([KERN / "mozart", KERN / "beethoven"], tmp_path / "k.txt")
    assert stats["files"] == 171 and stats["kept"] == 171 and stats["grace_Q_to_q"] > 0
    assert "@" in stats["vocabulary"] and stats["vocabulary_size"] < 100
