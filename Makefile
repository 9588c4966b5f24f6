# Every target sets itself up: `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench reliability clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV). On Debian: sudo apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,server,lint]"
	@touch $@

setup: $(STAMP)

run: setup
	$(PY) main.py

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m bench

# Every hardening trial of issue 6 at full size; writes docs/RELIABILITY.md (takes a while).
reliability: setup
	$(PY) -m reliability --full

clean:
	rm -rf $(VENV) build *.egg-info
