"""Engine packages never import Qt, and importing them does not load the audio library."""

import subprocess
import sys

ENGINE_MODULES = [
    "desktop.app", "desktop.brain.llm", "desktop.brain.prompt", "desktop.call.session",
    "desktop.call.video", "desktop.face.renderer", "desktop.memory.store",
    "desktop.voice.tts", "desktop.voice.audio_out", "desktop.personas.library",
    "desktop.models.inventory", "desktop.budget",
]


def test_engine_imports_load_neither_qt_nor_sounddevice() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in ENGINE_MODULES)
        + "bad = [m for m in sys.modules if m.startswith(('PySide6', 'sounddevice'))]\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_only_the_ui_package_mentions_pyside6() -> None:
    from pathlib import Path

    import desktop

    root = Path(desktop.__file__).parent
    offenders = [
        str(path.relative_to(root)) for path in root.rglob("*.py")
        if "PySide6" in path.read_text(encoding="utf-8") and path.parts[-2] != "ui"
    ]
    assert offenders == []
