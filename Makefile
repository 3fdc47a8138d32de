# Two commands on a fresh machine: `make run` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_HOME ?= $(CURDIR)/.demo
ARGS ?=

.PHONY: run demo test pytest lint bench clean venv wheel-check

# The versions come from requirements.lock (every package pinned, with its hashes: the same
# install on every machine and in CI); ehub-tui itself is then installed editable on top.
$(STAMP): pyproject.toml setup.py requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

## Open the app on the embedded demo hub (SQLite under .demo/, fixtures ingested, demo users).
run: $(STAMP)
	EHUB_TUI_HOME=$(DEMO_HOME) $(BIN)/ehub-tui demo
	EHUB_TUI_HOME=$(DEMO_HOME) $(BIN)/ehub-tui $(ARGS)

## Rebuild the demo hub from scratch.
demo: $(STAMP)
	EHUB_TUI_HOME=$(DEMO_HOME) $(BIN)/ehub-tui demo --reset

## Lint, type-check and run every test (SQLite and a throwaway PostgreSQL the tests start).
test: lint pytest

pytest: $(STAMP)
	PYTHON_KEYRING_BACKEND=ehub_tui.secrets.MemoryKeyring $(BIN)/python -m pytest -q -n 3 --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check ehub_tui tests benchmarks
	$(BIN)/ruff format --check ehub_tui tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python benchmarks/report.py --check

## Benchmarks: each prints ours beside a baseline and the ratio; the last line of each (JSON) is
## kept in benchmarks/results/ and docs/benchmarks.md's table is generated from them.
BENCHES := ingest claim sop_engine queue_ui board export ui_latency hub_api sync capacity
bench: SHELL := /bin/bash
bench: $(STAMP)
	mkdir -p benchmarks/results
	set -o pipefail; for b in $(BENCHES); do \
		$(BIN)/python benchmarks/$$b.py | tee benchmarks/results/$$b.out || exit 1; \
		tail -n 1 benchmarks/results/$$b.out > benchmarks/results/$$b.json; \
	done
	$(BIN)/python benchmarks/report.py

## Re-pin requirements.lock after a change to pyproject.toml's dependencies (needs network and
## uv, which `pip install uv` gives; the versions already in .venv are kept where they still fit).
.PHONY: lock
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable > $(VENV)/lock-constraints.txt
	uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 --universal \
		-c $(VENV)/lock-constraints.txt -o requirements.lock --custom-compile-command "make lock"

## The release files: wheel and sdist in dist/ (the wheel built from the sdist, so the sdist is
## known to be complete). The wheel carries the shipped SOPs and the demo fixtures.
.PHONY: dist
dist: $(STAMP)
	rm -f dist/ehub_tui-*.whl dist/ehub_tui-*.tar.gz
	$(BIN)/python -m build --outdir dist .

## Install the wheel from `make dist` in a throwaway venv and, from an empty folder (no ./sops or
## ./fixtures to fall back on), validate and test the shipped SOPs and build the demo hub.
## tests/install/test_wheel.py does the same (and starts the app headless) in `make test`.
WHEEL_CHECK := $(CURDIR)/build/wheel-check
wheel-check: dist
	rm -rf $(WHEEL_CHECK) && mkdir -p $(WHEEL_CHECK)/empty
	$(PYTHON) -m venv $(WHEEL_CHECK)/venv
	$(WHEEL_CHECK)/venv/bin/python -m pip install --quiet dist/ehub_tui-*.whl
	cd $(WHEEL_CHECK)/empty && EHUB_TUI_HOME=$(WHEEL_CHECK)/home $(WHEEL_CHECK)/venv/bin/ehub-tui sops validate
	cd $(WHEEL_CHECK)/empty && EHUB_TUI_HOME=$(WHEEL_CHECK)/home $(WHEEL_CHECK)/venv/bin/ehub-tui sops test
	cd $(WHEEL_CHECK)/empty && EHUB_TUI_HOME=$(WHEEL_CHECK)/home $(WHEEL_CHECK)/venv/bin/ehub-tui demo

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache .mypy_cache
