"""How a stage of the call runs: one worker thread over an inbox of frames (pipecat's frame
processors). A stage is an object with ``process(frame)``, and optionally ``idle()`` for work
done only while its inbox stays quiet. The thread is the only caller of both, so a stage's
own state needs no lock; what stages share lives in ``CallState`` under its lock.

``run_frames`` drives a stage over a list of frames on the caller's thread, so a stage can be
tested alone, with fakes, in milliseconds.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import Protocol

from desktop.call.frames import Control, Frame, Stop


class Stage(Protocol):
    def process(self, frame: Frame | Control) -> None: ...


class StageThread:
    """A stage's inbox and worker. ``idle_s``: call the stage's ``idle()`` whenever the inbox
    has been empty that long (None: never)."""

    def __init__(self, name: str, stage: Stage, idle_s: float | None = None) -> None:
        self.name = name
        self.stage = stage
        self.idle_s = idle_s
        self.inbox: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        # Frames put and not yet processed to the end: zero means the stage has done all it
        # was given (counted at put, so no moment between get and process looks idle).
        self._unfinished = 0
        self._count_lock = threading.Lock()

    def put(self, frame: Frame | Control) -> None:
        with self._count_lock:
            self._unfinished += 1
        self.inbox.put(frame)

    def settled(self) -> bool:
        """Every frame given so far has been processed (tests wait on this, not on time)."""
        with self._count_lock:
            return self._unfinished == 0

    def empty(self) -> bool:
        """Nothing waits: the stage may go on with work it would drop for newer frames."""
        return self.inbox.empty()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"call-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self.put(Stop())
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _run(self) -> None:
        idle = getattr(self.stage, "idle", None) if self.idle_s is not None else None
        while True:
            try:
                frame = self.inbox.get(timeout=self.idle_s)
            except queue.Empty:
                if idle is not None:
                    idle()
                continue
            try:
                if isinstance(frame, Stop):
                    return
                self.stage.process(frame)
            finally:
                with self._count_lock:
                    self._unfinished -= 1


def run_frames(stage: Stage, frames: Iterable[Frame | Control]) -> None:
    """Process ``frames`` in order on this thread, as the stage's worker would."""
    for frame in frames:
        stage.process(frame)
