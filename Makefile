# The commands people type. `make run` and `make test` do all the set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Two workers (pytest-xdist): every test makes its own databases, so they run side by side.
PYTEST_ARGS ?= -n 2
# uv resolves and locks; keep equal to UV_VERSION in the Dockerfile (a test checks).
UV_VERSION := 0.13.8
UV := $(BIN)/uv
# The platform's certificate store (where a corporate or CI proxy's CA lives), not uv's own.
export UV_SYSTEM_CERTS ?= 1
NEWMAN_DIR := docs/postman
DOCKERFILES = $(shell find . \( -path ./.venv -o -path '*/node_modules' -o -path ./var \) -prune \
	-o \( -name Dockerfile -o -name '*.Dockerfile' \) -print)

.PHONY: run test lint typecheck pytest frontend frontend-test browser services bench worker clean help \
	lock newman dev-certs compose-test migrate

help:
	@echo "make run        the whole shop on the embedded default at http://127.0.0.1:$(PORT)"
	@echo "make test       lint, type checks, the Python suite (SQLite and, when reachable, PostgreSQL+MariaDB+Redis), the front end's tests"
	@echo "make bench      the project against bare baselines, results in bench/results/ (BENCH_ARGS=--quick)"
	@echo "make migrate    upgrade the schemas (shop migrate; make run does it itself)"
	@echo "make services   start PostgreSQL, MariaDB and Redis on loopback if they are down"
	@echo "make lock       re-lock the Python dependencies (uv.lock) after editing pyproject.toml"
	@echo "make compose-test  build the images, run the container stack over HTTPS, test it, remove it"
	@echo "make dev-certs  a local CA and a localhost certificate in var/tls (docker compose up needs one)"

# uv itself, pinned, inside the project's venv (`uv sync --inexact` below leaves it there).
$(VENV)/.uv-$(UV_VERSION):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	touch $@

# Every install comes from uv.lock (exact versions, hashes checked). A pyproject.toml edited
# without `make lock` stops here with one line instead of installing something unlocked.
$(BIN)/.installed: pyproject.toml uv.lock $(VENV)/.uv-$(UV_VERSION)
	@$(UV) lock --check --quiet >/dev/null 2>&1 || \
	  { echo "uv.lock is out of date with pyproject.toml: run 'make lock' and commit uv.lock" >&2; exit 1; }
	$(UV) sync --locked --inexact --extra dev --quiet
	touch $@

lock: $(VENV)/.uv-$(UV_VERSION)
	$(UV) lock

# newman (Postman's runner), pinned in docs/postman/package-lock.json.
$(NEWMAN_DIR)/node_modules/.installed: $(NEWMAN_DIR)/package.json $(NEWMAN_DIR)/package-lock.json
	cd $(NEWMAN_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

newman: $(NEWMAN_DIR)/node_modules/.installed

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

migrate: $(BIN)/.installed
	$(BIN)/shop migrate

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint $(DOCKERFILES)

typecheck: $(BIN)/.installed
	$(BIN)/mypy domain application command_api query_api projections workers infra web entrypoints migrations \
		scripts/local_ca.py tests/compose

pytest: $(BIN)/.installed frontend browser newman
	$(BIN)/pytest -q $(PYTEST_ARGS)

frontend-test: frontend/node_modules/.installed
	cd frontend && npm test --silent

test: lint typecheck frontend-test pytest

services:
	scripts/services-up.sh

dev-certs: $(BIN)/.installed
	$(BIN)/python scripts/local_ca.py var/tls

# The container stack for real (CI runs it after `make test`): needs Docker, or root to start
# it with ../shared/containers/stand-ins.sh where official images cannot be pulled.
compose-test: $(BIN)/.installed newman
	$(BIN)/python -m tests.compose

# BENCH_ARGS=--quick for a few minutes instead of about ten; see bench/README.md.
bench: $(BIN)/.installed services
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf var frontend/dist .pytest_cache .mypy_cache .ruff_cache
