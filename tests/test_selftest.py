"""``hearth selftest`` through the real command: every native engine loads and works on the
fixture models (a sentence into the PulseAudio null sink, a face frame, Qt offscreen), and a
broken engine is named with what to do while the other checks still run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.selftest import display_problem, last_words

HEARTH = [sys.executable, "-m", "desktop.cli"]


def test_every_engine_passes_on_a_working_machine(pulse, tmp_path: Path) -> None:
    env = {**os.environ, "HEARTH_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([*HEARTH, "selftest"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "All 8 checks passed."
    for engine in ("llama.cpp", "piper", "PortAudio", "onnxruntime", "sherpa-onnx",
                   "echo canceller", "SQLite", "Qt"):
        assert any(line.startswith("  ok") and engine in line for line in lines), engine
    played = next(line for line in lines if "PortAudio played" in line)
    assert float(played.split("played ")[1].split(" s")[0]) > 0.5  # a whole sentence


def test_a_broken_engine_is_named_and_the_others_still_run(tmp_path: Path) -> None:
    """No display and no sound server: Qt aborts its process, PortAudio finds no speaker.
    Both are named with what to do; the engines that work still pass."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "PULSE_SERVER")}
    env.update(HEARTH_HOME=str(tmp_path / "home"), PULSE_SERVER="unix:/nonexistent",
               QT_QPA_PLATFORM="xcb")
    done = subprocess.run([*HEARTH, "selftest", "--only", "qt", "speaker", "memory"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    qt = next(line for line in lines if "window (Qt)" in line)
    assert qt.startswith("  FAIL") and "crashed" in qt and "desktop session" in qt
    # The cause first (Qt's own hint blames a library even when there is no display), then
    # Qt's words, not the list of plugins it ends with.
    assert "There is no display" in qt and "Available platform plugins" not in qt
    speaker = next(line for line in lines if "speaker" in line)
    assert speaker.startswith("  FAIL") and "Traceback" not in done.stdout + done.stderr
    assert any(line.startswith("  ok") and "SQLite" in line for line in lines)
    assert lines[-1] == "2 of 3 checks failed: see above."


@pytest.mark.parametrize("missing", ["phontab"])
def test_missing_speech_data_is_said_not_a_dead_process(tmp_path: Path, missing: str,
                                                        fixture_models: Path) -> None:
    """espeak-ng without its data exits the whole process, with no exception to catch: the
    voice refuses to load first and says so."""
    from desktop.errors import HearthError
    from desktop.voice import tts

    empty = tmp_path / "espeak-ng-data"
    empty.mkdir()
    with pytest.raises(HearthError, match="speech data"):
        tts.PiperTTS.load(fixture_models / "voices" / "en_US-hearth-fixture.onnx",
                          espeak_data=empty)


def test_a_display_that_is_not_there_is_named_before_qt_blames_a_library() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert "no display" in display_problem({})
    assert ":97" in display_problem({"DISPLAY": ":97"})  # no X server socket for it
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None


def test_last_words_skip_the_epilogue_qt_aborts_with() -> None:
    said = ["qt.qpa.xcb: could not connect to display :3",
            'qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though it '
            "was found.",
            "This application failed to start because no Qt platform plugin could be "
            "initialized. Reinstalling the application may fix this problem.", "",
            "Available platform plugins are: minimal, offscreen, xcb."]
    words = last_words(said)
    assert words.startswith("qt.qpa.xcb: could not connect to display :3")
    assert "Available" not in words
    assert last_words(["Segmentation fault"]) == "Segmentation fault"
