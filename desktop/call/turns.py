"""Turn-taking for hands-free calls: who has the floor, decided from voice-activity windows.

Pure logic on a timeline (no audio, no models, no threads), so it is tested on scripted VAD
probabilities. The listening stage (desktop.call.listening) feeds it one probability per
32 ms window with the window's end time in seconds of captured audio, and acts on the events
it returns:

    SpeechStarted  the user started talking (after ``min_speech_s`` of speech)
    BargeIn        ... while the persona was speaking: stop the reply now
    SpeechPaused   the user went quiet: decode the utterance now, speculatively
    SpeechResumed  ... and went on talking: that decode is stale
    TurnEnded      the pause lasted ``end_silence_s``: the user is done, answer

End-of-turn waits ~220 ms of silence, the gap people leave between turns in conversation,
and adapts to the user: someone who pauses mid-sentence gets a longer wait (the 75th
percentile of their recent mid-turn pauses, plus a margin), and a turn that turns out not to
have been over (the user goes on before the reply is heard) lengthens it too.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW_S = 0.032


@dataclass(frozen=True)
class SpeechStarted:
    at: float  # start of the first speech window


@dataclass(frozen=True)
class BargeIn:
    at: float  # when the user's speech began
    confirmed_at: float  # when we were sure it was speech


@dataclass(frozen=True)
class SpeechPaused:
    at: float  # where the speech ended


@dataclass(frozen=True)
class SpeechResumed:
    at: float
    pause_s: float


@dataclass(frozen=True)
class TurnEnded:
    started_at: float
    ended_at: float  # where the speech ended (not when we noticed)
    decided_at: float


@dataclass
class TurnTakingConfig:
    threshold: float = 0.5
    # Below threshold - hysteresis a speaking user counts as silent (as in Silero's own
    # segmenter), so a soft syllable does not split a word.
    hysteresis: float = 0.15
    min_speech_s: float = 0.064
    end_silence_s: float = 0.22
    max_end_silence_s: float = 0.8
    # While the persona speaks, only clearer speech interrupts it. Its own echo is already
    # ruled out by the double-talk detector (desktop.call.listening); 64 ms (two windows)
    # keeps detection well inside the 200 ms stop budget, and a lone click still cannot.
    barge_in_threshold: float = 0.7
    barge_in_s: float = 0.064
    pause_margin_s: float = 0.06
    false_end_step_s: float = 0.06


class TurnTaker:
    def __init__(self, config: TurnTakingConfig | None = None) -> None:
        self.config = config or TurnTakingConfig()
        self.state = "silent"  # silent | onset | speaking | paused
        self._onset_at = 0.0
        self._onset_windows = 0
        self._speech_start = 0.0
        self._speech_end = 0.0
        self._barged = False
        self._pauses: deque[float] = deque(maxlen=20)
        self._extra_s = 0.0  # learned from turns that were not over

    @property
    def end_silence_s(self) -> float:
        config = self.config
        wait = config.end_silence_s + self._extra_s
        if len(self._pauses) >= 3:
            ordered = sorted(self._pauses)
            typical = ordered[int(0.75 * (len(ordered) - 1))]
            wait = max(wait, typical + config.pause_margin_s)
        return min(wait, config.max_end_silence_s)

    def turn_was_not_over(self) -> None:
        """The user went on talking right after we decided they were done: wait longer."""
        self._extra_s = min(self._extra_s + self.config.false_end_step_s,
                            self.config.max_end_silence_s - self.config.end_silence_s)

    def reset(self) -> None:
        """Forget any half-heard speech (mute, device change); keep what was learned."""
        self.state = "silent"
        self._onset_windows = 0
        self._barged = False

    def update(self, probability: float, now: float, persona_speaking: bool) -> list:
        """One VAD window ending at ``now`` (seconds). Returns the events it causes."""
        config = self.config
        start = now - WINDOW_S
        events: list = []
        speech = probability >= config.threshold
        if self.state in ("silent", "onset"):
            needed_p = config.barge_in_threshold if persona_speaking else config.threshold
            needed_s = config.barge_in_s if persona_speaking else config.min_speech_s
            if probability >= needed_p:
                if self.state == "silent":
                    self.state, self._onset_at, self._onset_windows = "onset", start, 0
                self._onset_windows += 1
                if self._onset_windows * WINDOW_S >= needed_s - 1e-9:
                    self.state = "speaking"
                    self._speech_start = self._onset_at
                    self._barged = persona_speaking
                    if persona_speaking:
                        events.append(BargeIn(self._onset_at, now))
                    events.append(SpeechStarted(self._onset_at))
            else:
                self.state, self._onset_windows = "silent", 0
            return events
        still_speaking = probability >= config.threshold - config.hysteresis
        if self.state == "speaking":
            if not still_speaking:
                self.state, self._speech_end = "paused", start
                events.append(SpeechPaused(start))
            return events
        # paused
        if speech:
            pause = start - self._speech_end
            self._pauses.append(pause)
            self.state = "speaking"
            events.append(SpeechResumed(start, pause))
        elif now - self._speech_end >= self.end_silence_s - 1e-9:
            self.state = "silent"
            self._onset_windows = 0
            events.append(TurnEnded(self._speech_start, self._speech_end, now))
        return events
