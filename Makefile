# Waibao — the two commands a new user needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
WAIBAO := $(BIN)/waibao
SECRET_KEY_FILE ?= var/secret_key
export SECRET_KEY_FILE
PYTEST_WORKERS ?= 2

.PHONY: install install-dev run test lint typecheck migrations-check pytest browser clean screenshots bench openapi messages compilemessages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

## install: create .venv and install Waibao with its pinned dependencies (safe to re-run)
install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

var/secret_key:
	mkdir -p var
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

## run: install, migrate, load demo data once, serve on http://127.0.0.1:8000
run: install var/secret_key
	WAIBAO_DEBUG=1 $(WAIBAO) migrate --noinput
	WAIBAO_DEBUG=1 $(WAIBAO) demo
	WAIBAO_DEBUG=1 WAIBAO_MAIL_DIR=var/mail $(WAIBAO) run_local --addr 127.0.0.1:8000

## test: lint, type checks, migration check and the whole pytest suite (browser tests included)
test: install-dev browser lint typecheck migrations-check pytest

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	WAIBAO_DEBUG=1 $(BIN)/mypy waibao

migrations-check: install-dev
	WAIBAO_DEBUG=1 $(WAIBAO) makemigrations --check --dry-run

pytest: install-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## browser: make sure Debian's Chromium is there for the Playwright tests
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else \
	    echo "Browser tests need Chromium at /usr/bin/chromium."; \
	    echo "Install it with:  sudo apt-get install chromium fonts-noto-cjk   (Debian/Ubuntu)"; \
	    echo "or point WAIBAO_CHROMIUM at another Chromium binary."; \
	    exit 1; \
	  fi; \
	fi

## screenshots: regenerate docs/screenshots from the demo data
screenshots: install-dev
	$(BIN)/python docs/make_screenshots.py

bench: install-dev
	$(BIN)/python bench/sla_bench.py

clean:
	rm -rf $(VENV) build *.egg-info

## openapi: refresh the committed OpenAPI snapshot after a deliberate API change
openapi: install-dev
	WAIBAO_UPDATE_OPENAPI=1 $(BIN)/pytest -q waibao/core/tests/test_openapi.py

## messages: refresh the English catalogue after adding strings (needs GNU gettext), then compile it
messages: install-dev
	WAIBAO_DEBUG=1 $(WAIBAO) makemessages -l en --ignore ".venv/*" --ignore "bench/*" --ignore "var/*" --ignore "docs/*" --no-obsolete
	@echo "Now translate the empty msgstr entries in waibao/locale/en/LC_MESSAGES/django.po, then run: make compilemessages"

compilemessages: install-dev
	WAIBAO_DEBUG=1 $(WAIBAO) compilemessages -l en --ignore ".venv/*"
