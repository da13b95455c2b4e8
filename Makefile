# ChronoView: `make run` serves the dashboard, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NPM := frontend/node_modules/.installed
DIST := frontend/dist/index.html
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/public -type f 2>/dev/null)

.PHONY: run test lint typecheck test-python test-frontend bench system-deps clean

run: $(STAMP_PY) $(DIST)
	exec $(VENV)/bin/chronoview serve

$(STAMP_PY): backend/pyproject.toml backend/requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r backend/requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e backend
	touch $@

$(STAMP_NPM): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DIST): $(STAMP_NPM) $(FRONTEND_SRC)
	cd frontend && npm run build

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP_PY)
	cd backend && ../$(VENV)/bin/ruff check src tests ../bench

typecheck: $(STAMP_PY) $(STAMP_NPM)
	cd backend && ../$(VENV)/bin/mypy
	cd frontend && npm run typecheck

test-frontend: $(STAMP_NPM)
	cd frontend && npm test

test-python: $(STAMP_PY) $(DIST) system-deps
	cd backend && ../$(PY) -m pytest -p no:cacheprovider -rs

test: lint typecheck test-frontend test-python

bench: $(STAMP_PY) $(DIST) system-deps
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
