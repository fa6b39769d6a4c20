# Two commands for a fresh machine: `make demo` and `make test`. Both install what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck cfn-lint pytest demo bench up clean console console-test

CONSOLE_STAMP := console/node_modules/.installed
CONSOLE_DIST := console/dist/index.html

install: $(STAMP) $(CONSOLE_STAMP)

$(STAMP): pyproject.toml
	@# the seed examples are bash scripts using jq and curl (Debian packages)
	command -v jq >/dev/null && command -v curl >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq jq curl >/dev/null)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,dev,deploy,cli]'
	touch $(STAMP)

# the web console (Node 20+, npm) and Debian's chromium for its browser test (no browser download)
$(CONSOLE_STAMP): console/package-lock.json
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	cd console && npm ci --no-audit --no-fund
	touch $(CONSOLE_STAMP)

$(CONSOLE_DIST): $(CONSOLE_STAMP) $(shell find console/src console/index.html console/vite.config.ts -type f 2>/dev/null)
	cd console && npm run build

console: install $(CONSOLE_DIST)

console-test: install
	cd console && npm run check:api && npm test

lint: install
	$(BIN)/ruff check src tests bench

typecheck: install
	$(BIN)/mypy

cfn-lint: install
	$(BIN)/cfn-lint infra/template.yaml infra/spoke.yaml

# Two workers, a file per worker at a time (each worker runs its own local stack). The emulator's
# tests run after, in one process: their in-process moto (mock_aws) resets the backends that a
# worker's local stack serves from.
pytest: install $(CONSOLE_DIST)
	$(BIN)/pytest -n 2 --dist loadfile --ignore=tests/emulator
	$(BIN)/pytest tests/emulator

test: install lint typecheck cfn-lint console-test pytest

demo: install
	$(BIN)/python -m drs_local.demo

up: install $(CONSOLE_DIST)
	$(BIN)/drs-orch up

bench: install
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .drs-orch .pytest_cache .mypy_cache .ruff_cache console/node_modules console/dist
