"""The one bridge from engine threads to the Qt thread.

Engine workers call ``post(event)`` from any thread; it only appends to a deque. A timer on
the Qt thread drains the deque and emits ``event`` there, so slots never run on a worker.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal


class EngineBridge(QObject):
    event = Signal(object)

    def __init__(self, parent: QObject | None = None, interval_ms: int = 15) -> None:
        super().__init__(parent)
        self._pending: deque = deque()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.drain)
        self._timer.start()

    def post(self, event: object) -> None:
        """Thread-safe: deque.append is atomic."""
        self._pending.append(event)

    def drain(self) -> None:
        while self._pending:
            self.event.emit(self._pending.popleft())
