# Two commands on a fresh machine: `make run` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_HOME ?= $(CURDIR)/.demo
ARGS ?=

.PHONY: run demo test pytest lint bench clean venv

$(STAMP): pyproject.toml
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

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache .mypy_cache
