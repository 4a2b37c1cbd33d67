# Every target does its own set-up on a fresh machine.
VENV    := .venv
PIM     := $(VENV)/bin/pim
PYTHON  ?= python3
STAMP   := $(VENV)/.installed-stamp
HOST    ?= 127.0.0.1
PORT    ?= 8000
ADMIN   ?= admin@pim.local
# pytest-xdist processes for `make test` and `make unit` (auto: one per core)
WORKERS ?= auto

.PHONY: run test unit bench soak services tryton frontend browser bytecode lint lock clean

# Dependencies: pyproject.toml names them with the versions that work (the hub's, and the
# dev extra's test and lint tools); requirements.lock pins the exact version of each, and of
# theirs, which every machine installs. To add or change one: edit pyproject.toml, run
# `make lock`, commit both files. The install fails (.ci/check_lock.py) while
# pyproject.toml asks for something requirements.lock does not pin.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	$(VENV)/bin/python .ci/check_lock.py
	touch $(STAMP)

## lock: pin every dependency in requirements.lock (any platform, Python 3.11 and newer),
## keeping the pins that still fit; `make lock UPGRADE=--upgrade` takes the newest allowed
lock:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q 'uv>=0.5'
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--custom-compile-command 'make lock' --quiet $(UPGRADE) -o requirements.lock

## run: set up, migrate the SQLite database under var/, load the demo once, create the admin
## user once (its password is kept in var/admin-password), print how to sign in and serve
## the web UI and the API on http://127.0.0.1:8000
# Links to subscribers and rendition URLs name the address served (PORT=8080 make run), unless
# PIM_BASE_URL is set.
run: export PIM_BASE_URL ?= http://$(HOST):$(PORT)
run: $(STAMP) frontend
	$(PIM) db upgrade
	$(PIM) demo
	$(PIM) user ensure-admin $(ADMIN) --password-file var/admin-password
	@echo
	@echo "  Open http://$(HOST):$(PORT)/ and sign in (the web UI)"
	@echo "    e-mail:   $(ADMIN)"
	@echo "    password: $$(cat var/admin-password 2>/dev/null || echo '(set before this checkout kept it; pim user ensure-admin --help)')"
	@echo "  API docs:  http://$(HOST):$(PORT)/schema/swagger (OpenAPI: /schema/openapi.json)"
	@echo "  API token: $(PIM) token create --user $(ADMIN) --role admin"
	@echo "             then send Authorization: Bearer <token> to /api/v1/..."
	@echo "  Feeds:     a feed carries what was published: $(PIM) publish --channel webshop-uk --ready,"
	@echo "             then $(PIM) feedkey create --channel webshop-uk, then"
	@echo "             curl -H 'X-Feed-Key: <key>' http://$(HOST):$(PORT)/feeds/webshop-uk/csv"
	@echo "  Webhooks:  $(PIM) webhook add --channel webshop-uk --url <receiver URL> prints the secret;"
	@echo "             a receiver on this machine needs PIM_WEBHOOK_ALLOW_HOSTS=127.0.0.1 for both"
	@echo "             this command and make run (README: Receiving webhooks)"
	@echo "  Health:    http://$(HOST):$(PORT)/health"
	@echo
	$(PIM) serve --host $(HOST) --port $(PORT)

## test: set up, make sure PostgreSQL and Redis answer, install the Tryton server the ERP
## tests start, run the whole suite on SQLite and PostgreSQL over $(WORKERS) pytest-xdist
## workers
test: $(STAMP) services tryton frontend browser bytecode
	$(VENV)/bin/pytest -n $(WORKERS) --durations=20

## unit: the tests that need neither PostgreSQL, Redis nor a browser, without the slow ones
## (worker processes, Tryton, whole-catalog imports); starts no service
unit: $(STAMP) bytecode
	$(VENV)/bin/pytest -n $(WORKERS) -m "not postgres and not redis and not browser and not slow"

## bench: the benchmark harness; prints a table and writes var/bench.json
soak: $(STAMP) services
	$(VENV)/bin/python -m tests.soak

bench: $(STAMP) services tryton
	bash .ci/bench-tools.sh
	$(VENV)/bin/python -m tests.bench

services:
	bash .ci/services.sh

## bytecode: compile the hub's and the tests' modules to __pycache__ (only what changed), so
## each test process and each `pim` a test starts reads them rather than compiling its imports
## again; Python never writes them itself where PYTHONDONTWRITEBYTECODE is set
bytecode: $(STAMP)
	$(VENV)/bin/python -m compileall -q pim importers channels exporters tests

## frontend: the web UI's front-end packages (pim/web/package-lock.json) into pim/web/node_modules
frontend:
	bash .ci/frontend.sh

## browser: Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium)
browser:
	bash .ci/browser.sh

## tryton: the Tryton server of the ERP tests, in its own virtualenv (var/tryton/venv)
tryton:
	bash .ci/tryton.sh >/dev/null

## lint: ruff, the import contracts (the slices, the pure packages) and the type checker,
## as configured in pyproject.toml
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
