# Every target works on a fresh clone with only Python 3.11+ and make (and npm, for `make test`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# npm ci writes this file last: its date says node_modules matches the lock file.
AXE_STAMP := tests/browser/node_modules/.package-lock.json
# Playwright drives Debian's chromium: it must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.DEFAULT_GOAL := help
.PHONY: help demo serve test check fmt bench messages clean

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) ## Migrate a SQLite database, load the demo region, serve http://127.0.0.1:8000 with the scheduler
	$(BIN)/tracker db upgrade
	$(BIN)/tracker demo
	TRACKER_RUN_SCHEDULER=on $(BIN)/tracker serve --host 127.0.0.1 --port 8000

serve: $(STAMP) ## Serve the app (settings from TRACKER_* variables)
	$(BIN)/tracker db upgrade
	$(BIN)/tracker serve

# axe-core for the browser tests' accessibility check, from the npm registry (Chromium itself is
# Debian's package: .ci/run installs it; without it the browser tests are skipped, loudly).
$(AXE_STAMP): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

test: $(STAMP) $(AXE_STAMP) ## Run the whole test suite (SQLite; PostgreSQL when TRACKER_TEST_DATABASE_URL is set)
	$(BIN)/pytest -q -n auto --dist loadfile

check: $(STAMP) ## Lint (ruff) and type-check (mypy)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP) ## Format the code and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) ## Run the benchmarks and print each figure next to its baseline
	$(BIN)/python -m benchmarks

messages: $(STAMP) ## Extract translatable strings and update the zh-CN catalog
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o tracker/locale/messages.pot .
	$(BIN)/pybabel update -i tracker/locale/messages.pot -d tracker/locale -l zh_CN --no-fuzzy-matching

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache tests/browser/node_modules test-artifacts
