# Two commands on a fresh machine with Python 3.11 and git: `make run`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STORE ?= var/store

.PHONY: run test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	@test -d $(STORE) || $(BIN)/parindex init --store $(STORE)
	$(BIN)/parindex validate par-provincial@par-provincial/2022 --store $(STORE)
	$(BIN)/parindex show par-provincial@par-provincial/2022 --store $(STORE)
	$(BIN)/parindex diff par-provincial@par-provincial/2019 par-provincial@par-provincial/2022 --store $(STORE)
	$(BIN)/parindex rank par-provincial@par-provincial/2022 methodology/bundled/submissions/par-provincial/2023 --store $(STORE)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var
