"""Python's cycle collector, run on the Qt thread only.

The collector runs on whichever thread happens to allocate when a generation's threshold is
passed. A reference cycle that holds Qt objects made on the Qt thread (a closure connected to
a signal, a dialog kept on a widget) then gets destroyed on a worker thread, and Qt crashes:
the whole app ends with a segmentation fault (seen in a test run: a persona-loading thread
collected while it parsed a JSON file). So automatic collection is switched off and the Qt
thread collects, generation by generation as the thresholds ask, a few times a second."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

COLLECT_EVERY_MS = 500


class QtThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(COLLECT_EVERY_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    def collect(self) -> int:
        """What the automatic collector would have done by now, on this (the Qt) thread."""
        counts = gc.get_count()
        if counts[0] <= self._thresholds[0]:
            return 0
        generation = 0
        if counts[1] > self._thresholds[1]:
            generation = 1
            if counts[2] > self._thresholds[2]:
                generation = 2
        return gc.collect(generation)


def collect_on_qt_thread(app: QObject) -> QtThreadGarbageCollector:
    """Install it once per application (it is the application's child)."""
    return installed() or QtThreadGarbageCollector(app)


def installed() -> QtThreadGarbageCollector | None:
    """The application's collector, if one was installed."""
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    return None if app is None else app.findChild(QtThreadGarbageCollector)
