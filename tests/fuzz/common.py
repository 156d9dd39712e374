"""Pieces the case families share: bad values for numeric flags and damaged files."""

from __future__ import annotations

import json

from tests.fuzz.harness import Case

WORDS = ["abc", "", "1,5", "0x10", "--", "½"]  # never a number


def bad_numbers(lo=None, hi=None, integer=True) -> list[str]:
    """Values outside [lo, hi] or not numbers at all, for a flag with that range."""
    vals = ["nan", "inf", "-inf", "1e309", *WORDS]
    if integer:
        vals += ["1.5", "1e3"]
    if lo is not None:
        vals += [str(lo - 1), str(lo - 10**12)]
    if hi is not None:
        vals += [str(hi + 1), "999999999999999999999"]
    return vals


def flag_cases(prefix: str, argv: list[str], flags: dict, tail: list[str] | None = None) -> list[Case]:
    """One case per bad value of each flag: `flags` maps '--flag' to (lo, hi, integer)."""
    cases = []
    for flag, (lo, hi, integer) in flags.items():
        for k, value in enumerate(bad_numbers(lo, hi, integer)):
            cases.append(
                Case(
                    f"{prefix}/{flag.lstrip('-')}/{k}", [*argv, f"{flag}={value}", *(tail or [])], expect=flag
                )
            )
    return cases


GARBAGE = {
    "empty": b"",
    "zeros": b"\0" * 4096,
    "random": bytes((i * 2654435761 >> 7) & 255 for i in range(3000)),
    "text": b"hello, this is not the file you are looking for\n",
    "utf16": "title: x\n| C7 |\n".encode("utf-16"),
    "json_list": b"[1, 2, 3]",
    "json_null": b"null",
    "json_trunc": b'{"a": [1, 2',
    "pickle": b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94.",
    "zip": b"PK\x03\x04" + b"\0" * 100,
    "huge_line": b"x" * 2_000_000,
}


def dumps(obj) -> str:
    return json.dumps(obj)


def damaged(fx, key: str, name: str, edit):
    """A private copy of the fixture folder `key`, changed by `edit(folder)`."""
    run = fx.copy(key, name)
    edit(run)
    return run


def edit_config(edit):
    """An edit that loads a run's config.json, applies `edit(doc)` and writes it back."""
    from pathlib import Path

    def apply(run: Path) -> None:
        doc = json.loads((run / "config.json").read_text())
        edit(doc)
        (run / "config.json").write_text(json.dumps(doc))

    return apply


def set_key(where: str, value):
    """An edit of a nested dict: set_key('model.hidden', 3) sets d['model']['hidden'] = 3."""

    def edit(d):
        *keys, last = where.split(".")
        for k in keys:
            d = d[k]
        d[last] = value

    return edit
