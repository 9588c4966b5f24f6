# Every target sets itself up: `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench reliability clean translations translations-update screenshots bytecode icons dist

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV). On Debian: sudo apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,server,lint]"
	@touch $@

setup: $(STAMP)

# Bytecode for the program's own modules, as an installed wheel has: without it (for instance
# under PYTHONDONTWRITEBYTECODE=1) every start compiles them again, 0.07-0.2 s of the window's
# start. Quick when nothing changed. (The bench compiles them itself: bench/__main__.py.)
bytecode: setup
	@$(PY) -m compileall -q recap_desktop recap_server main.py

# Compiled Qt translations (.qm) from their sources (.ts); pyside6-lrelease ships with
# PySide6-Essentials. The .qm files are committed too, so a checkout runs without this step.
TS := $(wildcard resources/translations/*.ts)
QM := $(TS:.ts=.qm)

%.qm: %.ts $(STAMP)
	$(PY) resources/translations/update.py --compile-only

translations: $(QM)

# After changing a window string: refresh the .ts files from the source, then translate.
translations-update: setup
	$(PY) resources/translations/update.py

# The window's icon: PNGs and the Windows ICO from resources/icons/recap-desktop.svg (committed).
icons: setup
	QT_QPA_PLATFORM=offscreen $(PY) resources/icons/render.py

# The wheel and the one-folder desktop bundle (PyInstaller) in dist/, with their sizes; see
# docs/PACKAGING.md. The bundle is built from the wheel in its own environment (build/).
dist: setup translations
	$(PY) packaging/build.py

# Screenshots of each main screen in both languages (needs Xvfb: apt-get install xvfb).
screenshots: setup translations
	xvfb-run -a -s "-screen 0 1400x900x24" $(PY) docs/screenshots/take.py

# The window on the DEMO election (its own data folder, set up on first run).
run: setup translations bytecode
	$(PY) main.py --demo

# The server's tests run twice: on SQLite, then on PostgreSQL (tests/pg_support.py; each
# server gets its own fresh schema). Without PostgreSQL the second pass skips them and says so
# in one line; RECAP_REQUIRE_POSTGRES=1 (CI) makes that a failure.
RECAP_TEST_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/test

test: setup translations
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q
	RECAP_TEST_DATABASE=$(RECAP_TEST_POSTGRES) QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# `make bench BENCH_ARGS=--quick` for the 5-minute run; see docs/PERFORMANCE.md.
BENCH_ARGS ?=
bench: setup
	$(PY) -m bench $(BENCH_ARGS)

# Every hardening trial of issue 6 at full size; writes docs/RELIABILITY.md (takes a while).
reliability: setup
	$(PY) -m reliability --full

clean:
	rm -rf $(VENV) build dist *.egg-info
