"""Microphone capture for hands-free calls (issue 3, first part).

The PortAudio callback only copies into a ring buffer, at the device's own rate (never ask a
device for a rate it does not have). Readers take mono float32 at the recognizer's rate,
resampled as a stream with soxr so chunk edges leave no clicks. A device that disappears
mid-call sets ``lost``; the call can then switch devices or fall back to text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from desktop.voice.audio_out import (
    AudioUnavailable,
    DeviceStream,
    RingBuffer,
    load_sounddevice,
)


class AudioInput(DeviceStream):
    def __init__(self, device: int | str | None = None, target_rate: int = 16000,
                 buffer_seconds: float = 30.0,
                 sounddevice_loader: Callable = load_sounddevice) -> None:
        self.device = device
        self.target_rate = target_rate
        self.buffer_seconds = buffer_seconds
        self._load = sounddevice_loader
        self.stream = None
        self.rate = 0
        self.ring: RingBuffer | None = None
        self.overflows = 0  # blocks the reader did not take in time (the ring was full)
        self.lost = False
        self._resampler = None
        self._read_lock = threading.Lock()

    def open(self) -> AudioInput:
        sd = self._load()
        try:
            info = sd.query_devices(self.device, "input")
            self.rate = int(info["default_samplerate"])
            self.ring = RingBuffer(int(self.rate * self.buffer_seconds))
            import soxr

            self._resampler = soxr.ResampleStream(self.rate, self.target_rate, 1,
                                                  dtype="float32")
            # Low latency: every millisecond the microphone holds back is added to noticing
            # that the user started talking over the persona (the barge-in budget is 200 ms).
            self.stream = sd.InputStream(device=self.device, samplerate=self.rate, channels=1,
                                         dtype="float32", latency="low",
                                         callback=self._callback,
                                         finished_callback=self._finished)
            self.stream.start()
        except (sd.PortAudioError, ValueError) as error:
            self.close()
            raise AudioUnavailable(
                f"The microphone could not be opened ({error}).",
                "Check that a microphone is connected and allowed, or pick another one in "
                "Settings. You can still type.") from error
        return self

    def _callback(self, indata: np.ndarray, _frames: int, _time: object, _status: object) -> None:
        # Runs on PortAudio's thread: copy only.
        if self.ring.write(indata[:, 0]) < len(indata):
            self.overflows += 1

    def _finished(self) -> None:
        if self.stream is not None:
            self.lost = True  # the device went away (unplugged) while we were using it

    def read(self) -> np.ndarray:
        """Everything captured since the last read, at ``target_rate``."""
        with self._read_lock:
            available = self.ring.written - self.ring.consumed
            raw = np.empty(available, np.float32)
            self.ring.read_into(raw)
            return self._resampler.resample_chunk(raw).astype(np.float32)
