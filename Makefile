# Two commands on a fresh machine: `make run` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_HOME ?= $(CURDIR)/.demo
ARGS ?=

.PHONY: run demo test pytest lint bench clean venv wheel-check

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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
	PYTHON_KEYRING_BACKEND=ehub_tui.secrets.MemoryKeyring $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check ehub_tui tests benchmarks
	$(BIN)/ruff format --check ehub_tui tests benchmarks
	$(BIN)/mypy

## Benchmarks: each prints ours beside a baseline and the ratio (see docs/benchmarks.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/claim.py
	$(BIN)/python benchmarks/sop_engine.py
	$(BIN)/python benchmarks/queue_ui.py
	$(BIN)/python benchmarks/board.py
	$(BIN)/python benchmarks/export.py

## Build the wheel, install it in a throwaway venv, and check the SOPs shipped inside it from an
## empty folder (no ./sops to fall back on).
WHEEL_CHECK := $(CURDIR)/build/wheel-check
wheel-check: $(STAMP)
	rm -rf $(WHEEL_CHECK) && mkdir -p $(WHEEL_CHECK)/empty
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir $(WHEEL_CHECK)/dist .
	$(PYTHON) -m venv $(WHEEL_CHECK)/venv
	$(WHEEL_CHECK)/venv/bin/python -m pip install --quiet $(WHEEL_CHECK)/dist/*.whl
	cd $(WHEEL_CHECK)/empty && EHUB_TUI_HOME=$(WHEEL_CHECK)/home $(WHEEL_CHECK)/venv/bin/ehub-tui sops validate
	cd $(WHEEL_CHECK)/empty && EHUB_TUI_HOME=$(WHEEL_CHECK)/home $(WHEEL_CHECK)/venv/bin/ehub-tui sops test

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache .mypy_cache
