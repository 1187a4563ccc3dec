# petiq — the two set-up commands are `make run` and `make test`; both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,ml]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	PETIQ_API_KEYS=$${PETIQ_API_KEYS:-dev-key} $(BIN)/petiq serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest --cov --cov-report=term:skip-covered

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage
