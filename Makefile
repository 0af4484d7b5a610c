# Convene: `make run` serves the demo, `make test` runs every check. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export PICCOLO_CONF := server.piccolo_conf

.PHONY: install run test lint test-sqlite test-postgres bench clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Convene needs Python 3.11 or newer")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/convene migrate
	$(BIN)/convene demo
	$(BIN)/convene serve --with-worker

lint: install
	$(BIN)/ruff check .

# Node tools for the tests (ical.js parses our calendars independently of icalendar).
node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch node_modules/.installed

test-sqlite: install node_modules/.installed
	TEST_DATABASE_URL= $(BIN)/pytest

# Engine-dependent tests again on PostgreSQL, when TEST_DATABASE_URL names one.
test-postgres: install node_modules/.installed
	@if [ -n "$(TEST_DATABASE_URL)" ]; then \
		echo "== PostgreSQL: $(TEST_DATABASE_URL)"; \
		TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/pytest -m "not engine_independent"; \
	else \
		echo "== PostgreSQL: skipped (TEST_DATABASE_URL is not set)"; \
	fi

test: lint test-sqlite test-postgres

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
