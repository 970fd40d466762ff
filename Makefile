# Yiwang: `make run` serves the platform with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
MANAGE := $(UV) run --frozen python manage.py
PYTEST_WORKERS ?= 2
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-unit test-browser setup deps system-deps python-deps node-deps static messages db demo browser lint bench clean

run: setup db demo
	@echo "Yiwang on http://127.0.0.1:$(PORT)/  (demo accounts: see README.md)"
	PORT=$(PORT) $(UV) run --frozen honcho -f Procfile.dev start

test: setup browser
	$(UV) run --frozen pytest -n $(PYTEST_WORKERS) yiwang
	$(UV) run --frozen pytest e2e -m browser

test-unit: setup
	$(UV) run --frozen pytest -n $(PYTEST_WORKERS) yiwang

test-browser: setup browser
	$(UV) run --frozen pytest e2e -m browser

setup: deps system-deps static messages

# PDFs (licences, receipts, notices) are rendered by WeasyPrint: Pango and a CJK font.
system-deps:
	@dpkg -s libpangoft2-1.0-0 >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null)
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null)

deps: python-deps node-deps

python-deps:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --quiet

node-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static: node-deps
	$(UV) run --frozen python scripts/vendor_static.py

messages:
	@command -v msgfmt >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v0

db:
	@mkdir -p var
	$(MANAGE) migrate --noinput -v0

demo:
	$(MANAGE) load_demo

browser:
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || apt-get install -y -qq fonts-noto-cjk >/dev/null || true

lint:
	$(UV) run --frozen ruff check .

bench:
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(UV) run --frozen python bench/search_bench.py

clean:
	rm -rf var node_modules .venv
