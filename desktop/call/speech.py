"""The speech stage: the reply's sentences become audio on the speaker's timeline, with the
mouth track beside it. Synthesis runs at most SPEECH_LOOKAHEAD_S ahead of playback; a held
reply's first audio waits, synthesized and ready, until the turn is released. The stage also
owns the call's backchannels ("Mm,"), synthesized once per call in the persona's voice."""

from __future__ import annotations

import logging
import time

from desktop.call.events import Notice
from desktop.call.frames import Control, EndOfReply, Frame, PrepareBackchannels, SentenceText
from desktop.call.state import CallState, Reply
from desktop.face.animator import FaceAnimator
from desktop.text import dialogue
from desktop.voice.engines import SpeechEngine

log = logging.getLogger(__name__)
# Synthesize at most this far ahead of playback. Further ahead only wastes CPU on audio that a
# barge-in throws away, and the playback ring (60 s) must always have room for the next chunk
# so that enqueueing never blocks while the conversation lock is held.
SPEECH_LOOKAHEAD_S = 10.0
# Said in the persona's own voice when the user has finished and the reply's first words are
# not even written yet (a slow reply): people fill such a gap, and it tells the user they
# were heard. Synthesized once per call, so playing one costs nothing.
BACKCHANNELS = {"en": ["Mm,", "Hmm,", "Well,"], "zh": ["嗯，", "这个嘛，", "嗯……"]}


class SpeechStage:
    def __init__(self, state: CallState, tts: SpeechEngine | None,
                 animator: FaceAnimator) -> None:
        self.state = state
        self.tts = tts
        self.animator = animator
        self.backchannels: dict[str, list] = {}  # language -> SpeechChunks
        self.backchannels_played = 0

    def process(self, frame: Frame | Control) -> None:
        if isinstance(frame, PrepareBackchannels):
            self._synthesize_backchannels()
            return
        if not isinstance(frame, Frame) or not self.state.control.is_live(frame.turn_id):
            return
        reply = self.state.replies.get(frame.turn_id)
        if reply is None:
            return
        if isinstance(frame, EndOfReply):
            reply.synthesis_done = True
            return
        try:
            self._speak(reply, frame)
        except Exception as error:
            log.exception("Speech failed")
            self.state.listener(Notice("warning", f"The voice failed ({error}); the reply "
                                                  "continues as text."))

    def _synthesize_backchannels(self) -> None:
        for language in self.state.persona.languages:
            if language in self.backchannels or language not in BACKCHANNELS:
                continue
            try:
                self.backchannels[language] = [
                    next(iter(self.tts.synthesize(text))) for text in BACKCHANNELS[language]]
            except Exception:
                log.exception("Backchannels could not be synthesized; going on without")

    def backchannel(self, reply: Reply) -> None:
        """Play a filler first, as part of the reply. Called with the lock held, before the
        reply's own audio can be queued."""
        state = self.state
        fillers = self.backchannels.get(state.language) or self.backchannels.get(
            state.persona.languages[0])
        if not fillers or not state.speaker_open():
            return
        chunk = fillers[self.backchannels_played % len(fillers)]
        self.backchannels_played += 1
        features = self.animator.drive_features(chunk.audio, chunk.sample_rate)
        segment = state.output.enqueue(chunk.audio, chunk.sample_rate, reply.turn_id)
        reply.tracker.sentences[-1] = chunk.text  # heard first, so it is part of the reply
        reply.tracker.spans[-1] = (segment.start, segment.end)
        reply.sentences += 1
        state.control.times[reply.turn_id].first_audio_queued = time.monotonic()
        self.animator.add_chunk(chunk.audio, chunk.sample_rate, chunk.phonemes,
                                state.output.seconds(segment.start), features)

    def _speak(self, reply: Reply, frame: SentenceText) -> None:
        state = self.state
        times = state.control.times[reply.turn_id]
        # Narration (*She smiles.*) is shown in the chat, not spoken or captioned.
        spoken = dialogue(frame.text)
        reply.tracker.sentences[frame.index] = spoken
        if not spoken:
            # Nothing to say: the sentence takes no time on the timeline, so the turn can
            # still end when everything queued has played.
            with state.lock:
                end = state.output.played_frames() + state.output.queued_frames()
                reply.tracker.spans[frame.index] = (end, end)
            return
        for chunk in self.tts.synthesize(spoken):
            reply.voice_started.set()
            # The mouth's drive features are computed here, before the chunk is queued, so
            # the face has its lookahead before the sound plays.
            features = self.animator.drive_features(chunk.audio, chunk.sample_rate)
            if not self._wait_for_room(reply.turn_id) or not self._wait_released(reply):
                return
            # Check and enqueue under the lock that stop_speaking() holds while it cancels and
            # flushes, so no audio of a cancelled turn can slip in after the flush.
            with state.lock:
                if not state.control.is_live(reply.turn_id):
                    return
                segment = state.output.enqueue(chunk.audio, chunk.sample_rate, reply.turn_id)
                start = reply.tracker.spans.get(frame.index, (segment.start, 0))[0]
                reply.tracker.spans[frame.index] = (start, segment.end)
                if times.first_audio_queued is None:
                    times.first_audio_queued = time.monotonic()
                self.animator.add_chunk(chunk.audio, chunk.sample_rate, chunk.phonemes,
                                        state.output.seconds(segment.start), features)

    def _wait_released(self, reply: Reply) -> bool:
        """A held reply's audio waits here until the user's pause turns out to be the end of
        their turn. False if it was withdrawn meanwhile."""
        while not reply.released.wait(0.005):
            if not self.state.control.is_live(reply.turn_id) or not self.state.running:
                return False
        return self.state.control.is_live(reply.turn_id)

    def _wait_for_room(self, turn_id: int) -> bool:
        """Wait, without holding the lock, until playback is less than SPEECH_LOOKAHEAD_S
        ahead. False if the turn was interrupted meanwhile."""
        output = self.state.output
        limit = int(SPEECH_LOOKAHEAD_S * output.rate)
        while output.queued_frames() > limit:
            if not self.state.control.is_live(turn_id) or not self.state.running:
                return False
            time.sleep(0.02)
        return self.state.control.is_live(turn_id)
