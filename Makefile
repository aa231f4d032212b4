# floorwatch — every target sets up what it needs (idempotently) and runs offline afterwards.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every Python package, transitive ones included, pinned with hashes (runtime, dev extra, build backend).
LOCK := requirements/dev.lock
PIP_LOCK := requirements/pip.lock
PIP_TOOLS := pip-tools==7.6.2
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

.PHONY: setup lock cdk-cli browser a11y test test-unit lint synth bootstrap diff deploy subscriptions bench demo dev clean

setup: $(STAMP)

# Exactly the locked packages, each checked against its hash (requirements/*.lock, made by `make lock`),
# then the project itself without resolving anything. Re-installs only when pyproject.toml or a lock
# changes; a fresh clone pays ~3 minutes once.
$(STAMP): pyproject.toml $(PIP_LOCK) $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> installing the locked Python packages into $(VENV) (first run takes a few minutes)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(PIP_LOCK)
	@$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# After changing a pin in pyproject.toml: re-resolve every transitive dependency, with hashes (a test
# fails while the lock disagrees with pyproject.toml). Needs the package index; commit both locks.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check $(PIP_TOOLS)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links \
		--output-file $(PIP_LOCK) requirements/pip.in
	$(BIN)/pip-compile --quiet --extra dev --all-build-deps --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

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

# The fast suite (domain, handlers, CLI, docs: no moto, no CDK synth, no runtime, no browser), ~1 minute.
test-unit: setup
	$(BIN)/pytest -m "not (infra or integration or e2e or browser or golden)"

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

# After a deploy: every SNS subscription of the stage; fails while an e-mail address has not confirmed.
subscriptions: setup
	$(BIN)/floorwatch subscriptions --outputs .floorwatch/outputs-$(STAGE).json

bench: setup
	$(BIN)/python -m tests.bench

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache node_modules
