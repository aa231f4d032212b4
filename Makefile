# floorwatch — every target sets up what it needs (idempotently) and runs offline afterwards.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The stage `make synth|diff|deploy` work on: stack Floorwatch-$(STAGE), resources floorwatch-$(STAGE)-*.
STAGE ?= dev
NODE_STAMP := node_modules/.installed
# The CDK CLI pinned in package.json; --no-install: never fetch another version at deploy time.
CDK := npx --no-install cdk
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
# Node 20 is past its end of life for jsii; this is the variable that silences that banner (value: the major version).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup cdk-cli browser a11y test lint synth bootstrap diff deploy bench demo dev clean

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

# axe-core for the dashboard's accessibility scan, pinned in tests/e2e/a11y/package-lock.json; the test
# injects that copy into the page (nothing is fetched at test time). Re-installed only when the pins change.
A11Y_DIR := tests/e2e/a11y
A11Y_STAMP := $(A11Y_DIR)/node_modules/.installed

a11y: $(A11Y_STAMP)

$(A11Y_STAMP): $(A11Y_DIR)/package.json $(A11Y_DIR)/package-lock.json
	@echo "==> installing the pinned axe-core into $(A11Y_DIR)/node_modules/"
	@npm ci --prefix $(A11Y_DIR) --no-audit --no-fund --loglevel=error
	@touch $(A11Y_STAMP)

test: setup browser a11y
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

# Offline: no AWS credentials, no CDK CLI (the app synthesizes itself).
synth: setup
	CDK_CONTEXT_JSON='{"stage": "$(STAGE)"}' $(BIN)/python app.py
	@echo "==> template: cdk.out/Floorwatch-$(STAGE).template.json"

# The pinned CDK CLI (package.json / package-lock.json); re-installed only when they change.
cdk-cli: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@echo "==> installing the pinned CDK CLI into node_modules/"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

# Once per account and region, before the first deploy (docs/deploying.md): the CDK's staging bucket and roles.
bootstrap: setup cdk-cli
	$(CDK) bootstrap

# What `make deploy` would change in the stage's stack (needs AWS credentials).
diff: setup cdk-cli
	$(CDK) diff -c stage=$(STAGE)

# Deploys Floorwatch-$(STAGE); the stack's outputs land in .floorwatch/outputs-$(STAGE).json.
deploy: setup cdk-cli
	@mkdir -p .floorwatch
	$(CDK) deploy -c stage=$(STAGE) --outputs-file .floorwatch/outputs-$(STAGE).json

bench: setup
	$(BIN)/python -m tests.bench

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache node_modules
