"""The one bridge from engine threads to the Qt thread.

Engine workers call ``post(event)`` from any thread; it only appends to a deque. A timer on
the Qt thread drains the deque and emits ``event`` there, so slots never run on a worker.
``call`` queues a function to run on the Qt thread the same way, and ``background`` runs work
on a worker thread and hands its result (or its error) back through ``call``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal


@dataclass(frozen=True)
class _Call:
    function: Callable
    args: tuple


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

    def call(self, function: Callable, *args: object) -> None:
        """Run ``function(*args)`` on the Qt thread soon. Thread-safe."""
        self._pending.append(_Call(function, args))

    def background(self, work: Callable[[], object], done: Callable[[object], None],
                   failed: Callable[[Exception], None], name: str = "ui-work") -> threading.Thread:
        """Run ``work`` on a worker thread; then ``done(result)`` or ``failed(error)`` on the
        Qt thread. An error is shown by ``failed``, never raised into Qt. Returns the worker,
        for a caller that must wait for it (closing the window)."""
        def run() -> None:
            try:
                result = work()
            except Exception as error:
                self.call(failed, error)
                return
            self.call(done, result)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread

    def drain(self) -> None:
        while self._pending:
            item = self._pending.popleft()
            if isinstance(item, _Call):
                item.function(*item.args)
            else:
                self.event.emit(item)
