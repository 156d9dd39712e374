# Everything a fresh machine needs: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := runs/demo

.PHONY: install demo test bench results clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/improvise blues train --out $(DEMO) --seed 0
	$(BIN)/improvise blues generate $(DEMO) --choruses 4 --seed 0

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m improvise.bench --out docs/benchmarks.md

results: install
	$(BIN)/python -m improvise.results --out docs/results.md

clean:
	rm -rf $(VENV) runs .pytest_cache
