"""Takes the screenshots for docs/ from real windows (run under Xvfb).

    xvfb-run -a python -m desktop.ui.screenshot docs/call-view.png         (hands-free, mid-reply)
    xvfb-run -a python -m desktop.ui.screenshot docs/setup-screen.png setup  (first run)

Uses the fixture models (built on the fly) in a temporary data folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def setup_screen(target: str) -> int:
    """The first-run screen as a new user sees it: an empty data folder, the real catalog."""
    home = Path(tempfile.mkdtemp(prefix="hearth-setup-shot-"))
    os.environ["HEARTH_HOME"] = str(home)
    from desktop.paths import DataDirs
    from desktop.ui.main_window import STYLE
    from desktop.ui.setup_view import SetupDialog

    app = QApplication(sys.argv)
    dialog = SetupDialog(DataDirs(home).ensure(), ["en", "zh"])
    dialog.setStyleSheet(STYLE)  # as it looks over the main window, whose style it inherits
    dialog.show()

    def shoot() -> None:
        if "cores" not in dialog.machine_label.text():
            QTimer.singleShot(200, shoot)
            return
        dialog.grab().save(target)
        app.quit()

    QTimer.singleShot(500, shoot)
    app.exec()
    return 0


def main(target: str) -> int:
    home = Path(tempfile.mkdtemp(prefix="hearth-shot-"))
    os.environ["HEARTH_HOME"] = str(home)
    from desktop.app import Hearth
    from desktop.fixtures.build import build_fixture_models
    from desktop.paths import DataDirs
    from desktop.ui.main_window import MainWindow

    pulse = None
    try:  # a private null sink, so the call has a speaker even on a machine without one
        from desktop.fixtures.pulse import PulseServer

        pulse = PulseServer().start()
        pulse.apply_to_environment()
        # A second sink whose monitor is the microphone: the shot 'speaks' into it.
        pulse.load_module("module-null-sink", "sink_name=hearth_mic", "rate=48000",
                          "channels=1")
        pulse.set_default_source("hearth_mic.monitor")
    except RuntimeError:
        pulse = None
    dirs = DataDirs(home).ensure()
    build_fixture_models(dirs.models)
    app = QApplication(sys.argv)
    hearth = Hearth(dirs).open()
    window = MainWindow(hearth)
    window.resize(1100, 720)
    window.show()

    def start() -> None:
        if window.conversation is None:
            QTimer.singleShot(200, start)
            return
        window.call_button.click()
        window.call.start.click()
        window.call.latency.click()  # the meter, on demand
        QTimer.singleShot(200, talk)

    def talk() -> None:
        if window.hands_free is None or "Wren" not in window.call.caption.text():
            QTimer.singleShot(200, talk)
            return
        window.stop_reply()  # the user talks over the greeting
        if pulse is not None:
            from desktop.fixtures.speech import SPEECH

            pulse.play(SPEECH / "user-question.wav", "hearth_mic")
        QTimer.singleShot(200, shoot)

    def shoot() -> None:
        meter = window.call.meter.text()
        if pulse is not None and not (meter.startswith(window.tr("end of speech"))
                                      and window.call.caption.text()):
            QTimer.singleShot(100, shoot)
            return
        window.grab().save(target)
        app.quit()

    QTimer.singleShot(300, start)
    app.exec()
    hearth.close()
    if pulse is not None:
        pulse.stop()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "setup":
        raise SystemExit(setup_screen(sys.argv[1]))
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "call-view.png"))
