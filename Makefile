# Two commands on a fresh machine with Python 3.11 and git: `make run`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STORE ?= var/store

.PHONY: run test test-fast durations lint bench screenshots office-screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The HTTP API on http://127.0.0.1:8000 (SQLite var/parindex.db, store $(STORE) built from the
# bundled catalog on first start; the admin's token is written to var/admin-token; an empty
# database gets the bundled synthetic samples: `parindex serve --empty` for none).
run: $(BIN)/.installed
	$(BIN)/parindex serve --store $(STORE)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/vulture

# One pytest worker per core, a test module to a worker so that its
# module-scoped fixtures (a started server, a replayed store) are made once. Tests share
# nothing across workers: temporary folders, free ports, one PostgreSQL schema per test.
# Modules go out longest first (conftest.py sorts them by tests/durations.json), not by
# their number of tests as xdist would reorder them.
PYTEST_WORKERS := -n auto --dist loadscope --no-loadscope-reorder

test: lint
	$(BIN)/pytest $(PYTEST_WORKERS)

# The suite without the tests marked slow (real servers, CLI processes, the documented
# commands, the largest API workflows, the PostgreSQL run of the API tests): under
# 2 minutes, for running while you work.
test-fast: $(BIN)/.installed
	$(BIN)/pytest $(PYTEST_WORKERS) -q -m "not slow"

# Each test module's time in tests/durations.json, which orders the modules for `make test`;
# run it again when modules are added or get much slower or faster.
durations: $(BIN)/.installed
	PARINDEX_RECORD_DURATIONS=1 $(BIN)/pytest $(PYTEST_WORKERS) -q

# pytest keeps the test modules it rewrites (~400 with the plugins' own) as bytecode; with
# writing turned off in the environment every start rewrites them all again (~2 s of CPU).
test test-fast durations: export PYTHONDONTWRITEBYTECODE :=

# Benchmarks run in their own virtualenv with the peers of benchmarks/engines.py
# (the `bench` extra: zen-engine, openfisca-core), so .venv keeps only what the project uses.
BENCH_VENV := .venv-bench

$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[bench]'
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m benchmarks

# PNGs of the main pages in docs/ui/ (the list: tests/web/screenshots.py), taken in Debian's
# chromium from a server over a temporary folder with the bundled samples (~2 minutes).
screenshots: $(BIN)/.installed
	$(BIN)/python -m tests.web.screenshots

# PNGs of the first page of each office document in docs/office/ (the list:
# tests/office/screenshots.py), rendered by headless LibreOffice and pdftoppm (~1 minute).
office-screenshots: $(BIN)/.installed
	$(BIN)/python -m tests.office.screenshots

clean:
	rm -rf $(VENV) var
