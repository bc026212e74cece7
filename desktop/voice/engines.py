"""The seams between a call and its voice engines: one verb each (piper's voice.py idea). The
call's stages are typed against these, the concrete engines (piper, SenseVoice through
sherpa-onnx, Silero through onnxruntime, WebRTC's AEC3 through livekit) implement them, and
each concrete engine loads the one way: ``Engine.load(...)``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np

from desktop.voice.asr import Transcript
from desktop.voice.tts import SpeechChunk


@runtime_checkable
class SpeechEngine(Protocol):
    def synthesize(self, text: str) -> Iterator[SpeechChunk]:
        """Audio for ``text``, clause by clause, each chunk with its format and timings."""
        ...


@runtime_checkable
class Recognizer(Protocol):
    def transcribe(self, samples: np.ndarray) -> Transcript:
        """What was said in 16 kHz mono ``samples``."""
        ...


class RecognitionStream(Protocol):
    def accept(self, samples: np.ndarray) -> Transcript:
        """Feed more of the utterance: everything heard in it so far."""
        ...

    def settle(self) -> Transcript:
        """Everything heard so far, the newest audio included (decoded now)."""
        ...


@runtime_checkable
class StreamingRecognition(Protocol):
    def open(self) -> RecognitionStream:
        """A stream for one utterance, decoded while it is spoken."""
        ...


@runtime_checkable
class VoiceActivity(Protocol):
    def push(self, samples: np.ndarray) -> list[float]:
        """Speech probabilities of every whole window completed by ``samples``."""
        ...

    def reset(self) -> None: ...


@runtime_checkable
class EchoCancelling(Protocol):
    def process(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        """The microphone (``near``) without what the speaker played (``far``)."""
        ...
