"""Watching the models folder: models added while the window is open (hearth models add, a
download, a copy by hand) are announced once the folder has been quiet for a moment, so the
window can pick them up without a restart."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal


class ModelsWatcher(QObject):
    changed = Signal()

    def __init__(self, models: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.models = models
        self._watch = QFileSystemWatcher(self)
        self._quiet = QTimer(self)
        self._quiet.setSingleShot(True)
        self._quiet.setInterval(1500)  # a copy in progress changes the folder often
        self._quiet.timeout.connect(self._settled)
        self._watch.directoryChanged.connect(lambda _path: self._quiet.start())
        self._follow()

    def _follow(self) -> None:
        """Watch the folder and each kind's folder in it (new ones too)."""
        self.models.mkdir(parents=True, exist_ok=True)
        folders = [self.models, *(p for p in self.models.iterdir() if p.is_dir())]
        watched = set(self._watch.directories())
        new = [str(p) for p in folders if str(p) not in watched]
        if new:
            self._watch.addPaths(new)

    def _settled(self) -> None:
        self._follow()
        self.changed.emit()
