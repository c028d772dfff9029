# Viewra: `make run` starts the local stack, `make test` runs the whole suite.
# Both install what a fresh machine lacks: the virtualenv with pinned packages, ffmpeg and MediaInfo.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: run test lint unit integration system-deps venv bench bench-scan clean help

help:
	@echo "make run    - start the embedded stack, the API and the workers"
	@echo "make test   - lint and run the whole test suite"
	@echo "make bench  - run the benchmarks (bench/*.py)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# ffmpeg/ffprobe for media generation and transcoding, MediaInfo's CLI for parity checks
# (pymediainfo ships its own libmediainfo). Installed with apt-get only when missing.
system-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v mediainfo >/dev/null || missing="$$missing mediainfo"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

run: system-deps venv
	$(BIN)/python -m viewra.local.run

lint: venv
	$(BIN)/ruff check .

test: system-deps venv lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

unit: venv
	$(BIN)/python -m pytest -q tests/unit tests/functional

integration: system-deps venv
	$(BIN)/python -m pytest -q tests/integration

bench: bench-scan

bench-scan: system-deps venv
	$(BIN)/python bench/scan.py

clean:
	rm -rf $(VENV) .viewra .pytest_cache .ruff_cache
