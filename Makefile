# ENLETS Hub. `make run` serves the demo on http://127.0.0.1:8000; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL used by `make test` (the local server; .ci/run starts it when it is down).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/enlets
PYTEST_WORKERS ?= 2
DEMO_ENV := ENLETS_DEMO_MODE=1

.PHONY: run install browser pdf-libs test test-sqlite test-postgres test-e2e bench lint format clean postgres

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the end-to-end tests (Playwright drives it; it never downloads a browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the end-to-end tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# The system libraries WeasyPrint draws PDFs with (topic summaries), from Debian, when missing.
pdf-libs:
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || ! ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || [ ! -d /usr/share/fonts/truetype/dejavu ]; then \
		echo "Installing Debian's Pango and DejaVu fonts for PDF reports"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null; \
	fi

run: install pdf-libs
	$(DEMO_ENV) $(PY) manage.py migrate --no-input -v0
	$(DEMO_ENV) $(PY) manage.py createcachetable
	$(DEMO_ENV) $(PY) manage.py collectstatic --no-input -v0
	$(DEMO_ENV) $(PY) manage.py seed_demo
	$(DEMO_ENV) $(PY) manage.py search_rebuild
	$(DEMO_ENV) $(PY) manage.py schedule_digests
	@echo "Serving ENLETS Hub on http://$(HOST):$(PORT)/ (Ctrl-C stops the server and the task worker)"
	@$(DEMO_ENV) $(PY) manage.py db_worker --interval 2 & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(PY) manage.py runserver --noreload $(HOST):$(PORT)

# pytest exits 5 when it collects nothing; that is not a failure of the suite.
define run_pytest
	$(1) $(PYTEST) $(2); rc=$$?; if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi
endef

test: install browser pdf-libs test-sqlite test-postgres test-e2e

test-sqlite: install
	@echo "== tests on SQLite =="
	$(call run_pytest,,-m "not e2e" -n $(PYTEST_WORKERS) -q)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || (echo "Starting PostgreSQL" && \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2)

test-postgres: install postgres
	@echo "== tests on PostgreSQL =="
	$(call run_pytest,DATABASE_URL=$(TEST_POSTGRES_URL),-m "not e2e" -n $(PYTEST_WORKERS) -q)

test-e2e: install browser
	@echo "== end-to-end tests in Chromium =="
	$(call run_pytest,,-m e2e -q -p no:xdist)

bench: install postgres pdf-libs
	$(PY) bench/run.py $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var .pytest_cache
