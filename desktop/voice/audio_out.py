"""Speaker output with a playback clock: the clock the whole call keeps time by.

The PortAudio callback only copies from a ring buffer (no allocation-heavy work, no locks
shared with other engines). Everything is counted in device frames on one timeline:
``written`` frames were queued, ``consumed`` frames were handed to the device; frames the
device has actually played are ``consumed`` minus what is still in its buffers. Silence
inserted on underflow does not advance the timeline, so speech time is continuous.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from desktop.errors import HearthError

TAP_SECONDS = 2.0


class AudioUnavailable(HearthError):
    """No usable output: PortAudio missing, no device, or the device refused to open."""


def load_sounddevice():
    try:
        import sounddevice
    except OSError as error:  # the Python package is there, the PortAudio library is not
        raise AudioUnavailable(
            f"The PortAudio library is not installed ({error}).",
            "Install it (Debian/Ubuntu: sudo apt install libportaudio2; macOS: brew install "
            "portaudio), then restart Hearth. Replies still appear as text.",
        ) from error
    except ImportError as error:
        raise AudioUnavailable(
            "The Python package 'sounddevice' is not installed.",
            "Run: python -m pip install sounddevice. Replies still appear as text.",
        ) from error
    return sounddevice


@dataclass
class Segment:
    """A piece of speech on the output timeline (device frames)."""

    turn_id: int
    start: int
    end: int


class RingBuffer:
    """Single-producer single-consumer float32 ring. Indices only grow; Python int writes are
    atomic under the GIL, so the callback and the writer never share a lock."""

    def __init__(self, capacity: int) -> None:
        self.data = np.zeros(capacity, np.float32)
        self.capacity = capacity
        self.written = 0
        self.consumed = 0

    def free(self) -> int:
        return self.capacity - (self.written - self.consumed)

    def write(self, samples: np.ndarray) -> int:
        count = min(len(samples), self.free())
        start = self.written % self.capacity
        first = min(count, self.capacity - start)
        self.data[start : start + first] = samples[:first]
        self.data[: count - first] = samples[first:count]
        self.written += count
        return count

    def read_into(self, out: np.ndarray) -> int:
        count = min(len(out), self.written - self.consumed)
        start = self.consumed % self.capacity
        first = min(count, self.capacity - start)
        out[:first] = self.data[start : start + first]
        out[first:count] = self.data[: count - first]
        self.consumed += count
        return count


class DeviceStream:
    """What speaker and microphone share: one PortAudio stream, closed at most once."""

    stream = None

    def close(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # a device that vanished may fail to stop; it is gone anyway
                pass

    @property
    def is_open(self) -> bool:
        return self.stream is not None


class AudioOutput(DeviceStream):
    """Mono float32 output on one device, opened once per call (never per utterance)."""

    def __init__(
        self,
        device: int | str | None = None,
        # 50 ms of device buffer: what a barge-in cannot take back once it is handed over
        # (half of the 200 ms stop budget at 100 ms). The callback only copies, so it keeps
        # up even with every core decoding.
        latency: float = 0.05,
        buffer_seconds: float = 60.0,
        sounddevice_loader: Callable[[], object] = load_sounddevice,
    ) -> None:
        self.device = device
        self.latency = latency
        self.buffer_seconds = buffer_seconds
        self._load = sounddevice_loader
        self.stream = None
        self.rate = 0
        self.ring: RingBuffer | None = None
        self.segments: list[Segment] = []
        self.underflows = 0
        self.callbacks = 0
        self._flush_requested = False
        self._device_latency_frames = 0
        # Silence handed to the device after the last speech sample: it pushes the tail of
        # the speech out of the device's buffers, so the clock can reach the end.
        self._silence_since_speech = 0
        self._lock = threading.Lock()  # writers only; the callback never takes it
        self._restarting = False  # flush() aborts and restarts the stream: not a failure
        self.error: str | None = None
        # What the device was given, silence included: the echo canceller's reference.
        self.tap: RingBuffer | None = None
        self._tap_reader = None

    # -- lifecycle ---------------------------------------------------------------
    def open(self) -> AudioOutput:
        sd = self._load()
        try:
            info = sd.query_devices(self.device, "output")
            # Never ask PortAudio for a non-native rate: resample to the device instead.
            self.rate = int(info["default_samplerate"])
            self.ring = RingBuffer(int(self.rate * self.buffer_seconds))
            self.tap = RingBuffer(int(self.rate * TAP_SECONDS))
            self.stream = sd.OutputStream(
                device=self.device, samplerate=self.rate, channels=1, dtype="float32",
                latency=self.latency, callback=self._callback,
                finished_callback=self._finished,
            )
            self._device_latency_frames = int(self.stream.latency * self.rate)
            self.stream.start()
        except (sd.PortAudioError, ValueError) as error:
            self.close()
            raise AudioUnavailable(
                f"The speaker could not be opened ({error}).",
                "Check that an output device is connected and not in use, or pick another "
                "one in Settings. Replies still appear as text.",
            ) from error
        return self

    # -- the device thread ----------------------------------------------------------
    def _callback(self, outdata: np.ndarray, frames: int, _time: object, status: object) -> None:
        # Runs on PortAudio's thread: copy only.
        self.callbacks += 1
        ring = self.ring
        if self._flush_requested:
            ring.consumed = ring.written
            self._flush_requested = False
        channel = outdata[:, 0]
        got = ring.read_into(channel)
        if got < frames:
            channel[got:] = 0.0
            if got > 0:
                self.underflows += 1  # ran dry mid-block: a gap, or the end of a reply
                self._silence_since_speech = frames - got
            else:
                self._silence_since_speech += frames
        else:
            self._silence_since_speech = 0
        tap = self.tap
        if tap.free() >= frames:  # nobody reading (no hands-free call): drop, never block
            tap.write(channel)

    def _finished(self) -> None:
        if self.stream is not None and not self._restarting:
            self.error = "The speaker stopped."

    # -- the writer side -------------------------------------------------------------
    def enqueue(self, samples: np.ndarray, sample_rate: int, turn_id: int) -> Segment:
        """Queue speech; returns where it sits on the timeline. Blocks while the ring is full."""
        audio = resample(samples, sample_rate, self.rate)
        with self._lock:
            start = self.ring.written
            offset = 0
            while offset < len(audio):
                offset += self.ring.write(audio[offset:])
                if offset < len(audio):
                    time.sleep(0.01)
            segment = Segment(turn_id, start, start + len(audio))
            self.segments.append(segment)
            if len(self.segments) > 256:
                del self.segments[:128]
        return segment

    def flush(self) -> int:
        """Drop everything not yet played; returns the played position at the cut."""
        position = self.played_frames()
        self._flush_requested = True
        deadline = time.monotonic() + 0.5
        while self._flush_requested and self.is_open and time.monotonic() < deadline:
            time.sleep(0.002)
        if self._flush_requested:  # no callback is running: clear it ourselves
            self.ring.consumed = self.ring.written
            self._flush_requested = False
        self._drop_device_buffer()
        return position

    def _drop_device_buffer(self) -> None:
        """What the device was already handed would play for another ``latency`` (and the
        sound server's own buffer): abort the stream, which discards it, and start again.
        Measured through PulseAudio: silence 48 ms after the stop instead of 94 ms."""
        stream = self.stream
        if stream is None:
            return
        sd = self._load()
        self._restarting = True  # aborting calls finished_callback: not an unplugged device
        try:
            stream.abort()
            self._silence_since_speech = self._device_latency_frames  # nothing in flight
            stream.start()
        except sd.PortAudioError as error:
            self.error = f"The speaker stopped ({error})."
        finally:
            self._restarting = False

    def read_played(self, target_rate: int) -> np.ndarray:
        """Everything handed to the device since the last call, at ``target_rate``."""
        tap = self.tap
        if tap is None:
            return np.zeros(0, np.float32)
        raw = np.empty(tap.written - tap.consumed, np.float32)
        tap.read_into(raw)
        if self._tap_reader is None or self._tap_reader[0] != target_rate:
            import soxr

            self._tap_reader = (target_rate, soxr.ResampleStream(self.rate, target_rate, 1,
                                                                 dtype="float32"))
        return self._tap_reader[1].resample_chunk(raw).astype(np.float32)

    def drain_played(self) -> None:
        """Forget what was played so far (a listener starting now wants only what follows)."""
        if self.tap is not None:
            self.tap.consumed = self.tap.written

    # -- the clock ------------------------------------------------------------------------
    def played_frames(self) -> int:
        """Frames of speech the listener has heard: handed to the device minus still buffered."""
        if self.ring is None:
            return 0
        return max(0, self.ring.consumed - self._pending_in_device())

    def _pending_in_device(self) -> int:
        # Frames handed over but not yet out of the speaker. After the queue empties the
        # device drains, so the estimate is capped by how much speech was queued at all.
        in_flight = min(self._device_latency_frames, self.ring.consumed)
        return max(0, in_flight - self._silence_since_speech)

    def queued_frames(self) -> int:
        return 0 if self.ring is None else self.ring.written - self.ring.consumed

    def is_idle(self) -> bool:
        return self.queued_frames() == 0

    def seconds(self, frames: int) -> float:
        return frames / self.rate if self.rate else 0.0


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    if source_rate == target_rate or len(samples) == 0:
        return samples
    try:
        import soxr

        return soxr.resample(samples, source_rate, target_rate).astype(np.float32)
    except ImportError:
        positions = np.arange(0, len(samples), source_rate / target_rate)
        return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
