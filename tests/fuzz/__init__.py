"""The fuzz suite: malformed inputs for every reader and every flag of every subcommand.

`python -m tests.fuzz` runs all of it (make fuzz) and writes docs/reliability.md;
`python -m tests.fuzz --sample 150` runs a fixed sample of it (tests/test_fuzz.py, make test).
Case families live in `cases_*.py`, each with a `cases(fx) -> list[Case]`; see harness.py.
"""
