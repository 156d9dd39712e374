# Everything a fresh machine needs: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := runs/demo

SYSDEPS := fluidsynth timgm6mb-soundfont chromium

.PHONY: install sysdeps demo lint test fuzz bench results clean

install: $(STAMP)

# Debian packages: FluidSynth and a small GM soundfont for audio, Chromium for the report test.
# Installed when apt-get is there and we are root (CI); elsewhere a note, and the numpy
# synthesizer and a skipped browser test stand in.
sysdeps:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  missing=""; for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "apt-get install$$missing"; { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null; } || \
	    echo "warning: could not install$$missing; audio falls back to numpy, the browser test skips"; fi; \
	else echo "note: install $(SYSDEPS) with your package manager for FluidSynth audio and the browser test"; fi

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: install sysdeps
	$(BIN)/improvise blues train --out $(DEMO) --seed 0
	$(BIN)/improvise blues generate $(DEMO) --choruses 4 --seed 0
	$(BIN)/improvise render $(DEMO)

# ruff (settings in pyproject.toml): the lint rules and the formatting, checked, nothing rewritten.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install sysdeps lint
	$(BIN)/python -m pytest

# Every case of the fuzz suite (tests/fuzz): malformed input for every reader and flag; writes
# docs/reliability.md, then floods `improvise jam --osc` with 10,000 OSC messages (about 2 min).
# make test runs a fixed sample of the cases.
fuzz: install
	OMP_NUM_THREADS=1 $(BIN)/python -m tests.fuzz --docs docs/reliability.md
	$(BIN)/python -m improvise.live.bench --append docs/reliability.md

bench: install sysdeps
	$(BIN)/python -m improvise.experiments.bench --out docs/benchmarks.md
	$(BIN)/python -m improvise.studio.bench --append docs/benchmarks.md  # headless Chromium, about 11 minutes

WJD := ../shared/data/wjd

results: install
	$(BIN)/python -m improvise.experiments.results --out docs/results.md $(if $(wildcard $(WJD)/wjd_solos.csv),--wjd $(WJD))

clean:
	rm -rf $(VENV) runs .pytest_cache

KERN := ../shared/data/kern

# The **kern character LSTM (issue 6): docs/kern/ (two runs of at most 30 minutes, 100 + 100 samples).
.PHONY: results-kern
results-kern: install
	$(BIN)/python -m improvise.experiments.kern --kern $(KERN) --out docs/kern --run runs/kern-mozart-2x256-d035 \
	  --hidden 256 --layers 2 --dropout 0.35 --minutes 29 --baseline-run runs/kern-mozart

# The polyphonic piano-roll bench (issue 5): docs/polyphonic/{jsb,nottingham}.json and .png.
.PHONY: results-polyphonic
results-polyphonic: install
	$(BIN)/improvise bench polyphonic --data jsb --data-dir ../shared/data/polyphonic --out runs/polyphonic/jsb --docs docs/polyphonic --quiet
	$(BIN)/improvise bench polyphonic --data nottingham --data-dir ../shared/data/polyphonic --out runs/polyphonic/nottingham --docs docs/polyphonic --quiet

# The melody model zoo on real corpora (issue 5): docs/zoo/{wjd_blues,nottingham}/ (about an hour).
NOTTINGHAM := ../shared/data/nottingham
.PHONY: results-zoo
results-zoo: install
	$(BIN)/python -m improvise.experiments.zoo_results $(if $(wildcard $(WJD)/wjd_solos.csv),--wjd $(WJD)) $(if $(wildcard $(NOTTINGHAM)/*.abc),--nottingham $(NOTTINGHAM))
