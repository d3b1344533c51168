# cdc-pipeline developer targets. `make test` is the project's test command (README, .ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
DEMO_ARGS ?=

.PHONY: install deps check test test-unit test-integration test-e2e up down status clean \
	k8s-rules promtool demo \
	pipeline-up

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

demo: deps  ## Debezium -> Flink -> sink on the local default: workload, convergence report, stop
	$(BIN)/cdc demo run $(DEMO_ARGS)

pipeline-up: deps  ## the same pipeline kept running (gentle workload) until Ctrl-C
	$(BIN)/cdc demo up $(DEMO_ARGS)

status:
	$(BIN)/cdc stack status

down:
	$(BIN)/cdc stack down

k8s-rules: install  ## regenerate deploy/k8s/prometheusrule.yaml from deploy/prometheus/alerts.yml
	$(BIN)/python -m cdc_ops.k8s_rules

promtool:  ## check the alert rules and run their unit tests (Debian's prometheus package)
	cd deploy/prometheus && promtool check rules alerts.yml && promtool test rules tests/alerts_test.yml

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
