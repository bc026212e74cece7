"""The self-test's Qt check (desktop.selftest): the platform plugin starts, a window with
Chinese text is drawn, the image-format plugins read the persona's portrait, and the
translation loads. Run in a child process: Qt aborts the process when it has no display."""

from __future__ import annotations


def check_qt() -> str:
    from PySide6.QtCore import QTranslator
    from PySide6.QtGui import QImage, QImageReader
    from PySide6.QtWidgets import QApplication, QLabel

    from desktop.errors import HearthError
    from desktop.paths import asset_path, shipped

    app = QApplication.instance() or QApplication(["hearth-selftest"])
    label = QLabel("Hearth · 你好")
    label.resize(200, 40)
    image = label.grab().toImage()
    if image.isNull() or image.width() == 0:
        raise HearthError("Qt drew nothing.", "Reinstall Hearth.")
    formats = {bytes(name).decode() for name in QImageReader.supportedImageFormats()}
    missing = {"png", "jpeg"} - formats
    portrait = QImage(str(shipped("personas", "wren", "portrait.png")))
    if missing or portrait.isNull():
        raise HearthError(f"Qt cannot read {', '.join(sorted(missing)) or 'PNG'} images.",
                          "Reinstall Hearth: its image plugins are missing.")
    translator = QTranslator()
    if not translator.load(str(asset_path("i18n", "hearth_zh_CN.qm"))):
        raise HearthError("The Chinese translation cannot be loaded.", "Reinstall Hearth.")
    return (f"Qt drew a window on the {app.platformName()} platform and reads PNG and JPEG "
            "images; the translation loads")
