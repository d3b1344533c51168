# cdc-pipeline developer targets. `make test` is the project's test command (README, .ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install deps check test test-unit test-integration test-e2e up down status clean

$(BIN)/cdc: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/cdc  ## create the virtualenv and install the project with dev tools

deps: install  ## system packages (PostgreSQL, Maven) and the engines' JARs from Maven Central
	bash deploy/local/install-system-deps.sh
	$(BIN)/cdc stack resolve --all

check: install  ## ruff + mypy --strict
	$(BIN)/ruff check .
	$(BIN)/mypy

test: deps  ## unit + integration + e2e against real engines
	$(BIN)/pytest -q $(PYTEST_ARGS) tests

test-unit: install
	$(BIN)/pytest -q $(PYTEST_ARGS) tests/unit

test-integration: deps
	$(BIN)/pytest -q $(PYTEST_ARGS) tests/integration

test-e2e: deps
	$(BIN)/pytest -q $(PYTEST_ARGS) tests/e2e

up: deps  ## start Kafka, the registry and PostgreSQL locally (cdc stack up)
	$(BIN)/cdc stack up

status:
	$(BIN)/cdc stack status

down:
	$(BIN)/cdc stack down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
