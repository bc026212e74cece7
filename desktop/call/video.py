"""The face stage: renders frames on the audio clock into a latest-frame mailbox.

The renderer runs on this worker, never on the Qt thread. Each frame is rendered for the
speech time at which it will be *seen*: the audio clock now plus the expected delay until it
is painted (render time plus half a paint period) plus half a frame period (the middle of
the time it stays on screen), so lips meet the sound, not trail it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from desktop.face.animator import FaceAnimator
from desktop.face.source import FaceMoment, FaceSource
from desktop.voice.audio_out import AudioOutput


@dataclass(frozen=True)
class VideoFrame:
    image: np.ndarray  # uint8 RGB
    speech_t: float  # the audio-clock time this frame shows
    rendered_at: float  # monotonic
    render_ms: float
    number: int


def av_offset_ms(frame: VideoFrame, heard_s: float, paint_period_s: float = 1 / 60) -> float:
    """How far the lips of ``frame`` are from the sound when the painter, polling now (the
    speaker has played ``heard_s``), puts it on screen: on average half a paint period later."""
    return abs(frame.speech_t - (heard_s + paint_period_s / 2)) * 1000.0


class FrameMailbox:
    """Holds only the newest frame: the painter never falls behind, it skips."""

    def __init__(self) -> None:
        self._frame: VideoFrame | None = None
        self._lock = threading.Lock()

    def put(self, frame: VideoFrame) -> None:
        with self._lock:
            self._frame = frame

    def latest(self) -> VideoFrame | None:
        with self._lock:
            return self._frame


class FaceLoop:
    def __init__(
        self,
        source: FaceSource,
        animator: FaceAnimator,
        output: AudioOutput | Callable[[], AudioOutput | None] | None,
        mailbox: FrameMailbox,
        fps: float = 25.0,
        paint_period_s: float = 1 / 60,
    ) -> None:
        self.source = source
        self.animator = animator  # whose listening state the face shows
        # The speaker whose clock the face follows. A callable follows a call whose speaker
        # changes (switched, unplugged, back): ask it each frame.
        self._output = output if callable(output) else (lambda: output)
        self.mailbox = mailbox
        self.fps = fps
        self.paint_period_s = paint_period_s
        self.render_ms: list[float] = []
        self._thread: threading.Thread | None = None
        self._running = False
        self._started = time.monotonic()

    @property
    def output(self) -> AudioOutput | None:
        return self._output()

    def speech_clock(self) -> float:
        output = self.output
        if output is None or not output.is_open:
            return 0.0
        return output.seconds(output.played_frames())

    def start(self) -> FaceLoop:
        self._running = True
        self._thread = threading.Thread(target=self._run, name="face-loop", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def render_once(self, number: int = 0) -> VideoFrame:
        expected_ms = float(np.median(self.render_ms[-25:])) if self.render_ms else 10.0
        # A frame is on screen from about half a paint period after it is rendered until the
        # next frame replaces it one frame period later: aim at the middle of that span, so
        # the lips are as often a little early as a little late (|A-V| <= half a period).
        lead = expected_ms / 1000.0 + self.paint_period_s / 2 + 0.5 / self.fps
        speaking = self._speaking()
        speech_t = self.speech_clock() + lead if speaking else self.speech_clock()
        now = time.monotonic()
        moment = FaceMoment(speech_t, now - self._started, speaking,
                            self.animator.listening_since is not None)
        started = time.perf_counter()
        image = self.source.frame(moment)
        render_ms = (time.perf_counter() - started) * 1000.0
        self.render_ms.append(render_ms)
        if len(self.render_ms) > 2000:
            del self.render_ms[:1000]
        frame = VideoFrame(image, speech_t, time.monotonic(), render_ms, number)
        self.mailbox.put(frame)
        return frame

    def _speaking(self) -> bool:
        output = self.output
        return output is not None and output.is_open and not output.is_idle()

    def _run(self) -> None:
        period = 1.0 / self.fps
        next_time = time.monotonic()
        number = 0
        while self._running:
            self.render_once(number)
            number += 1
            next_time += period
            delay = next_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_time = time.monotonic()  # fell behind: skip, do not burst
