# cdc-pipeline developer targets. `make test` is the project's test command (README, .ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DBT_VENV ?= .venv-dbt
PYTEST_ARGS ?=
DEMO_ARGS ?=
# The job's JVM operators (flink_jobs/jvm); the JAR lands in its git-ignored target/.
JVM_POM := flink_jobs/jvm/pom.xml
MVN := mvn -B --no-transfer-progress

.PHONY: install dbt-env deps jvm check test test-java test-unit test-integration test-e2e up down \
	status clean \
	k8s-rules promtool demo \
	pipeline-up

$(BIN)/cdc: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/cdc  ## create the virtualenv and install the project with dev tools

# dbt lives in its own environment: its pins clash with the dev tools (see pyproject's extra).
$(DBT_VENV)/bin/dbt: pyproject.toml $(BIN)/cdc
	$(PYTHON) -m venv $(DBT_VENV)
	$(BIN)/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dbt"]))' > $(DBT_VENV)/requirements.txt
	$(DBT_VENV)/bin/pip install -q -r $(DBT_VENV)/requirements.txt
	touch $@

dbt-env: $(DBT_VENV)/bin/dbt  ## dbt-core + dbt-postgres (the `dbt` extra) in .venv-dbt

deps: install dbt-env  ## system packages (PostgreSQL, Maven), the JARs from Maven Central, dbt
	bash deploy/local/install-system-deps.sh
	$(BIN)/cdc stack resolve --all
	$(MAKE) jvm

jvm:  ## build the job's JVM operators JAR (flink_jobs/jvm/target) from Maven Central
	$(MVN) -q -f $(JVM_POM) package -DskipTests

check: install  ## ruff + mypy --strict
	$(BIN)/ruff check .
	$(BIN)/mypy

test: deps test-java  ## JUnit, then unit + integration + e2e against real engines
	$(BIN)/pytest -q $(PYTEST_ARGS) tests

test-java: deps  ## the JVM operators' JUnit tests (Surefire), golden vectors included
	$(MVN) -f $(JVM_POM) test

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
	rm -rf $(VENV) $(DBT_VENV) .mypy_cache .ruff_cache .pytest_cache
