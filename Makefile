# The commands people type. `make run` and `make test` do all the set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint typecheck pytest frontend frontend-test browser services bench worker clean help

help:
	@echo "make run        the whole shop on the embedded default at http://127.0.0.1:$(PORT)"
	@echo "make test       lint, type checks, the Python suite (SQLite and, when reachable, PostgreSQL+MariaDB+Redis), the front end's tests"
	@echo "make bench      the project against bare baselines, results in bench/results/ (BENCH_ARGS=--quick)"
	@echo "make services   start PostgreSQL, MariaDB and Redis on loopback if they are down"

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(shell find frontend/src frontend/index.html -type f 2>/dev/null)
	cd frontend && npm run build

frontend: frontend/dist/index.html

# A real browser for the end-to-end tests: Debian's chromium (no browser downloads work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium (the browser tests will be skipped)"; fi; }

run: $(BIN)/.installed frontend
	PORT=$(PORT) $(BIN)/shop run

worker: $(BIN)/.installed
	$(BIN)/shop worker

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy domain application command_api query_api projections workers infra web entrypoints

pytest: $(BIN)/.installed frontend browser
	$(BIN)/pytest -q $(PYTEST_ARGS)

frontend-test: frontend/node_modules/.installed
	cd frontend && npm test --silent

test: lint typecheck frontend-test pytest

services:
	scripts/services-up.sh

# BENCH_ARGS=--quick for a few minutes instead of about ten; see bench/README.md.
bench: $(BIN)/.installed services
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf var frontend/dist .pytest_cache .mypy_cache .ruff_cache
