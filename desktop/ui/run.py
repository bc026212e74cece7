"""Starts the window: the Qt application, translations, and the composition root."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.app import Hearth
from desktop.errors import HearthError
from desktop.paths import DataDirs, asset_path
from desktop.settings import Settings
from desktop.ui.garbage import collect_on_qt_thread
from desktop.ui.instance import FileOpenEvents, InstanceServer, hand_over, server_name
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


def run_gui(language: str | None = None, hearth: Hearth | None = None,
            open_files: list[str] | None = None) -> int:
    """The window. ``open_files`` (a .persona or card the desktop handed over) go to its
    import preview; if a Hearth window already runs on this data folder, they go to that one,
    which comes to the front, and this launch ends."""
    app = QApplication.instance() or QApplication(sys.argv)
    collect_on_qt_thread(app)  # never on a worker thread: Qt objects die where they live
    app.setApplicationName("Hearth")
    app.setWindowIcon(app_icon())
    dirs = DataDirs.default() if hearth is None else hearth.dirs
    name = server_name(dirs.root)
    if hearth is None and hand_over(name, list(open_files or [])):
        return 0
    settings = Settings.load(dirs.root)
    used = install_translator(app, language or settings.language)
    if hearth is None:
        try:
            hearth = Hearth(dirs, output_device=settings.speaker,
                            input_device=settings.microphone).open()
        except HearthError as error:
            # Nothing to show yet but this: say what is wrong and what to do, then exit.
            QMessageBox.critical(None, "Hearth", f"{error.problem}\n\n{error.fix}")
            return 1
    windows = start_windows(app, hearth, used, name, open_files)
    try:
        return app.exec()
    finally:
        windows.clear()
        hearth.close()


def start_windows(app: QApplication, hearth: Hearth, language: str, name: str,
                  open_files: list[str] | None = None) -> list[MainWindow]:
    """The window, listening for later launches; returns the list that always ends with the
    window shown now (a language change replaces it)."""
    windows = [open_window(app, hearth, language)]
    server = InstanceServer(name, app)

    def received(files: list[str]) -> None:
        window = windows[-1]
        window.showNormal()
        window.raise_()
        window.activateWindow()
        if files:
            window.import_files(files)

    server.files_received.connect(received)
    opened = FileOpenEvents(app)
    app.installEventFilter(opened)
    opened.files_received.connect(received)
    if open_files:
        windows[-1].import_files(list(open_files))

    def relanguage(code: str) -> None:
        # Every label is translated when a widget is made: the window is made again, in the
        # new language, on the same Hearth (its data and engines stay).
        old = windows.pop()
        geometry = old.geometry()
        old.close()
        windows.append(open_window(app, hearth, switch_translator(app, code or None)))
        windows[-1].setGeometry(geometry)
        windows[-1].language_changed.connect(relanguage)

    windows[-1].language_changed.connect(relanguage)
    return windows


def open_window(app: QApplication, hearth: Hearth, language: str) -> MainWindow:
    window = MainWindow(hearth, language=language)
    window.show()
    return window


def switch_translator(app: QApplication, language: str | None) -> str:
    for translator in app.findChildren(QTranslator):
        app.removeTranslator(translator)
        translator.deleteLater()
    return install_translator(app, language)


def app_icon() -> QIcon:
    from desktop.cli.desktop_entry import draw_icon

    icon = QIcon()
    for size in (32, 64, 256):
        pixmap = QPixmap()
        pixmap.loadFromData(draw_icon(size), "PNG")
        icon.addPixmap(pixmap)
    return icon
