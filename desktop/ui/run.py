"""Starts the window: the Qt application, translations, and the composition root."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.app import Hearth
from desktop.errors import HearthError
from desktop.paths import DataDirs, asset_path
from desktop.ui.main_window import MainWindow


def install_translator(app: QApplication, language: str | None) -> str:
    """Load the UI translation for ``language`` (or the system's); returns the code used."""
    code = language or QLocale.system().name()
    short = code.split("_")[0].split("-")[0].lower()
    if short == "zh":
        translator = QTranslator(app)
        if translator.load(str(asset_path("i18n", "hearth_zh_CN.qm"))):
            app.installTranslator(translator)
            return "zh"
    return "en"


def run_gui(language: str | None = None, hearth: Hearth | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Hearth")
    used = install_translator(app, language)
    if hearth is None:
        try:
            hearth = Hearth(DataDirs.default()).open()
        except HearthError as error:
            # Nothing to show yet but this: say what is wrong and what to do, then exit.
            QMessageBox.critical(None, "Hearth", f"{error.problem}\n\n{error.fix}")
            return 1
    window = MainWindow(hearth, language=used)
    window.show()
    try:
        return app.exec()
    finally:
        hearth.close()
