# The two commands: `make run` serves the app with a worker on embedded defaults; `make test` runs the suite
# on real PostgreSQL and Redis. Everything else here serves those two.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# Test services (DESIGN.md "Real parts"): PostgreSQL and Redis on loopback; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/marketplace_prep
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9

.PHONY: run test install install-dev reset-passwords migrate bench check-compose clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	PY=$(PY) PORT=$(PORT) scripts/serve.sh

reset-passwords: install
	$(PY) manage.py seed_demo --reset-passwords

test: install-dev
	scripts/ensure-test-deps.sh
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) VAR_DIR=$(CURDIR)/var/test DEBUG=true \
		AWS_EC2_METADATA_DISABLED=true \
		$(PY) -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(PY) bench/run_all.py

clean:
	rm -rf var/test test-artifacts
