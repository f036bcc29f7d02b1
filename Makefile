# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates the virtual environment it needs from pyproject.toml.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-django6 screenshots benchmark clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/fieldsync demo

test: $(BIN)/.installed
	VENV=$(VENV) scripts/test

# Only the central plugin's suite on Django 6.x (its own .venv-django6, made by scripts/test).
test-django6:
	scripts/test django6

clean:
	rm -rf $(VENV) .venv-django6 .pytest_cache .ruff_cache *.egg-info
