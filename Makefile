# The two commands a new user needs: `make run` and `make test`. Everything else is a helper for them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench install frontend lint services

run: install frontend
	@scripts/run.sh

test: install frontend
	@scripts/test.sh

bench: install services
	@scripts/bench.sh

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v python3.11 >/dev/null || { echo "Python 3.11 is needed (python3.11 not found)."; exit 1; }
	@test -x $(PY) || python3.11 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

frontend: build/static/.built

build/static/.built: package.json package-lock.json frontend/build.mjs $(wildcard frontend/scss/*.scss)
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	@touch $@

services:
	@scripts/services.sh

lint: install
	$(VENV)/bin/ruff check .
