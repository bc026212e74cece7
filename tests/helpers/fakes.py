"""Fakes for testing one stage of the call alone (tests/test_stages.py): a language engine that
streams a script, a voice that makes silence of a known length, a speaker whose clock the test
moves. Pure logic only; the real engines are proven by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from desktop.brain.llm import EngineUnavailable
from desktop.voice.audio_out import Segment
from desktop.voice.tts import SpeechChunk


class ScriptedLLM:
    """Streams ``pieces``; ``failures`` first calls raise EngineUnavailable."""

    def __init__(self, pieces: list[str], failures: int = 0) -> None:
        self.pieces = pieces
        self.failures = failures
        self.threads: list[int] = []
        self.prefilled: list[list] = []

    def stream(self, prompt, history, should_stop=lambda: False, sampling=None,
               **_options) -> Iterator[str]:
        if self.failures:
            self.failures -= 1
            raise EngineUnavailable("The engine went away.", "Start it again.")
        for piece in self.pieces:
            if should_stop():
                return
            yield piece

    def warm(self, prompt, cache_dir=None) -> None:
        pass

    def overflow(self, prompt, history, reserve: int) -> int:
        return 0

    def set_threads(self, threads: int) -> None:
        self.threads.append(threads)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prefill(self, prompt, history, should_stop=lambda: False) -> int:
        self.prefilled.append(list(history))
        return 0

    prefill_history = prefill

    def interrupt_background(self) -> None:
        pass


class SilentVoice:
    """One chunk per sentence, 10 ms of audio per character."""

    rate = 16000

    def synthesize(self, text: str) -> Iterator[SpeechChunk]:
        yield SpeechChunk(text, np.zeros(len(text) * self.rate // 100, np.float32), self.rate)


class ClockedOutput:
    """A speaker at 16 kHz whose played position the test sets."""

    rate = 16000
    is_open = True

    def __init__(self) -> None:
        self.queued: list[Segment] = []
        self.played = 0
        self.end = 0

    def enqueue(self, audio: np.ndarray, sample_rate: int, turn_id: int) -> Segment:
        segment = Segment(turn_id, self.end, self.end + len(audio))
        self.end = segment.end
        self.queued.append(segment)
        return segment

    def seconds(self, frames: int) -> float:
        return frames / self.rate

    def played_frames(self) -> int:
        return self.played

    def queued_frames(self) -> int:
        return self.end - self.played

    def flush(self) -> int:
        self.end = self.played
        return self.played
