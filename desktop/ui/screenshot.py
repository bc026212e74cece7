"""Takes the call-view screenshot for docs/: a real window (run under Xvfb), mid-reply.

    xvfb-run -a python -m desktop.ui.screenshot docs/call-view.png

Uses the fixture models (built on the fly) in a temporary data folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


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
        QTimer.singleShot(2500, shoot)

    def shoot() -> None:
        window.grab().save(target)
        app.quit()

    QTimer.singleShot(300, start)
    app.exec()
    hearth.close()
    if pulse is not None:
        pulse.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "call-view.png"))
