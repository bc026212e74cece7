"""``hearth selftest``: every native engine Hearth is made of, loaded and used once on the
project's fixture models, in a checkout and inside the frozen app alike.

Each check runs in a child process (desktop.child): a native library that is missing or
broken can abort the process that loads it (espeak-ng without its data, Qt without a
display, a llama.cpp built for another CPU), and the self-test must still name it and go on
to the next. The fixture models ship inside a packaged Hearth (``selftest-models``); from a
checkout they are built once into the cache folder.

    python -m desktop.selftest CHECK MODELS_DIR   (the child: prints one line, exit 0 = works)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop.child import child_command
from desktop.errors import HearthError
from desktop.fixtures.build import EN_VOICE, RECOGNIZER, STREAMING_RECOGNIZER, TINY_LLM, VAD
from desktop.paths import DataDirs, asset_path, shipped

CHECK_TIMEOUT_S = 120
SENTENCE = "Hello, this is Hearth checking its voice."


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str  # what worked, or what is broken and what to do


def fixture_models() -> Path:
    """The fixture models: shipped beside a frozen Hearth, else built once into the cache."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen and (Path(frozen) / "selftest-models" / TINY_LLM).is_file():
        return Path(frozen) / "selftest-models"
    from desktop.fixtures.build import build_fixture_models

    return build_fixture_models(DataDirs.default().cache / "selftest-models")


# -- the checks, each run in a child -------------------------------------------------------
def check_llama(models: Path) -> str:
    import llama_cpp

    from desktop.brain.llm import LocalLLM, Sampling, cpu_features_in_use
    from desktop.brain.prompt import Message, PersonaPrompt

    llm = LocalLLM.load(models / TINY_LLM)
    persona = PersonaPrompt("org.hearth.selftest", "Sam", "A test persona.", "Warm.", ())
    pieces = list(llm.stream(persona, [Message("user", "Hello")],
                             sampling=Sampling(max_tokens=4, seed=1)))
    on = sorted(cpu_features_in_use(llama_cpp.llama_print_system_info().decode(
        errors="replace")))
    return (f"llama.cpp {llama_cpp.__version__} wrote {len(pieces)} pieces; CPU features "
            f"in use: {', '.join(on) or 'none reported'}")


def check_voice(models: Path) -> str:
    from desktop.voice.tts import PiperTTS

    chunks = list(PiperTTS.load(models / EN_VOICE).synthesize(SENTENCE))
    seconds = sum(chunk.duration_s for chunk in chunks)
    if seconds <= 0:
        raise HearthError("piper produced no sound.", "Reinstall Hearth.")
    return f"piper and espeak-ng spoke a sentence ({seconds:.1f} s of audio)"


def check_speaker(models: Path) -> str:
    from desktop.voice.audio_out import AudioOutput
    from desktop.voice.tts import PiperTTS

    chunk = next(iter(PiperTTS.load(models / EN_VOICE).synthesize(SENTENCE)))
    output = AudioOutput().open()
    try:
        output.enqueue(chunk.audio, chunk.sample_rate, 1)
        deadline = time.monotonic() + 10 + chunk.duration_s
        while not output.is_idle() and time.monotonic() < deadline:
            time.sleep(0.05)
        if output.error:
            raise HearthError(f"The speaker stopped: {output.error}",
                              "Check the speaker in your system's sound settings.")
        played = output.seconds(output.played_frames())
    finally:
        output.close()
    return f"PortAudio played {played:.1f} s into the default speaker"


def check_face(_models: Path) -> str:
    from desktop.face.contract import FaceParams
    from desktop.face.loading import load_portrait
    from desktop.face.renderer import FaceRenderer
    from desktop.personas.library import load_persona

    wren = load_persona(shipped("personas", "wren"), builtin=True)
    renderer = FaceRenderer.load(asset_path("renderer", "builtin-warp.onnx"),
                                 load_portrait(wren), wren.rig)
    params = FaceParams()
    params["jaw_open"] = 0.6
    frame = renderer.render(params)
    if frame.ndim != 3 or frame.shape[2] != 3 or not frame.any():
        raise HearthError("The face model rendered an empty frame.", "Reinstall Hearth.")
    return f"onnxruntime and OpenCV rendered a {frame.shape[1]}x{frame.shape[0]} face frame"


def check_recognizer(models: Path) -> str:
    import numpy as np

    from desktop.voice.recognizers import load_recognizer
    from desktop.voice.vad import SileroVAD

    for folder in (RECOGNIZER, STREAMING_RECOGNIZER):
        load_recognizer(models / folder).transcribe(np.zeros(16000, np.float32))
    SileroVAD.load(models / VAD).push(np.zeros(16000, np.float32))
    return ("sherpa-onnx decoded a second of audio, whole and streamed; the voice detector "
            "ran")


def check_echo(_models: Path) -> str:
    import numpy as np

    from desktop.voice.echo import FRAME, EchoCanceller

    frame = np.zeros(FRAME * 4, np.float32)
    if len(EchoCanceller.load().process(frame, frame)) != len(frame):
        raise HearthError("The echo canceller returned no audio.", "Reinstall Hearth.")
    return "WebRTC's echo canceller processed 40 ms of audio"


def check_memory(_models: Path) -> str:
    import tempfile

    from desktop.memory.store import Store

    with tempfile.TemporaryDirectory(prefix="hearth-selftest-") as folder:
        store = Store(Path(folder) / "hearth.db").open()
        try:
            store.append_turn("org.hearth.selftest", "user", "hello").result(timeout=30)
            count = len(store.turns("org.hearth.selftest"))
        finally:
            store.close()
    if count != 1:
        raise HearthError("The conversation file did not keep a message.", "Reinstall Hearth.")
    return "SQLite kept and read back a message"


def check_qt(_models: Path) -> str:
    from desktop.ui.selftest_qt import check_qt as qt

    return qt()


CHECKS: dict[str, tuple[str, Callable[[Path], str], str]] = {
    # name: (what the user reads, the check, what to do when the child died without words)
    "llama": ("thinking (llama.cpp)", check_llama,
              "Reinstall Hearth; if it says 'Illegal instruction', this CPU lacks AVX2."),
    "voice": ("voice (piper, espeak-ng)", check_voice,
              "Reinstall Hearth: its speech data may be missing."),
    "speaker": ("speaker (PortAudio)", check_speaker,
                "Check that a speaker is connected and chosen in the system's sound settings."),
    "face": ("face (onnxruntime, OpenCV)", check_face, "Reinstall Hearth."),
    "recognizer": ("hearing (sherpa-onnx)", check_recognizer, "Reinstall Hearth."),
    "echo": ("echo canceller (WebRTC)", check_echo, "Reinstall Hearth."),
    "memory": ("memory (SQLite)", check_memory, "Reinstall Hearth."),
    "qt": ("window (Qt)", check_qt,
           "Qt could not start: run Hearth in a desktop session (there may be no display), "
           "or install the system library Qt's words name."),
}


def run_selftest(models: Path | None = None,
                 report: Callable[[CheckResult], None] = lambda result: None,
                 only: list[str] | None = None) -> list[CheckResult]:
    """Every check, each in its own child process; ``report`` hears each result as it comes."""
    models = models or fixture_models()
    results = []
    for name in only or list(CHECKS):
        label, _check, advice = CHECKS[name]
        try:
            done = subprocess.run(child_command("desktop.selftest", name, str(models)),
                                  capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
            out = done.stdout.strip().splitlines()
            err = [line for line in done.stderr.strip().splitlines() if line.strip()]
            if done.returncode == 0 and out:
                result = CheckResult(label, True, out[-1])
            elif done.returncode > 0 and err:  # the check's own words
                result = CheckResult(label, False, err[-1][:400])
            else:  # died: a native abort or a signal
                said = f" Its last words: {last_words(err)}" if err else ""
                cause = display_problem() if name == "qt" else None
                if cause:
                    said = f" {cause}{said}"
                result = CheckResult(label, False, f"It crashed (exit {done.returncode})."
                                     f"{said} {advice}")
        except subprocess.TimeoutExpired:
            result = CheckResult(label, False, f"It did not finish within {CHECK_TIMEOUT_S} s. "
                                 f"{advice}")
        results.append(result)
        report(result)
    return results


# What Qt prints last when it aborts for want of a platform plugin: the plugins it has and a
# generic line, after the lines that name the cause (a display it cannot reach, a library).
_QT_EPILOGUE = ("Available platform plugins are", "This application failed to start",
                "Reinstalling the application may fix")


def display_problem(env: dict[str, str] | None = None) -> str | None:
    """Why a window cannot open here, when it is the display, not a library: Qt says that
    xcb-cursor0 is needed whenever its X11 plugin fails, even when no X server is there."""
    env = os.environ if env is None else env
    if env.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal")):
        return None
    x11, wayland = env.get("DISPLAY", ""), env.get("WAYLAND_DISPLAY", "")
    if not x11 and not wayland:
        return "There is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)."
    local = re.fullmatch(r"unix:(\d+)(\.\d+)?|:(\d+)(\.\d+)?", x11)
    if local and not wayland:
        number = local.group(1) or local.group(3)
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            return f"No X server answers on display {x11} (DISPLAY)."
    return None


def last_words(lines: list[str], limit: int = 400) -> str:
    """The last lines a child wrote before it died that name a cause, not an epilogue."""
    telling = [line.strip() for line in lines if line.strip()
               and not line.strip().startswith(_QT_EPILOGUE)]
    return " ".join((telling or [line.strip() for line in lines])[-2:])[-limit:]


def child_main(name: str, models: Path) -> int:
    """In the child: one check. Prints what worked, or the problem and what to do."""
    try:
        print(CHECKS[name][1](models), flush=True)
    except HearthError as error:
        print(f"{error.problem} {error.fix}".strip(), file=sys.stderr)
        return 1
    except Exception as error:  # a runtime's own failure: its words, not its class
        words = str(error).strip().splitlines()
        print(f"It failed ({words[-1][:300] if words else type(error).__name__}). "
              f"{CHECKS[name][2]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main(sys.argv[1], Path(sys.argv[2])))
