# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates the virtual environment it needs from pyproject.toml.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test screenshots benchmark clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/fieldsync demo

test: $(BIN)/.installed
	VENV=$(VENV) scripts/test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
