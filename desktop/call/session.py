"""A conversation with one persona: text chat, or a spoken call, on the same pipeline.

Stages, each on its own worker thread, joined by queues of typed frames:

    say(text) -> [brain: LLM stream -> sentence splitter] -> [tts: piper -> audio timeline]
              -> [monitor: playback clock -> captions, end of turn]      + face loop (face.py)

An interruption (Stop now; barge-in later) cancels the turn in ``TurnControl`` so every stage
drops its frames, flushes queued audio, cuts the mouth track at the played position, and
keeps only what the listener heard in history and in the store.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from desktop.brain.llm import LocalLLM, Sampling
from desktop.brain.prompt import Message
from desktop.budget import CpuBudget
from desktop.call.events import (
    Caption,
    Listener,
    Notice,
    ReplyFinished,
    ReplyStarted,
    ReplyToken,
    TurnSaved,
)
from desktop.call.frames import (
    EndOfReply,
    HeardTracker,
    SentenceText,
    TurnControl,
    UserText,
)
from desktop.call.sentences import SentenceSplitter
from desktop.face.animator import FaceAnimator
from desktop.face.visemes import VisemeTrack
from desktop.memory.store import Store
from desktop.personas.library import Persona
from desktop.voice.audio_out import AudioOutput
from desktop.voice.tts import PiperTTS

log = logging.getLogger(__name__)
_STOP = object()
_DRAFT = object()
# Synthesize at most this far ahead of playback. Further ahead only wastes CPU on audio that a
# barge-in throws away, and the playback ring (60 s) must always have room for the next chunk
# so that enqueueing never blocks while the conversation lock is held.
SPEECH_LOOKAHEAD_S = 10.0


@dataclass
class _Reply:
    turn_id: int
    spoken: bool
    full_text: str = ""
    tracker: HeardTracker = field(default_factory=HeardTracker)
    generation_done: bool = False
    synthesis_done: bool = False
    sentences: int = 0
    finished: bool = False
    last_caption: str = ""


class Conversation:
    def __init__(
        self,
        persona: Persona,
        store: Store | None,
        llm: LocalLLM | None,
        listener: Listener,
        *,
        tts: PiperTTS | None = None,
        output: AudioOutput | None = None,
        animator: FaceAnimator | None = None,
        cache_dir=None,
        sampling: Sampling | None = None,
        language: str | None = None,
        budget: CpuBudget | None = None,
    ) -> None:
        self.persona = persona
        self.store = store
        self.llm = llm
        self.tts = tts
        self.output = output
        self.animator = animator or FaceAnimator()
        self.listener = listener
        self.cache_dir = cache_dir
        self.sampling = sampling or Sampling()
        self.language = language or persona.languages[0]
        self.budget = budget
        self.control = TurnControl()
        self.history: list[Message] = []
        self.spoken = False  # True during a call: replies are voiced
        self._brain_q: queue.Queue = queue.Queue()
        self._tts_q: queue.Queue = queue.Queue()
        self._replies: dict[int, _Reply] = {}
        self._lock = threading.RLock()  # history, replies, and the cancel+flush step
        self._threads: list[threading.Thread] = []
        self._running = False
        self._draft = ""

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> Conversation:
        if self.store is not None:
            for turn in self.store.turns(self.persona.id, limit=40):
                if turn.text:
                    self.history.append(Message(turn.role, turn.text))
        self._running = True
        for name, target in (("brain", self._brain_loop), ("tts", self._tts_loop),
                             ("monitor", self._monitor_loop)):
            thread = threading.Thread(target=target, name=f"call-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def close(self) -> None:
        self.stop_speaking()
        self._running = False
        self._brain_q.put(_STOP)
        self._tts_q.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    @property
    def can_speak(self) -> bool:
        return self.tts is not None and self.output is not None and self.output.is_open

    def set_spoken(self, spoken: bool) -> None:
        """Call view on (replies voiced) or off (chat: text only)."""
        if not spoken:
            self.stop_speaking()
        self.spoken = spoken and self.can_speak

    # -- inputs -------------------------------------------------------------------
    def say(self, text: str) -> int:
        """The user said (typed) ``text``; the reply follows on the workers."""
        text = text.strip()
        if not text:
            return 0
        self.stop_speaking()  # talking over the persona interrupts it
        with self._lock:
            turn_id = self.control.begin(time.monotonic())
            self._replies[turn_id] = _Reply(turn_id, spoken=self.spoken)
            self.history.append(Message("user", text))
        self._save(turn_id, "user", text)
        self._brain_q.put(UserText(turn_id, text))
        return turn_id

    def typing(self, partial_text: str) -> None:
        """The user is composing ``partial_text``: prefill it on the brain's worker while they
        type, so the reply starts sooner. Only the newest draft is kept."""
        partial_text = partial_text.strip()
        if partial_text and self.llm is not None:
            self._draft = partial_text
            self._brain_q.put(_DRAFT)

    def greet(self) -> int:
        """Speak the persona's greeting (a call just connected)."""
        text = self.persona.greeting(self.language)
        if not text:
            return 0
        self.stop_speaking()
        with self._lock:
            turn_id = self.control.begin(time.monotonic())
            reply = _Reply(turn_id, spoken=self.spoken, full_text=text)
            reply.generation_done = True
            reply.sentences = 1
            self._replies[turn_id] = reply
        self.listener(ReplyStarted(turn_id, reply.spoken))
        self.listener(ReplyToken(turn_id, text))
        if reply.spoken:
            self._tts_q.put(SentenceText(turn_id, 0, text))
            self._tts_q.put(EndOfReply(turn_id))
        else:
            with self._lock:
                self._finish(reply, interrupted=False)
        return turn_id

    def stop_speaking(self) -> bool:
        """Interrupt the current reply now. Returns whether there was one."""
        with self._lock:
            turn_id = self.control.current
            reply = self._replies.get(turn_id)
            if reply is None or reply.finished:
                return False
            self.control.cancel(turn_id)
            cut = None
            if reply.spoken and self.output is not None and self.output.is_open:
                cut = self.output.flush()
                self.animator.cut_speech(self.output.seconds(cut))
            # In text chat what was shown is what was "heard".
            heard = reply.full_text if cut is None else reply.tracker.heard_text(cut)
            self._finish(reply, interrupted=True, heard=heard)
            return True

    # -- the brain stage -------------------------------------------------------------
    def _brain_loop(self) -> None:
        while self._running:
            frame = self._brain_q.get()
            if frame is _STOP:
                return
            if frame is _DRAFT:
                self._prefill_draft()
                continue
            if not self.control.is_live(frame.turn_id):
                continue
            try:
                self._reply_to(frame)
            except Exception as error:
                log.exception("Reply failed")
                self.listener(Notice("error", f"The persona could not answer: {error}"))
                with self._lock:
                    reply = self._replies.get(frame.turn_id)
                    if reply and not reply.finished:
                        self._finish(reply, interrupted=True, heard=reply.full_text)

    def _prefill_draft(self) -> None:
        draft = self._draft
        with self._lock:
            busy = any(not r.generation_done for r in self._replies.values() if not r.finished)
            history = [*self.history, Message("user", draft)]
        if busy or not draft or not self._brain_q.empty():
            return  # a reply is being generated, or newer work is waiting: skip this draft
        try:
            self.llm.warm(self.persona.prompt(), self.cache_dir)
            self.llm.prefill(self.persona.prompt(), history)
        except Exception:
            log.exception("Prefill of the draft failed")

    def _reply_to(self, frame: UserText) -> None:
        turn_id = frame.turn_id
        reply = self._replies[turn_id]
        times = self.control.times[turn_id]
        self.listener(ReplyStarted(turn_id, reply.spoken))
        if self.llm is None:
            raise RuntimeError("no language model is installed")
        with self._lock:
            history = list(self.history)
        splitter = SentenceSplitter()
        live = lambda: self.control.is_live(turn_id)  # noqa: E731
        self.llm.warm(self.persona.prompt(), self.cache_dir)
        # Until the first sentence goes to the voice nothing else needs the CPU: the LLM may
        # use every core. From then on it shares them (see desktop.budget).
        sprinting = self.budget is not None and reply.spoken
        if sprinting:
            self.llm.set_threads(self.budget.llm_alone())
        for piece in self.llm.stream(self.persona.prompt(), history,
                                     should_stop=lambda: not live(), sampling=self.sampling):
            if not live():
                break
            if times.first_token is None:
                times.first_token = time.monotonic()
            with self._lock:
                reply.full_text += piece
            self.listener(ReplyToken(turn_id, piece))
            if reply.spoken:
                for sentence in splitter.push(piece):
                    self._queue_sentence(reply, sentence)
                    if sprinting:
                        self.llm.set_threads(self.budget.llm)
                        sprinting = False
        if sprinting:
            self.llm.set_threads(self.budget.llm)
        if not live():
            return
        if reply.spoken:
            rest = splitter.flush()
            if rest:
                self._queue_sentence(reply, rest)
            self._tts_q.put(EndOfReply(turn_id))
        with self._lock:
            reply.generation_done = True
            if not reply.spoken and not reply.finished:
                self._finish(reply, interrupted=False)

    def _queue_sentence(self, reply: _Reply, text: str) -> None:
        times = self.control.times[reply.turn_id]
        if times.first_sentence is None:
            times.first_sentence = time.monotonic()
        self._tts_q.put(SentenceText(reply.turn_id, reply.sentences, text))
        reply.sentences += 1

    # -- the speech stage ---------------------------------------------------------------
    def _tts_loop(self) -> None:
        while self._running:
            frame = self._tts_q.get()
            if frame is _STOP:
                return
            if not self.control.is_live(frame.turn_id):
                continue
            reply = self._replies.get(frame.turn_id)
            if reply is None:
                continue
            if isinstance(frame, EndOfReply):
                reply.synthesis_done = True
                continue
            try:
                self._speak(reply, frame)
            except Exception as error:
                log.exception("Speech failed")
                self.listener(Notice("warning", f"The voice failed ({error}); the reply "
                                                "continues as text."))

    def _speak(self, reply: _Reply, frame: SentenceText) -> None:
        times = self.control.times[reply.turn_id]
        reply.tracker.sentences[frame.index] = frame.text
        for chunk in self.tts.synthesize(frame.text):
            if not self._wait_for_room(reply.turn_id):
                return
            # Check and enqueue under the lock that stop_speaking() holds while it cancels and
            # flushes, so no audio of a cancelled turn can slip in after the flush.
            with self._lock:
                if not self.control.is_live(reply.turn_id):
                    return
                segment = self.output.enqueue(chunk.audio, chunk.sample_rate, reply.turn_id)
                start = reply.tracker.spans.get(frame.index, (segment.start, 0))[0]
                reply.tracker.spans[frame.index] = (start, segment.end)
                if times.first_audio_queued is None:
                    times.first_audio_queued = time.monotonic()
                self.animator.add_speech(VisemeTrack.from_alignments(
                    chunk.phonemes, chunk.sample_rate, self.output.seconds(segment.start)))

    def _wait_for_room(self, turn_id: int) -> bool:
        """Wait, without holding the lock, until playback is less than SPEECH_LOOKAHEAD_S
        ahead. False if the turn was interrupted meanwhile."""
        limit = int(SPEECH_LOOKAHEAD_S * self.output.rate)
        while self.output.queued_frames() > limit:
            if not self.control.is_live(turn_id) or not self._running:
                return False
            time.sleep(0.02)
        return self.control.is_live(turn_id)

    # -- the clock stage ----------------------------------------------------------------------
    def _monitor_loop(self) -> None:
        """Follows the playback clock: first-audio time, captions, end of spoken turns."""
        while self._running:
            time.sleep(0.005)
            with self._lock:
                reply = self._replies.get(self.control.current)
                if reply is None or reply.finished or not reply.spoken or self.output is None:
                    continue
                played = self.output.played_frames()
                times = self.control.times[reply.turn_id]
                spans = reply.tracker.spans
                if spans and times.first_audio_played is None:
                    first = min(start for start, _ in spans.values())
                    if played > first:
                        late = self.output.seconds(played - first)
                        times.first_audio_played = max(
                            times.first_audio_queued or 0.0, time.monotonic() - late)
                caption = reply.tracker.heard_text(played)
                if caption != reply.last_caption:
                    reply.last_caption = caption
                    self.listener(Caption(reply.turn_id, caption))
                all_queued = reply.generation_done and reply.synthesis_done
                all_played = (
                    reply.sentences == 0
                    or (len(spans) >= reply.sentences
                        and played >= max(end for _, end in spans.values()))
                )
                if all_queued and all_played:
                    self._finish(reply, interrupted=False)

    # -- endings ------------------------------------------------------------------------------
    def _finish(self, reply: _Reply, interrupted: bool, heard: str | None = None) -> None:
        # Always called with self._lock held.
        if reply.finished:
            return
        reply.finished = True
        times = self.control.times[reply.turn_id]
        times.done = time.monotonic()
        heard_text = reply.full_text.strip() if heard is None else heard.strip()
        if heard_text:
            self.history.append(Message("assistant", heard_text))
            status = "interrupted" if interrupted else "complete"
            self._save(reply.turn_id, "assistant", heard_text, status,
                       full_text=reply.full_text.strip())
        self.listener(ReplyFinished(reply.turn_id, heard_text, reply.full_text.strip(),
                                    interrupted, times))

    def _save(self, turn_id: int, role: str, text: str, status: str = "complete",
              full_text: str | None = None) -> None:
        if self.store is None:
            return
        future = self.store.append_turn(self.persona.id, role, text, status, full_text)

        def done(f) -> None:
            error = f.exception()
            if error is not None:
                self.listener(Notice("error", f"Not saved: {error}"))
            else:
                self.listener(TurnSaved(turn_id, role, f.result()))

        future.add_done_callback(done)
