"""Typed frames that flow between the call's stages. A content frame belongs to a turn, and a
turn that has been interrupted is dropped by every stage that sees one of its frames; control
frames steer a stage and belong to no turn."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Frame:
    turn_id: int


@dataclass(frozen=True)
class UserText(Frame):
    text: str


@dataclass(frozen=True)
class SentenceText(Frame):
    index: int
    text: str


@dataclass(frozen=True)
class EndOfReply(Frame):
    """No more sentences will come for this turn."""


@dataclass(frozen=True)
class Control:
    """A frame that steers a stage instead of carrying a turn's content (pipecat's control
    frames): it belongs to no turn, so cancelling a turn never drops one."""


@dataclass(frozen=True)
class Stop(Control):
    """The stage's loop ends."""


@dataclass(frozen=True)
class Draft(Control):
    """The user is typing: prefill the newest draft while they do."""


@dataclass(frozen=True)
class Settle(Control):
    """A reply ended: bring the LLM's cache to the history while the user reads or listens."""


@dataclass(frozen=True)
class PrepareBackchannels(Control):
    """Synthesize this call's fillers ("Mm,") on the speech stage, which owns the voice."""


BUSY_CORES = 0.5  # other programs' load that the meter mentions


@dataclass
class TurnTimes:
    """Monotonic timestamps (seconds) of one turn's milestones, for the latency meter."""

    submitted: float = 0.0
    # When the brain began reading the reply's prompt (memories recalled, context made), and
    # how many prompt tokens it then read that the cache did not hold: the meter's account
    # of the wait for the first token (a queue, recall, or the prompt itself).
    reading: float | None = None
    prompt_tokens: int | None = None
    first_token: float | None = None
    first_sentence: float | None = None
    first_audio_queued: float | None = None
    first_audio_played: float | None = None
    done: float | None = None
    # Spoken turns: when the user stopped talking (from the audio stream's own clock) and
    # when the recognizer's transcript was ready.
    speech_ended: float | None = None
    transcribed: float | None = None
    # The reply's own first words (later than first_audio_played when a backchannel such as
    # "Mm," filled the wait).
    first_words_played: float | None = None
    # Cores other programs kept busy when the reply began (desktop.machine.OtherLoad): the
    # meter says when the computer, not the persona, is slow.
    others_busy_cores: float | None = None

    def ms(self, name: str) -> float | None:
        value = getattr(self, name)
        return None if value is None else (value - self.submitted) * 1000.0

    def since_speech_ms(self, name: str) -> float | None:
        value = getattr(self, name)
        origin = self.speech_ended if self.speech_ended is not None else self.submitted
        return None if value is None else (value - origin) * 1000.0

    def latency_line(self) -> str:
        """The latency meter: end of speech -> transcript -> first token -> first audio."""
        def part(label: str, name: str) -> str:
            value = self.since_speech_ms(name)
            return f"{label} {value:.0f} ms" if value is not None else f"{label} -"

        if self.speech_ended is None:
            return " -> ".join(["sent", part("first token", "first_token"),
                                part("first audio", "first_audio_played")]) + self.busy_note()
        line = " -> ".join(["end of speech", part("transcript", "transcribed"),
                            part("first token", "first_token"),
                            part("first audio", "first_audio_played")])
        words = self.since_speech_ms("first_words_played")
        first = self.since_speech_ms("first_audio_played")
        if words is not None and first is not None and words - first > 1:
            line += f" (words {words:.0f} ms)"
        return line + self.busy_note()

    def busy_note(self) -> str:
        """ "· computer busy (1.0 core in other programs)" when other work slowed the turn."""
        busy = self.others_busy_cores
        return (f" · computer busy ({busy:.1f} core in other programs)"
                if busy is not None and busy >= BUSY_CORES else "")


class TurnControl:
    """Which turns are alive. Stages ask ``is_live(turn_id)`` before doing work, so an
    interruption reaches LLM, TTS and playback without a message having to catch up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 1
        self._cancelled: set[int] = set()
        self.current = 0
        self.times: dict[int, TurnTimes] = {}

    def begin(self, submitted: float) -> int:
        with self._lock:
            turn_id = self._next
            self._next += 1
            if self.current:
                self._cancelled.add(self.current)
            self.current = turn_id
            self.times[turn_id] = TurnTimes(submitted=submitted)
            return turn_id

    def cancel(self, turn_id: int) -> bool:
        with self._lock:
            if turn_id in self._cancelled:
                return False
            self._cancelled.add(turn_id)
            return True

    def is_live(self, turn_id: int) -> bool:
        return turn_id not in self._cancelled


@dataclass
class HeardTracker:
    """Sentences of a reply placed on the audio timeline; what the listener has heard."""

    sentences: dict[int, str] = field(default_factory=dict)
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # index -> (start, end)

    def heard_text(self, played: int) -> str:
        parts = []
        for index in sorted(self.spans):
            start, end = self.spans[index]
            text = self.sentences.get(index, "")
            if played >= end:
                parts.append(text)
            elif played > start:
                parts.append(_cut_words(text, (played - start) / max(1, end - start)))
                break
            else:
                break
        return " ".join(p for p in parts if p).strip()


def _cut_words(text: str, fraction: float) -> str:
    """The words of ``text`` heard when ``fraction`` of its audio has played."""
    if fraction <= 0:
        return ""
    cut = int(len(text) * fraction)
    head = text[:cut]
    if cut < len(text) and not text[cut].isspace() and " " in head:
        head = head[: head.rfind(" ")]  # a word cut in half was not heard
    elif cut < len(text) and not text[cut].isspace():
        return ""
    return head.rstrip() + "…" if head else ""
