# Convene: `make run` serves the demo, `make test` runs every check. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export PICCOLO_CONF := server.piccolo_conf
# `make run PORT=8080`: the port served, and the base of every link in mail and calendars (PUBLIC_URL).
PORT ?= 8000
PUBLIC_URL ?= http://127.0.0.1:$(PORT)
export PUBLIC_URL

.PHONY: install run test lint test-sqlite test-postgres bench clean messages catalogs browser-deps screenshots

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Convene needs Python 3.11 or newer")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED) catalogs

# Translations: .po files are in git; the compiled .mo files are built here, by every install.
LOCALES := ar zh en fr ru es
LOCALE_DIR := server/locale
CATALOGS := $(foreach lang,$(LOCALES),$(LOCALE_DIR)/$(lang)/LC_MESSAGES/messages.mo)

catalogs: $(CATALOGS)

$(LOCALE_DIR)/%/LC_MESSAGES/messages.mo: $(LOCALE_DIR)/%/LC_MESSAGES/messages.po $(INSTALLED)
	$(BIN)/pybabel compile --domain messages --locale $* --input-file $< --output-file $@

# Re-extract every marked string into messages.pot and merge it into each language's .po (then translate).
messages: $(INSTALLED)
	$(BIN)/pybabel extract --mapping-file babel.cfg --keyword lazy_gettext --keyword _l --no-location \
		--sort-output --add-comments Translators: --project Convene --copyright-holder "Convene contributors" \
		--output-file $(LOCALE_DIR)/messages.pot .
	$(BIN)/pybabel update --input-file $(LOCALE_DIR)/messages.pot --output-dir $(LOCALE_DIR) --domain messages \
		--no-fuzzy-matching --ignore-obsolete --width 120

# Browser tests: Debian's chromium (installed with apt when root) driven by Playwright, axe-core from npm.
browser-deps: node_modules/.installed
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "== Installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "== Browser tests: chromium could not be installed; they will be skipped"; \
	else \
		echo "== Browser tests: /usr/bin/chromium is missing and this is not root; they will be skipped"; \
	fi

# A PNG of every page in English and Arabic under var/screenshots/, for reviewers (fonts for Arabic and Chinese),
# and the few small ones the README shows, under docs/screenshots/ (kept in git).
screenshots: install browser-deps
	@if [ "$$(id -u)" = 0 ] && ! fc-list | grep -qi "Noto Sans Arabic"; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core fonts-noto-cjk || true; \
	fi
	$(BIN)/python -m tests.browser.screenshots var/screenshots
	$(BIN)/python -m tests.browser.screenshots --docs docs/screenshots

run: install
	$(BIN)/convene migrate
	$(BIN)/convene demo
	$(BIN)/convene serve --port $(PORT) --with-worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Node tools for the tests (ical.js parses our calendars independently of icalendar).
node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch node_modules/.installed

test-sqlite: install node_modules/.installed browser-deps
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
