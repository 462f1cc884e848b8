# The two commands a newcomer needs: `make demo` and `make test`.
# The interpreter .venv is made from: the first of these that is Python 3.11 or 3.12 with venv.
# The distribution's python3 comes first: Debian builds it with profile-guided and link-time
# optimisation and links it statically, where one built from source as pyenv does by default (no
# --enable-optimizations, a shared libpython) runs Python code 10-20 % slower, and a night is
# mostly Python (Dagster, dbt): a 10 000-person night 12 % faster (docs/benchmarks.md, stop 35).
# The version range is pyproject.toml's requires-python (keep the two alike). `make install
# PYTHON=...` chooses another.
PYTHON ?= $(shell for p in /usr/bin/python3 python3; do \
	  $$p -c 'import sys, venv, ensurepip; assert (3, 11) <= sys.version_info[:2] < (3, 13)' 2>/dev/null \
	  && { echo $$p; exit 0; }; done; echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
HELHEDSDATA_HOME ?= $(CURDIR)/.helhedsdata
export HELHEDSDATA_HOME

.PHONY: help demo test install pg browser ui docs bench clean clean-home
.DEFAULT_GOAL := help

## list these targets
help:
	@awk '/^## /{doc=substr($$0,4); next} /^[a-z-]+:/{if (doc) {split($$1, a, ":"); printf "  make %-11s %s\n", a[1], doc}; doc=""}' $(MAKEFILE_LIST)

## install into .venv (pinned by constraints.txt) and build the dbt manifest once
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/helhedsdata prepare
	touch $@

## install, generate a synthetic inbox, run the pipeline, print the målgruppe table and where the status reports are
demo: install
	$(BIN)/helhedsdata demo --home $(HELHEDSDATA_HOME)

# (the local PostgreSQL for the publication tests; Chromium for the status-report tests)
## install and run the test suite (starts PostgreSQL, finds or installs Chromium)
test: install pg browser
	HELHEDSDATA_CHROMIUM=$(CHROMIUM) HELHEDSDATA_CHROMEDRIVER=$(CHROMEDRIVER) $(BIN)/pytest

# Debian's chromium and chromedriver for tests/test_report_browser.py: found, or installed with
# apt-get when we may; otherwise stop with what to do (the tests would fail, never skip).
CHROMIUM     ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
## find or install Debian's chromium and chromedriver (the status-report browser tests)
browser:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then apt-get install -y chromium chromium-driver; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo apt-get install -y chromium chromium-driver; fi; \
	if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then exit 0; fi; \
	echo "make test: the status-report browser tests need Debian's chromium and chromedriver at" \
	     "$(CHROMIUM) and $(CHROMEDRIVER), and they could not be installed here." \
	     "Run: sudo apt-get install -y chromium chromium-driver" \
	     "(or set CHROMIUM=... CHROMEDRIVER=... for make and HELHEDSDATA_CHROMIUM / HELHEDSDATA_CHROMEDRIVER for pytest)" >&2; \
	exit 1

## start the local PostgreSQL cluster on 127.0.0.1:5432 unless it already accepts connections
pg:
	@pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@pg_isready -h 127.0.0.1

## the Dagster UI on the home folder (http://127.0.0.1:3000)
ui: install
	$(BIN)/python -c 'from cli.main import ensure_dagster_home; from warehouse.config import Settings; ensure_dagster_home(Settings.from_env())'
	DAGSTER_HOME=$(HELHEDSDATA_HOME)/dagster $(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

## the benchmark (docs/benchmarks.md); SIZES="10000 100000 1000000"
bench: install
	$(BIN)/python bench/run.py $(if $(SIZES),--sizes $(SIZES))

## dbt's documentation site as static files (build/dbt-docs/static_index.html), with the home's tables
docs: install
	cd dbt_project && HELHEDSDATA_WAREHOUSE=$(HELHEDSDATA_HOME)/warehouse.duckdb DBT_LOG_PATH=$(CURDIR)/build/dbt-docs/logs \
		../$(BIN)/dbt docs generate --static --target-path $(CURDIR)/build/dbt-docs --quiet
	@echo "dbt documentation: $(CURDIR)/build/dbt-docs/static_index.html (open it in a browser; no server needed)"

## delete what install and the build wrote (.venv, dbt's target, build/, bench/out); never a home folder
clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs build bench/out

## delete the home folder (HELHEDSDATA_HOME, default .helhedsdata): refuses while it holds an archive or a quarantine, unless CONFIRM=yes
clean-home:
	@if [ ! -d "$(HELHEDSDATA_HOME)" ]; then echo "$(HELHEDSDATA_HOME): no such home folder"; exit 0; fi; \
	kept=$$(ls -d "$(HELHEDSDATA_HOME)"/archive/* "$(HELHEDSDATA_HOME)"/quarantine/*/* 2>/dev/null | wc -l); \
	if [ "$$kept" -gt 0 ] && [ "$(CONFIRM)" != "yes" ]; then \
		echo "$(HELHEDSDATA_HOME) holds $$kept archive entries and quarantined extracts (the history of past"; \
		echo "publications and rejected deliveries). Not deleted. To delete them too: make clean-home CONFIRM=yes"; \
		echo "(to free space by the retention instead: .venv/bin/helhedsdata prune --dry-run)"; exit 2; fi; \
	echo "deleting $(HELHEDSDATA_HOME) (warehouse, publication, Dagster storage, logs, $$kept archive/quarantine entries)"; \
	rm -rf "$(HELHEDSDATA_HOME)"
