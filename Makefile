# waystation: `make run` and `make test` are the contract (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
WORLDS ?= 100000
WORKERS ?= 2
# pytest processes for `make test` (pytest-xdist): the suite is ~14 min on one core
TEST_WORKERS ?= 2

.PHONY: run test lint typecheck pytest bench browser clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/waystation run default --worlds $(WORLDS) --workers $(WORKERS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

browser:
	bash .ci/browser

pytest: $(STAMP_DEV)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

test: lint typecheck browser pytest

# the engine's paths side by side with the previous kernel (bench_kernel.py), then every
# backend against the pure-Python reference; each prints one JSON object last
bench: $(STAMP_DEV)
	$(BIN)/python benchmarks/bench_kernel.py --quick
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
