"""Collects what a call tells the outside world, with the time each event arrived."""

from __future__ import annotations

import threading
import time


class Events:
    def __init__(self) -> None:
        self.items: list[tuple[float, object]] = []
        self.lock = threading.Lock()

    def __call__(self, event: object) -> None:
        with self.lock:
            self.items.append((time.monotonic(), event))

    def of(self, kind: type) -> list:
        with self.lock:
            return [e for _, e in self.items if isinstance(e, kind)]

    def timed(self, kind: type) -> list[tuple[float, object]]:
        with self.lock:
            return [(t, e) for t, e in self.items if isinstance(e, kind)]

    def wait_for(self, kind: type, timeout: float = 60.0, turn_id: int | None = None,
                 where=lambda _e: True) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.of(kind):
                if (turn_id is None or event.turn_id == turn_id) and where(event):
                    return event
            time.sleep(0.02)
        raise AssertionError(f"no {kind.__name__} within {timeout} s")


def wait_until(condition, timeout: float = 60.0) -> None:
    """Wait on a state, not on the clock: fails if ``condition()`` is not true in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true within {timeout} s: {condition}")
        time.sleep(0.01)
