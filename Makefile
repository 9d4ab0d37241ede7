# Set-up is two commands: `make demo` and `make test`. Both build .venv from scratch on a
# machine that only has python3 and pip.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export MPLBACKEND := Agg

.PHONY: demo test test-all lint format bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP) $@

demo: $(STAMP)
	$(BIN)/jaxdyn run sync1d --quick --out runs/sync1d

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -n auto

test-all: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -n auto -m "slow or not slow"

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(TEST_STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]"
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f --quick || exit 1; done

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
