"""Recognition while the user speaks: the utterance is decoded in segments as it goes, each
segment once, cut at the quiet moments between words; the final transcript then needs only the
audio since the last cut (the tail), so it is ready one short decode after the user stops,
however long they talked.

SenseVoice is not a streaming model, and decoding the whole utterance again at its end cost
time in proportion to its length (893 ms after a sentence on a slow 2-core machine). A cut
never falls inside a word: only at a VAD window below the speech threshold (a gap between
words), once at least MIN_SEGMENT_S is waiting, or, for speech with no gap at all, after
MAX_SEGMENT_S. Each segment keeps its own text; the stable text of an utterance is theirs,
joined, and the caption, the draft prefill and the final transcript are that plus the tail.

The listen thread cuts (Segmenter), the recognizer thread decodes in order and keeps the text
(StableText): jobs are handled one at a time in the order posted, so when the final job runs,
every segment before it has been decoded."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from desktop.voice.asr import SAMPLE_RATE as RATE
from desktop.voice.asr import Transcript

MIN_SEGMENT_S = 1.0
MAX_SEGMENT_S = 6.0
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class AsrJob:
    """Work for the recognizer thread, in order."""

    kind: str  # segment | partial | feed (a streaming recognizer's audio) | final | end
    utterance: int
    version: int
    audio: np.ndarray
    speech_ended: float = 0.0  # monotonic, for "final" and "end"
    posted: float = 0.0  # monotonic
    segments: int = 0  # segments of the call posted before it (its tail starts after them)
    pause: bool = False  # a segment the user's pause closed (it holds their last words)


class Segmenter:
    """Where the current utterance's next segment begins (absolute sample of the stream), and
    whether anything since then may be speech.

    The segment the user's pause closes usually holds their last words: what follows it is
    silence, and decoding silence is not free (a SenseVoice pass has a fixed cost, ~120 ms
    on a slow 2-core CPU even for 30 ms of audio). A tail in which no VAD window reached the
    "still speaking" level (``threshold - hysteresis``, as turn-taking counts a soft
    syllable) is not decoded: the final transcript is then the segments' text."""

    def __init__(self) -> None:
        self.cut = 0
        self.heard_since_cut = False

    def start(self, at_sample: int) -> None:
        """A new utterance, from ``at_sample`` (its pre-roll included): it began with
        speech."""
        self.cut = at_sample
        self.heard_since_cut = True

    def close_at(self, probability: float, end_sample: int, threshold: float,
                 speech_floor: float | None = None,
                 pausing: bool = False) -> tuple[int, int] | None:
        """The window ending at ``end_sample`` had ``probability`` of speech: the segment
        (from, to) it closes, or None. A window at ``speech_floor`` (default: ``threshold``)
        or above may hold speech; the tail after a cut has none until one comes.

        ``pausing``: with this window the user pauses. The pause closes the segment however
        short, when it holds speech: the decode at the pause is then a segment's, kept when
        the user goes on, instead of a tail's decoded again in the segment that follows (on
        a slow CPU a short question with pauses had its words decoded three times)."""
        waiting = end_sample - self.cut
        if (pausing and self.heard_since_cut and waiting > 0) or (
                probability < threshold and waiting >= MIN_SEGMENT_S * RATE) or (
                waiting >= MAX_SEGMENT_S * RATE):
            segment = (self.cut, end_sample)
            self.cut = end_sample
            self.heard_since_cut = False
            return segment
        if probability >= (threshold if speech_floor is None else speech_floor):
            self.heard_since_cut = True
        return None


class StableText:
    """The decoded segments of the utterance being heard (the recognizer thread's)."""

    def __init__(self) -> None:
        self.utterance = -1
        self.parts: list[Transcript] = []

    def add(self, utterance: int, transcript: Transcript) -> None:
        if utterance != self.utterance:
            self.utterance, self.parts = utterance, []
        if transcript.text.strip():
            self.parts.append(transcript)

    def with_tail(self, utterance: int, tail: Transcript) -> Transcript:
        """The utterance so far: its segments, then the ``tail`` decoded just now. Its
        language is the one most of the speech was in (a short tail of breath or silence
        can be tagged anything)."""
        pieces = [*(self.parts if utterance == self.utterance else []), tail]
        spoken = [p for p in pieces if p.text.strip()] or [tail]
        language = max(spoken, key=lambda p: p.audio_s).language
        return replace(tail, text=join_words([p.text.strip() for p in pieces]),
                       language=language, audio_s=sum(p.audio_s for p in pieces))


def join_words(parts: list[str]) -> str:
    """Pieces of one utterance as one text: a space between words, none between Chinese
    characters."""
    text = ""
    for part in (p for p in parts if p):
        if text and not (_CJK.match(part[0]) and _CJK.match(text[-1])):
            text += " "
        text += part
    return text
