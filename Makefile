# `make run` and `make test` do all the set-up: the venv is created on first use and reused
# until pyproject.toml changes.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run ingest test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so nothing pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/assistant ask --ingest-if-stale "Who denied the deployment?"

ingest: install
	$(VENV)/bin/assistant ingest

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check assistant tests benchmarks

bench: install
	$(PY) benchmarks/bench_ingest_ask.py

clean:
	rm -rf $(VENV) index/chroma index/manifest-*.json
