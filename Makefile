# 隐患清单 — the two commands a newcomer runs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV_STAMP := $(VENV)/.dev-installed
RUN_STAMP := $(VENV)/.run-installed

.PHONY: run test lint assets fuzz

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Runtime dependencies only; reinstalled when requirements.txt changes.
$(RUN_STAMP): requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Browser assets from the npm registry at the versions of package-lock.json, built into static/vendor/
# by scripts/assets.py: Bootstrap's CSS trimmed to the classes the templates, scripts and widgets name
# (so it is rebuilt when they change), and htmx.
NPM_STAMP := node_modules/.installed
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

ASSET_SOURCES := $(shell find templates static/js core accounts hazards inspections reminders demo config \( -name '*.html' -o -name '*.js' -o -name '*.py' \) -not -path '*/migrations/*' 2>/dev/null)
ASSETS_STAMP := static/vendor/.installed
$(ASSETS_STAMP): $(NPM_STAMP) scripts/assets.py scripts/bootstrap.scss scripts/purgecss.config.cjs $(ASSET_SOURCES)
	$(PYTHON) scripts/assets.py
	touch $@

assets: $(ASSETS_STAMP)

# The whole system on this machine: migrate, seed the demo city once, then the web server on
# 127.0.0.1:8000 (HOST and PORT override), a Celery worker and Celery beat; Ctrl-C stops all three.
# SQLite and a filesystem broker under var/ unless DATABASE_URL and REDIS_URL are set (scripts/run.py).
run: $(RUN_STAMP) $(ASSETS_STAMP)
	$(PY) scripts/run.py

# Type-checked so far: core's errors, transitions, idempotency, jobs, downloads, login limit and middleware; the jurisdiction and tokens; the services,
# querysets and permissions of the hazards and inspections apps, and the reports' metrics, dimensions, live computation, rollup and dashboard.
TYPED := core/errors.py core/filters.py core/transitions.py core/idempotency.py core/jobs.py core/querysets.py accounts/jurisdiction.py hazards/services hazards/imports core/imports/columns.py core/imports/files.py core/imports/kinds.py core/imports/rows.py core/imports/run.py core/imports/sheets.py accounts/services.py accounts/imports.py hazards/querysets.py hazards/search.py hazards/permissions.py inspections/services.py inspections/permissions.py inspections/querysets.py inspections/coverage.py accounts/tokens.py core/login_limit.py core/downloads.py core/middleware.py reports/metrics.py reports/dimensions.py reports/live.py reports/rollup.py reports/tables.py reports/layouts.py reports/official.py reports/exports.py reports/xlsx.py reports/dashboard.py reports/api/kept.py

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	DEBUG=1 $(VENV)/bin/mypy $(TYPED)
	DEBUG=1 $(PY) manage.py check
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# Lint, checks and the whole suite against a throwaway PostgreSQL and Redis (tests/harness.py).
test: lint $(ASSETS_STAMP)
	$(PY) -m tests.harness -- $(VENV)/bin/pytest

# The schema fuzz of `make test` (tests/api/test_schema.py) at 100 examples per operation and generation
# mode instead of 6: every schemathesis check, as an officer and as the read-only client (~7 min).
fuzz: $(DEV_STAMP)
	FUZZ_EXAMPLES=100 $(PY) -m tests.harness -- $(VENV)/bin/pytest tests/api/test_schema.py -q -p no:cacheprovider --durations=0
