# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HELHEDSDATA_HOME ?= $(CURDIR)/.helhedsdata
export HELHEDSDATA_HOME

.PHONY: demo test install pg ui bench clean

## install into .venv (pinned by constraints.txt) and build the dbt manifest once
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/helhedsdata prepare
	touch $@

## install, generate a synthetic inbox, run the pipeline, print the målgruppe table
demo: install
	$(BIN)/helhedsdata demo --home $(HELHEDSDATA_HOME)

## install and run the test suite (starts the local PostgreSQL the publication tests use)
test: install pg
	$(BIN)/pytest

## start the local PostgreSQL cluster on 127.0.0.1:5432 unless it already accepts connections
pg:
	@pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@pg_isready -h 127.0.0.1

## the Dagster UI on the home folder (http://127.0.0.1:3000)
ui: install
	mkdir -p $(HELHEDSDATA_HOME)/dagster && cp -n dagster.yaml $(HELHEDSDATA_HOME)/dagster/ || true
	DAGSTER_HOME=$(HELHEDSDATA_HOME)/dagster $(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

## the benchmark (docs/benchmarks.md); SIZES="10000 100000 1000000"
bench: install
	$(BIN)/python bench/run.py $(if $(SIZES),--sizes $(SIZES))

clean:
	rm -rf $(VENV) .helhedsdata dbt_project/target
