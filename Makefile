# Corridor — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export CORRIDOR_DATA_DIR ?= $(CURDIR)/var
BIND ?= 127.0.0.1:8000

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

CATALOGUES := $(wildcard locale/*/LC_MESSAGES/django.po corridor/*/locale/*/LC_MESSAGES/django.po)

# Debian packages beyond Python (scripts/system-deps installs them as root, or says how).
system-deps: ## check (as root: install) the Debian packages the build needs: gettext, fonts-dejavu-core (PDF statistics)
	@scripts/system-deps gettext fonts-dejavu-core

system-deps-test: ## the same for the tests: gettext, fonts-dejavu-core, chromium, poppler-utils (pdftoppm) and nginx-light (deploy/proxy)
	@scripts/system-deps gettext fonts-dejavu-core chromium poppler-utils nginx-light

%.mo: %.po | system-deps
	msgfmt --check-format -o $@ $<

install: $(BIN)/.installed $(CATALOGUES:.po=.mo) ## create .venv, install pinned dependencies, compile translations
	@mkdir -p $(CORRIDOR_DATA_DIR) && chmod 700 $(CORRIDOR_DATA_DIR)
	$(BIN)/corridor migrate --noinput -v 0
	$(BIN)/corridor collectstatic --noinput -v 0

# Shown as localhost: browsers refuse security keys on an IP address such as 127.0.0.1.
RUN_URL = http://localhost:$(lastword $(subst :, ,$(BIND)))

run: install ## set up a demo instance in ./var and serve it on http://localhost:8000
	CORRIDOR_INSECURE_HTTP=1 $(BIN)/corridor demo --base-url $(RUN_URL)
	@echo "Serving on $(RUN_URL)/ — the instance starts SEALED; unseal it at the address shown above (To unseal: …)."
	CORRIDOR_INSECURE_HTTP=1 $(BIN)/corridor serve --bind $(BIND)

test: system-deps-test install ## run the whole test suite (set DATABASE_URL to use PostgreSQL)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: install ## ruff (with security rules), the import contracts (layers, no cycles, crypto only in keys), strict mypy, bandit
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy corridor
	$(BIN)/bandit -c pyproject.toml -r corridor -q

# Not part of lint: the build machines reach PyPI's package index but not its per-version
# JSON (https://pypi.org/pypi/NAME/VERSION/json answers 404 there) nor OSV, so it cannot run
# in CI; run it where PyPI is reachable before every release.
audit-deps: install ## pip-audit: every pinned package against PyPI's advisory data (needs full access to pypi.org)
	@# Every pinned package against PyPI's advisory data (needs https://pypi.org/pypi/NAME/VERSION/json);
	@# the lock pins every dependency, so it is audited as it is, without resolving.
	$(BIN)/pip-audit -r requirements.lock --strict --no-deps --disable-pip --progress-spinner off

check: install ## deployment checks, missing migrations, the API schema, and schemathesis against a demo instance
	@# The deployment checks need the key pins (keys.E003-E006): take them from a throwaway instance.
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  CORRIDOR_DATA_DIR=$$tmp $(BIN)/corridor init --shares 2 --threshold 2 --no-qr > $$tmp/init.out && \
	  pins=$$(grep -E '^ *CORRIDOR_(AUDIT_KEY_FINGERPRINT|INTAKE_RECIPIENT)=' $$tmp/init.out | tr -d ' ') && \
	  env $$pins CORRIDOR_DATA_DIR=$$tmp CORRIDOR_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) CORRIDOR_ALLOWED_HOSTS=corridor.example \
	  $(BIN)/corridor check --deploy --fail-level WARNING
	$(BIN)/corridor makemigrations --check --dry-run
	$(BIN)/corridor spectacular --validate --fail-on-warn --file /dev/null
	@# schemathesis, every check and phase, as each staff role, against a throwaway demo instance.
	$(BIN)/python scripts/api-fuzz

messages: install ## extract translatable strings into locale/ru (then translate and commit)
	$(BIN)/corridor makemessages -l ru --no-obsolete --ignore '.venv/*' --ignore 'var/*'

bench: install ## run the benchmarks and write bench/results.json
	$(BIN)/python -m bench.run

# locust lives in its own virtualenv: the application never installs it.
LOAD_VENV := .venv-load
$(LOAD_VENV)/.installed: bench/load/requirements.lock
	$(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/load/requirements.lock
	touch $@

bench-load: install $(LOAD_VENV)/.installed ## 50 users for 5 minutes on a 100,000-person PostgreSQL instance (DATABASE_URL or local); writes bench/results.json "load"
	$(BIN)/python -m bench.load.run $(BENCH_LOAD_ARGS)

clean: ## remove the virtualenv and build leftovers (keeps ./var)
	rm -rf $(VENV) $(LOAD_VENV) staticfiles *.egg-info

.PHONY: help system-deps system-deps-test install run test lint check messages bench bench-load audit-deps clean
