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
	$(BIN)/parindex validate vi-du --store $(STORE)
	$(BIN)/parindex show vi-du --store $(STORE)
	$(BIN)/parindex diff vi-du@vi-du/2013 vi-du@vi-du/2014 --store $(STORE)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var
