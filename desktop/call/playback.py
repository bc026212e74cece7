"""The playback monitor: follows the speaker's clock for the current spoken reply. It marks
when the first audio (and the reply's own first words, after a backchannel) was heard,
captions what has been heard so far, and ends the turn once everything queued has played.

It also decides when a backchannel ("Mm,") fills the wait: only when the model has not begun
to write FILLER_AFTER_S after the user stopped talking (or has not finished the first piece
FILLER_WHILE_WRITING_S after). A reply that is ready in a human turn
gap starts with its own words; the filler is for the long waits, not every turn, and never
for a reply whose first sentence is already being synthesized."""

from __future__ import annotations

import threading
import time

from desktop.call.events import Caption
from desktop.call.recorder import TurnRecorder
from desktop.call.speech import SpeechStage
from desktop.call.state import CallState

TICK_S = 0.005
# People answer within ~200 ms, and a pause of a second reads as "not heard": past this,
# since the end of the user's speech (or the typed message), a filler is said first.
FILLER_AFTER_S = 0.8
# ... or past this, when the model has begun to write but its first piece is not done.
FILLER_WHILE_WRITING_S = 1.4


class PlaybackMonitor:
    def __init__(self, state: CallState, recorder: TurnRecorder,
                 speech: SpeechStage | None = None) -> None:
        self.state = state
        self.recorder = recorder
        self.speech = speech  # says the filler; None: never one
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="call-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        # The loop ends on ``state.running`` going False.
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _run(self) -> None:
        while self.state.running:
            time.sleep(TICK_S)
            self.tick()

    def tick(self) -> None:
        """One look at the clock (tests call it directly)."""
        state = self.state
        with state.lock:
            reply = state.current_reply()
            if reply is None or reply.finished or not reply.spoken or state.output is None:
                return
            output = state.output
            played = output.played_frames()
            times = state.control.times[reply.turn_id]
            # Only while nothing of the reply is written: once its first sentence is with
            # the voice, its words are one synthesis away, sooner than a filler would end
            # (a filler queued then held the words back by its own length, ~0.4 s).
            # Nor while the model is writing the first piece: that is a few tokens, and a
            # filler queued then held the words back by its own length too (measured on a
            # CPU half this one's speed: first words 400 ms after the first piece was
            # written, behind an "Mm," begun 50 ms before it), unless that takes long.
            wait_s = FILLER_AFTER_S if times.first_token is None else FILLER_WHILE_WRITING_S
            if (self.speech is not None and times.first_audio_queued is None
                    and times.first_sentence is None
                    and reply.released.is_set() and not reply.withdrawn
                    and time.monotonic() - (times.speech_ended or times.submitted)
                    >= wait_s):
                self.speech.backchannel(reply)  # the reply is slow: fill the gap
            spans = reply.tracker.spans
            if spans and times.first_audio_played is None:
                first = min(start for start, _ in spans.values())
                if played > first:
                    late = output.seconds(played - first)
                    times.first_audio_played = max(
                        times.first_audio_queued or 0.0, time.monotonic() - late)
            words = [start for index, (start, _) in spans.items() if index >= 0]
            if times.first_words_played is None and words and played > min(words):
                late = output.seconds(played - min(words))
                times.first_words_played = time.monotonic() - late
            caption = reply.tracker.heard_text(played)
            if caption != reply.last_caption:
                reply.last_caption = caption
                state.emit(reply.turn_id, Caption(reply.turn_id, caption))
            all_queued = reply.generation_done and reply.synthesis_done
            all_played = reply.sentences == 0 or (
                len(spans) >= reply.sentences
                and played >= max(end for _, end in spans.values()))
            if all_queued and all_played:
                self.recorder.finish(reply, interrupted=False)
