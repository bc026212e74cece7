# One command runs the app, one runs every test. Both create .venv and install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LIKENESS_STAMP := $(VENV)/.installed-likeness
BENCH_STAMP := $(VENV)/.installed-bench
PACKAGE_STAMP := $(VENV)/.installed-package

# Every dependency's version is locked (packaging/constraints.txt): a fresh set-up installs
# what was tested, never whatever is newest that day.
CONSTRAINTS := packaging/constraints.txt
LLAMA_VERSION := $(shell sed -n 's/^llama[-_]cpp[-_]python==//p' $(CONSTRAINTS))
# llama.cpp is compiled once, for any CPU of its class rather than only the build machine's
# (a native build dies with "Illegal instruction" elsewhere): an x86-64 CPU with AVX2, FMA,
# F16C and BMI2 (Intel Haswell 2013, AMD Excavator 2015 and later). The wheel is kept outside
# the checkout, so a second clone does not compile it again. LLAMA_CMAKE=-DGGML_NATIVE=ON
# builds for this machine alone.
ARCH := $(shell uname -m)
ifeq ($(ARCH),x86_64)
LLAMA_CMAKE ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
else
LLAMA_CMAKE ?= -DGGML_NATIVE=OFF
endif
LLAMA_WHEELS ?= $(HOME)/.cache/hearth/llama-cpp-python-$(LLAMA_VERSION)-$(ARCH)-$(shell echo '$(LLAMA_CMAKE)' | cksum | cut -d' ' -f1)
PIP_INSTALL := $(BIN)/python -m pip install -c $(CONSTRAINTS) --find-links $(LLAMA_WHEELS)

.PHONY: run test test-fast test-likeness lint bench screenshot screenshot-face translations \
	package package-test lock clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip wheel
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "Compiling llama.cpp ($(LLAMA_CMAKE)); this takes 5-20 minutes, once."; \
		mkdir -p $(LLAMA_WHEELS) && CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/python -m pip wheel \
			--no-deps --no-cache-dir --no-binary llama-cpp-python \
			-w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION); fi
	$(PIP_INSTALL) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python main.py

test: $(STAMP)
	$(BIN)/ruff check desktop tests main.py packaging
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest --ignore=tests/likeness --ignore=tests/package --durations=15

# The pure tests only (logic, in-memory stores, stages with fakes): seconds, for the edit loop.
test-fast: $(STAMP)
	$(BIN)/ruff check desktop tests main.py packaging
	$(BIN)/python -m pytest --ignore=tests/likeness --ignore=tests/package -m "not engines" -q --durations=5

# The likeness builder's tests (torch, PyAV, scikit-image): a step of their own, after the
# main suite, so the app and `make test` stay light.
$(LIKENESS_STAMP): $(STAMP) pyproject.toml
	$(PIP_INSTALL) -e '.[dev,likeness]'
	touch $(LIKENESS_STAMP)

test-likeness: $(LIKENESS_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/likeness

lint: $(STAMP)
	$(BIN)/ruff check desktop tests main.py packaging

# The benchmark builds its random-weight models with torch (the `bench` extra).
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PIP_INSTALL) -e '.[dev,bench]'
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
	$(BIN)/pyside6-lupdate -no-obsolete -tr-function-alias tr+=_tr desktop/ui/*.py -ts assets/i18n/hearth_zh_CN.ts
	$(BIN)/pyside6-lrelease assets/i18n/hearth_zh_CN.ts -qm assets/i18n/hearth_zh_CN.qm

# The one-folder app, a .deb, a portable tar.gz, the source tarball and SHA256SUMS, in
# build/dist (docs/packaging.md). Linux; the Windows and macOS builds run on their own OS.
$(PACKAGE_STAMP): $(STAMP) pyproject.toml
	$(PIP_INSTALL) -e '.[dev,package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(BIN)/python packaging/build.py

# Builds the package, then proves it on this machine: the frozen self-test, the first-run
# window, the .deb's desktop entry and file type, a .persona opened into a running Hearth.
package-test: package
	$(BIN)/python -m pytest tests/package -v

# After changing pyproject.toml: every installed version, written down.
lock: $(STAMP)
	$(PIP_INSTALL) -e '.[dev,bench,likeness,package]'
	{ sed -n '1,3p' $(CONSTRAINTS); $(BIN)/python -m pip freeze --exclude-editable | \
		sed 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/'; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

clean:
	rm -rf $(VENV) tests/.models .pytest_cache build
