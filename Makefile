# floorwatch — every target sets up what it needs (idempotently) and runs offline afterwards.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
# Node 20 is past its end of life for jsii; this is the variable that silences that banner (value: the major version).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup browser test lint synth bench demo dev clean

setup: $(STAMP)

# Re-installs only when pyproject.toml changes; a fresh clone pays ~3 minutes once.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> installing Python packages into $(VENV) (first run takes a few minutes)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# The browser test drives Debian's chromium (Playwright cannot download browsers here); the machines
# run as root. Skipped when chromium is already there.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "==> installing Debian's chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: setup browser
	$(BIN)/pytest

# The whole system on this machine: embedded AWS, pipeline, simulator, dashboard (Ctrl-C stops it).
demo: setup
	$(BIN)/floorwatch demo

# The same without the simulator: feed it with `floorwatch send` or `floorwatch simulate`.
dev: setup
	$(BIN)/floorwatch dev

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

synth: setup
	$(BIN)/python app.py
	@echo "==> template: cdk.out/FloorwatchStack.template.json"

bench: setup
	$(BIN)/python -m tests.bench

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
