# Two commands (see README): `make start` installs and starts trialfinder on the bundled catalogue;
# `make test` installs what the tests need and runs the whole suite. CI runs `make test` (.ci/run).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: start install install-test test services bench starter-catalogue vocabulary clean

start: install
	$(BIN)/trialfinder serve

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,redis]'
	touch $@

services:
	scripts/ensure-postgres
	scripts/ensure-redis
	scripts/ensure-browser

test: install-test services
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/pytest -n auto --dist worksteal

bench: install
	$(BIN)/python bench/ingest.py

starter-catalogue: install
	$(BIN)/python scripts/build_starter_catalogue.py

vocabulary: install
	$(BIN)/python scripts/build_vocabulary.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
