# The two commands a newcomer needs are `make demo` and `make test`; the rest are for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SIZE   ?= city
SEED   ?= 2021
PYTEST_ARGS ?=

.PHONY: demo test check serve lint format types contracts migrations-check system-deps clean

demo: $(VENV)/.installed            ## build the demo city, score it and serve the dashboard
	$(BIN)/kaoping demo --size $(SIZE) --seed $(SEED)

serve: $(VENV)/.installed           ## serve the dashboard and API on the existing database
	$(BIN)/kaoping serve

test: $(VENV)/.installed-dev system-deps   ## the whole suite, on SQLite and PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)

check: lint types contracts migrations-check test   ## what CI runs: lint, types, layers, migrations, tests

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(VENV)/.installed-dev
	$(BIN)/mypy

contracts: $(VENV)/.installed-dev
	$(BIN)/lint-imports

migrations-check: $(VENV)/.installed-dev   ## the migrations build exactly the tables in db/tables.py
	KAOPING_DATABASE_URL=sqlite:///$(CURDIR)/.migrations-check.db $(BIN)/kaoping db check
	rm -f .migrations-check.db*

system-deps:                        ## Chromium and CJK fonts for browser tests (apt, when root)
	@sh scripts/system-deps.sh

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Kaoping needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache kaoping.db kaoping.db-*
