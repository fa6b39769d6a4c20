# Two commands for a fresh machine: `make demo` and `make test`. Both install what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck cfn-lint pytest demo bench up clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@# the seed examples are bash scripts using jq and curl (Debian packages)
	command -v jq >/dev/null && command -v curl >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq jq curl >/dev/null)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,dev,deploy]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check src tests bench

typecheck: install
	$(BIN)/mypy

cfn-lint: install
	$(BIN)/cfn-lint infra/template.yaml

pytest: install
	$(BIN)/pytest

test: install lint typecheck cfn-lint pytest

demo: install
	$(BIN)/python -m drs_local.demo

up: install
	$(BIN)/drs-orch up

bench: install
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .drs-orch .pytest_cache .mypy_cache .ruff_cache
