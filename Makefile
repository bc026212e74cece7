# One command runs the app, one runs every test. Both create .venv and install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LIKENESS_STAMP := $(VENV)/.installed-likeness
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: run test test-fast test-likeness lint bench screenshot screenshot-face translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip wheel
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python main.py

test: $(STAMP)
	$(BIN)/ruff check desktop tests main.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest --ignore=tests/likeness --durations=15

# The pure tests only (logic, in-memory stores, stages with fakes): seconds, for the edit loop.
test-fast: $(STAMP)
	$(BIN)/ruff check desktop tests main.py
	$(BIN)/python -m pytest --ignore=tests/likeness -m "not engines" -q --durations=5

# The likeness builder's tests (torch, PyAV, scikit-image): a step of their own, after the
# main suite, so the app and `make test` stay light.
$(LIKENESS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -e '.[dev,likeness]'
	touch $(LIKENESS_STAMP)

test-likeness: $(LIKENESS_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/likeness

lint: $(STAMP)
	$(BIN)/ruff check desktop tests main.py

# The benchmark builds its random-weight models with torch (the `bench` extra).
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/hearth bench --json

# The call-view screenshot in docs/, taken from a real window under Xvfb.
screenshot: $(STAMP)
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python -m desktop.ui.screenshot docs/call-view.png
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python -m desktop.ui.screenshot docs/setup-screen.png setup
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python -m desktop.ui.screenshot docs/call-full-body-card.png card
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python -m desktop.ui.screenshot docs screens en
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python -m desktop.ui.screenshot docs screens zh

# A call with a hearth-face-v2 persona: FACE is a face folder from hearth likeness build
# (e.g. hearth likeness selftest --work /tmp/st --seconds 90 --steps 4000 --crop 128, then
# FACE=/tmp/st/likeness/face).
screenshot-face: $(STAMP)
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python -m desktop.ui.screenshot docs/call-v2-face.png face $(FACE)

translations: $(STAMP)
	$(BIN)/pyside6-lupdate -tr-function-alias tr+=_tr desktop/ui/*.py -ts desktop/assets/i18n/hearth_zh_CN.ts
	$(BIN)/pyside6-lrelease desktop/assets/i18n/hearth_zh_CN.ts -qm desktop/assets/i18n/hearth_zh_CN.qm

clean:
	rm -rf $(VENV) tests/.models .pytest_cache
