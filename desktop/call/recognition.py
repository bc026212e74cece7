"""The hands-free call's recognition (a mixin of desktop.call.listening.HandsFreeCall): on
the asr thread, the jobs the listen thread posts, decoded in order (segments, finals, the
end of turn, and partials when they have no recognizer of their own); on the partials
thread, when there is one, the newest partial. What the user has said so far becomes the
caption and the draft the LLM prefills; the final transcript starts the reply, held until
the pause is confirmed as the end of the turn."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from desktop.call.events import Hearing, Notice
from desktop.call.frames import Stop
from desktop.call.segments import AsrJob
from desktop.machine import yield_this_thread
from desktop.voice.asr import Transcript
from desktop.voice.engines import Recognizer
from desktop.voice.vad import WINDOW

log = logging.getLogger(__name__)
NO_SPEECH = Transcript("", None, 0.0, 0.0)  # the tail of a job without audio
# How long the segment a pause closed waits for the partial that holds its words; a
# partial's decode takes ~0.4 s at most on a slow CPU, so past this it failed or hangs.
PARTIAL_WAIT_S = 2.0


@dataclass
class PartialDecode:
    """A partial's decode of the tail since the last cut, for the segment a pause closes
    just after it began (Recognition._partial_holding)."""

    job: AsrJob
    done: threading.Event = field(default_factory=threading.Event)
    tail: Transcript | None = None  # what job.audio decoded to: None until done, or failed


class Recognition:
    """Runs on the call's asr thread (``_asr_loop``) and partials thread (``_partial_loop``);
    the state it shares with the listen thread is HandsFreeCall's."""

    def _asr_loop(self) -> None:
        while self._running:
            job = self._jobs.get()
            if isinstance(job, Stop):
                return
            try:
                self._decode(job)
            except Exception as error:
                log.exception("Speech recognition failed")
                self.listener(Notice("warning", f"Speech recognition failed ({error}); you "
                                                "can type instead."))

    def _partial_loop(self) -> None:
        # A partial is a caption: when the user stops, the one still decoding must not slow
        # the final decode or the reply's prefill (the recognizer computes on this thread).
        yield_this_thread()
        while self._running:
            job = self._partials.get()
            if isinstance(job, Stop):
                return
            try:
                self._decode_partial(job, self.partial_recognizer)
            except Exception:
                log.exception("A partial transcript failed; going on")

    @staticmethod
    def _decode_tail(job: AsrJob, recognizer: Recognizer) -> Transcript:
        """The job's tail, decoded now (a job without audio: its tail held no speech)."""
        return recognizer.transcribe(job.audio) if len(job.audio) else NO_SPEECH

    def _transcribe(self, job: AsrJob, tail: Transcript | None = None) -> Transcript:
        """The utterance up to this job: its decoded segments, and its ``tail`` (default:
        decoded now by the asr thread's recognizer). A streaming recognizer has heard it
        all but its newest chunk: that is decoded now."""
        if self.streaming:
            return self._stream_of(job).settle()
        if tail is None:
            tail = self._decode_tail(job, self.recognizer)
        with self._text_lock:
            return self._stable.with_tail(job.utterance, tail)

    def _stream_of(self, job: AsrJob):
        """The streaming recognizer's stream for the job's utterance (a new utterance, a new
        stream: the old one's words are in its final transcript already)."""
        if self._stream is None or self._stream[0] != job.utterance:
            self._stream = (job.utterance, self.recognizer.open())
            self._heard_so_far = ""
        return self._stream[1]

    def _hear_streamed(self, job: AsrJob) -> None:
        """A streaming recognizer's audio: what it has heard so far is the caption and the
        draft when it changed. Never skipped: the stream needs every sample, in order."""
        heard = self._stream_of(job).accept(job.audio)
        self.stats.chunks_fed += 1
        if heard.text != self._heard_so_far:
            self._heard_so_far = heard.text
            self._hear_so_far(job, heard)

    def _decode(self, job: AsrJob) -> None:
        if job.kind == "feed":
            self._hear_streamed(job)
            return
        if job.kind == "segment":  # never skipped: its words are in no other decode
            heard = self._partial_holding(job)
            if heard is None:
                heard = self.recognizer.transcribe(job.audio)
            else:
                self.stats.segments_from_partials += 1
            with self._text_lock:
                self._stable.add(job.utterance, heard)
                self._segments_decoded = job.segments
                so_far = self._stable.with_tail(job.utterance, NO_SPEECH)
            self.stats.segments += 1
            if self._jobs.empty():
                # Its words are final: the LLM may read them now (a short utterance often
                # has no partial at all before the user stops).
                self._hear_so_far(job, so_far)
            return
        if job.kind == "partial":
            if not self._jobs.empty() or job.utterance != self._utterance:
                return  # newer audio is waiting: decode that instead
            self._decode_partial(job, self.recognizer)
            return
        if job.kind == "final":
            started = self.clock()
            self.stats.final_wait_ms.append((started - job.posted) * 1000.0)
            self.stats.pause_heard_ms.append((job.posted - job.speech_ended) * 1000.0)
            transcript = self._transcribe(job)
            transcribed = self.clock()
            self.stats.final_decode_ms.append((transcribed - started) * 1000.0)
            self._final = (job.version, transcript, transcribed)
            if job.version != self._version:
                # The user went on after a short pause: what they said before it is the
                # start of their turn, for the LLM to read now (a short question with
                # pauses between its words often has no partial that is not out of date).
                self._hear_so_far(job, transcript)
                return
            self._speculate(job, transcript)
            return
        self._end_turn(job)

    def _end_turn(self, job: AsrJob) -> None:
        """The end of the user's turn: the transcript (decoded at the pause, usually) is
        heard, and the reply started then is released, or one started now."""
        final = self._final
        if final is not None and final[0] == job.version:
            _version, transcript, transcribed = final
        else:
            transcript = self._transcribe(job)
            transcribed = self.clock()
        self._final = None
        with self._speculation_lock:
            speculative, self._speculative = self._speculative, None
        if not transcript.text:
            self.stats.empty_turns += 1
            self.listener(Hearing("", True, transcript.language))
            return
        self.stats.turns += 1
        self._follow_language(transcript)
        self.listener(Hearing(transcript.text, True, transcript.language))
        if speculative is not None and speculative[0] == job.version and (
                self.conversation.release(speculative[1], transcribed)):
            self.stats.speculative_hits += 1
            return
        if speculative is not None:
            self.conversation.withdraw(speculative[1])
        self.conversation.say(transcript.text, speech_ended=job.speech_ended,
                              transcribed=transcribed)

    def _decode_partial(self, job: AsrJob, recognizer: Recognizer) -> None:
        decode = PartialDecode(job)
        with self._text_lock:
            self._partial_decode = decode
        try:
            decode.tail = self._decode_tail(job, recognizer)
        finally:
            decode.done.set()
        transcript = self._transcribe(job, decode.tail)
        self._partial_cost_s = transcript.decode_ms / 1000.0
        self._hear_so_far(job, transcript)

    def _partial_holding(self, job: AsrJob) -> Transcript | None:
        """The words of the segment ``job`` from the partial begun at its start just before
        the user paused, whose audio reaches the window where they did (it holds every word
        of the segment): waited for, not decoded again beside it. On a slow CPU's two cores
        the two decodes of the same words slowed each other, and the transcript came ~100 ms
        later in half the turns (a partial is decoding about half the time). None when no
        partial holds the segment, or its decode failed."""
        with self._text_lock:
            decode = self._partial_decode
        if (not job.pause or decode is None or decode.job.utterance != job.utterance
                or decode.job.segments != job.segments - 1  # begun at another cut
                or not len(job.audio) - WINDOW <= len(decode.job.audio) <= len(job.audio)):
            return None
        decode.done.wait(PARTIAL_WAIT_S)
        return decode.tail if decode.done.is_set() else None

    def _hear_so_far(self, job: AsrJob, transcript: Transcript) -> None:
        """What the user has said so far: the caption, and the draft the LLM prefills. Text
        a draft already went beyond is not typed again (the draft would shrink, and the
        cache be cut back to it). A partial decoded beside the asr thread,
        or the final of a pause the user talked on from, is dropped when it is out of date:
        the user is not speaking now (a final is on its way), or a segment of its audio was
        decoded (its words would come twice). One begun before a pause the user has since
        talked on from is still the start of what they say."""
        with self._text_lock:
            typed_utterance, typed = self._typed
            stale = job.kind != "segment" and (
                job.segments != self._segments_decoded or self.turns.state != "speaking")
            if (stale or not transcript.text or job.utterance != self._utterance
                    or self.turns.state == "silent"
                    or (typed_utterance == job.utterance and typed.startswith(
                        transcript.text))):
                return
            self._typed = (job.utterance, transcript.text)
        self.stats.partials += 1
        self.listener(Hearing(transcript.text, False, transcript.language))
        self.conversation.typing(transcript.text)

    def _speculate(self, job: AsrJob, transcript: Transcript) -> None:
        """Start the reply to what the user said before this pause, held until the pause
        is confirmed as the end of their turn."""
        if not transcript.text or job.version != self._version:
            return
        self._follow_language(transcript)
        turn = self.conversation.say(transcript.text, speech_ended=job.speech_ended,
                                     held=True)
        with self._speculation_lock:
            stale = job.version != self._version  # the user went on meanwhile
            if not stale:
                self._speculative = (job.version, turn)
        if stale:
            self.conversation.withdraw(turn)

    def _follow_language(self, transcript: Transcript) -> None:
        if transcript.language in self.conversation.persona.languages:
            self.conversation.language = transcript.language  # the recognizer follows
