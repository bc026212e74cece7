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
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.brain.llm import EngineUnavailable, LocalLLM, Sampling
from desktop.brain.prompt import Message
from desktop.budget import CpuBudget
from desktop.call.events import (
    Caption,
    Listener,
    MemoriesUsed,
    MemoryUpdated,
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
from desktop.call.guard import REFUSALS, OutputGuard
from desktop.call.safety import (
    AI_NOTICE_EVERY_S,
    REFERRALS,
    ROMANCE_WORDS,
    needs_crisis_referral,
    stated_minor,
)
from desktop.call.sentences import SentenceSplitter
from desktop.face.animator import FaceAnimator
from desktop.memory.extraction import (
    EXTRACTION_MAX_TOKENS,
    FACTS_GRAMMAR,
    SUMMARY_MAX_TOKENS,
    clean_summary,
    extraction_instruction,
    instruction_message,
    parse_facts,
    summary_instruction,
)
from desktop.memory.facts import Fact
from desktop.memory.recall import memory_note
from desktop.memory.store import Call, Store
from desktop.personas.library import Persona
from desktop.voice.audio_out import AudioOutput
from desktop.voice.tts import PiperTTS

log = logging.getLogger(__name__)
_STOP = object()
_DRAFT = object()
_SETTLE = object()  # a reply ended: re-read the history while the user reads or listens
# Synthesize at most this far ahead of playback. Further ahead only wastes CPU on audio that a
# barge-in throws away, and the playback ring (60 s) must always have room for the next chunk
# so that enqueueing never blocks while the conversation lock is held.
SPEECH_LOOKAHEAD_S = 10.0
# Memory work (fact extraction, call summaries) waits until the conversation has been idle
# this long, and yields to the user the moment they type or speak again.
MEMORY_IDLE_S = 0.4
MEMORY_BUDGET_TOKENS = 160
# Said in the persona's voice when the engine stops answering mid-turn (a remote server went
# away): better than silence, and it tells the user what to do.
APOLOGIES = {
    "en": "Sorry, I lost my train of thought for a moment. Could you say that again?",
    "zh": "抱歉，我刚才走神了一下。你能再说一遍吗？",
}
ENGINE_RETRY_DELAY_S = 1.0
# Said in the persona's own voice when the user has finished and the reply's first words are
# not even written yet (a slow reply): people fill such a gap, and it tells the user they
# were heard. Synthesized once per call, so playing one costs nothing.
BACKCHANNELS = {"en": ["Mm,", "Hmm,", "Well,"], "zh": ["嗯，", "这个嘛，", "嗯……"]}
_PREPARE = object()
AI_NOTICES = {
    "en": "Just so you know, I'm an AI.",
    "zh": "先说明一下，我是人工智能。",
}
# Memory work prefills this many tokens at a time. A message from the user cuts a chunk short
# (LocalLLM.interrupt_background), so chunks need not be small; larger ones prefill faster
# (1.5B shape, 2 threads, this 2-core machine: 4 tokens at 50 tok/s, 32 at 68 tok/s).
MEMORY_PREFILL_CHUNK = 32
# Room kept free in the context beyond a reply's max tokens (memory notes, the AI notice).
CONTEXT_MARGIN_TOKENS = 64


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
    user_text: str = ""
    user_row: object = None  # Future of the user turn's row id
    fact_ids: list[int] = field(default_factory=list)
    known_facts: list[Fact] = field(default_factory=list)
    # A speculative reply (``say(held=True)``) is prepared but not heard until released:
    # its audio waits, its events wait, and nothing of it is saved.
    released: threading.Event = field(default_factory=threading.Event)
    held_events: list = field(default_factory=list)
    memory_message: Message | None = None
    note_ids: list[int] = field(default_factory=list)
    withdrawn: bool = False
    chunk_ready: bool = False  # the first audio is synthesized and waiting for release


@dataclass
class _Memory:
    note: str = ""
    note_ids: list[int] = field(default_factory=list)
    given: list[Fact] = field(default_factory=list)  # facts the reply can see
    recalled: list[Fact] = field(default_factory=list)


@dataclass
class _FactsJob:
    """Extract facts from one exchange; ``history`` ends with that exchange."""

    history: list[Message]
    user_row: object
    known: list[Fact]


@dataclass
class _SummaryJob:
    call_id: int
    history: list[Message] | None  # None: read the call's turns from the store


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
        # A hands-free call is listening: the recognizer shares the cores with drafts.
        self.hands_free = False
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
        self._shown_facts: set[int] = set()
        self._memory_jobs: list[_FactsJob | _SummaryJob] = []
        self._call_id = None  # Future of the current call's row id
        self._last_call_summary = ""
        self.memory_budget_tokens = MEMORY_BUDGET_TOKENS
        self.minor = False  # the user said they are under 18: teen ceiling, romance off
        self.romance_words = list(ROMANCE_WORDS)
        self.guard = self._guard()
        self._last_ai_notice = time.monotonic()
        self._backchannels: dict[str, list] = {}  # language -> SpeechChunks
        self.backchannels_played = 0

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> Conversation:
        if self.store is not None:
            for turn in self.store.turns(self.persona.id, limit=40):
                if turn.text:
                    self.history.append(Message(turn.role, turn.text))
            if self.persona.lore:
                self.store.sync_lore(self.persona.id,
                                     [(entry.keys, entry.text) for entry in self.persona.lore])
            calls = self.store.calls(self.persona.id)
            self._last_call_summary = next(
                (_describe_call(c) for c in calls if c.summary and c.ended_at), "")
            self._memory_jobs += [_SummaryJob(c.id, None) for c in calls[:3]
                                  if c.ended_at and not c.summary]
        self._running = True
        for name, target in (("brain", self._brain_loop), ("tts", self._tts_loop),
                             ("monitor", self._monitor_loop)):
            thread = threading.Thread(target=target, name=f"call-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def close(self) -> None:
        self.stop_speaking()
        self._end_call(summarize=False)  # summarized when this persona is next opened
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
            self._end_call(summarize=True)
        elif self.store is not None and self._call_id is None:
            self._call_id = self.store.start_call(self.persona.id)
        self.spoken = spoken and self.can_speak

    def replace_output(self, output: AudioOutput | None) -> None:
        """A speaker went away (None: replies become text) or came back, mid-call."""
        self.stop_speaking()
        with self._lock:
            self.output = output
            if self._call_id is not None:
                self.spoken = self.can_speak

    def _end_call(self, summarize: bool) -> None:
        if self._call_id is None or self.store is None:
            return
        call_future, self._call_id = self._call_id, None
        try:
            call_id = call_future.result(timeout=10)
        except Exception:
            log.exception("The call was not recorded")
            return
        self.store.end_call(call_id)
        if summarize:
            with self._lock:
                self._memory_jobs.append(_SummaryJob(call_id, list(self.history)))

    # -- inputs -------------------------------------------------------------------
    def say(self, text: str, speech_ended: float | None = None,
            transcribed: float | None = None, held: bool = False) -> int:
        """The user said (typed, or spoke: then ``speech_ended`` and ``transcribed`` are the
        monotonic times for the latency meter) ``text``; the reply follows on the workers.

        ``held``: the user only paused; the reply is prepared at once (generated and
        synthesized while we wait to see whether they go on) but nothing of it is heard,
        shown or saved until ``release``; ``withdraw`` drops it without a trace."""
        text = text.strip()
        if not text:
            return 0
        self.stop_speaking()  # talking over the persona interrupts it
        with self._lock:
            turn_id = self.control.begin(time.monotonic())
            self.control.times[turn_id].speech_ended = speech_ended
            self.control.times[turn_id].transcribed = transcribed
            reply = _Reply(turn_id, spoken=self.spoken, user_text=text)
            self._replies[turn_id] = reply
            self.history.append(Message("user", text))
        if not held:
            self._commit_user_turn(reply)
        self._brain_q.put(UserText(turn_id, text))
        if self.llm is not None:
            self.llm.interrupt_background()  # a draft's prefill must not make the user wait
        return turn_id

    def _commit_user_turn(self, reply: _Reply) -> None:
        reply.user_row = self._save(reply.turn_id, "user", reply.user_text)
        self._safety_checks(reply.user_text)
        reply.released.set()

    def prepare_backchannels(self) -> None:
        """Synthesize the fillers for this call (on the speech worker, which owns piper)."""
        if self.tts is not None:
            self._tts_q.put(_PREPARE)

    def release(self, turn_id: int, transcribed: float | None = None) -> bool:
        """The held turn is real (the user did stop): save it, show it, let it be heard."""
        with self._lock:
            reply = self._replies.get(turn_id)
            if reply is None or not self.control.is_live(turn_id) or reply.released.is_set():
                return False
            if transcribed is not None:
                self.control.times[turn_id].transcribed = transcribed
            events, reply.held_events = reply.held_events, []
            if (reply.spoken and self.control.times[turn_id].first_sentence is None
                    and not reply.chunk_ready):
                self._backchannel(reply)
        self._commit_user_turn(reply)
        for event in events:
            self.listener(event)
        return True

    def _backchannel(self, reply: _Reply) -> None:
        # Called with the lock held, before the reply's own audio can be queued.
        fillers = self._backchannels.get(self.language) or self._backchannels.get(
            self.persona.languages[0])
        if not fillers or self.output is None or not self.output.is_open:
            return
        chunk = fillers[self.backchannels_played % len(fillers)]
        self.backchannels_played += 1
        features = self.animator.drive_features(chunk.audio, chunk.sample_rate)
        segment = self.output.enqueue(chunk.audio, chunk.sample_rate, reply.turn_id)
        reply.tracker.sentences[-1] = chunk.text  # heard first, so it is part of the reply
        reply.tracker.spans[-1] = (segment.start, segment.end)
        reply.sentences += 1
        self.control.times[reply.turn_id].first_audio_queued = time.monotonic()
        self.animator.add_chunk(chunk.audio, chunk.sample_rate, chunk.phonemes,
                                self.output.seconds(segment.start), features)

    def withdraw(self, turn_id: int) -> None:
        """The user went on talking: forget the held turn as if it never was."""
        with self._lock:
            reply = self._replies.get(turn_id)
            if reply is None or reply.released.is_set():
                return
            self.control.cancel(turn_id)
            reply.finished = reply.withdrawn = True
            reply.held_events.clear()
            if reply.memory_message is not None and reply.memory_message in self.history:
                self.history.remove(reply.memory_message)
            self._shown_facts.difference_update(reply.note_ids)
            index = self._last_user_message(reply.user_text)
            if index is not None:
                del self.history[index]
            if self.output is not None and self.output.is_open:
                self.animator.cut_speech(self.output.seconds(self.output.played_frames()))

    def _emit(self, turn_id: int, event: object) -> None:
        """Events of a held reply wait for its release."""
        with self._lock:
            reply = self._replies.get(turn_id)
            if reply is not None and not reply.released.is_set():
                if not reply.withdrawn:
                    reply.held_events.append(event)
                return
        self.listener(event)

    def _guard(self) -> OutputGuard:
        """The license's output rules, plus romance words when the license or the user's
        age rules romance out."""
        license_ = self.persona.license
        no_romance = self.minor or license_.get("romance_allowed") is False
        return OutputGuard(
            [str(p) for p in license_.get("never_say", [])],
            [str(t) for t in license_.get("forbidden_topics", [])]
            + (self.romance_words if no_romance else []))

    def _safety_checks(self, text: str) -> None:
        if stated_minor(text) and not self.minor:
            # Enforced on the output, whatever the model or the persona want.
            self.minor = True
            self.guard = self._guard()
            with self._lock:
                self.history.append(Message("system", (
                    "The user has said they are under 18. Keep everything suitable for "
                    "teenagers: no romance, no flirting, nothing mature.")))
        if needs_crisis_referral(text):
            self.listener(Notice("crisis", REFERRALS.get(self.language, REFERRALS["en"])))

    def typing(self, partial_text: str) -> None:
        """The user is composing ``partial_text``: prefill it on the brain's worker while they
        type, so the reply starts sooner. Only the newest draft is kept."""
        partial_text = partial_text.strip()
        if partial_text and self.llm is not None:
            self._draft = partial_text
            self._brain_q.put(_DRAFT)

    def greet(self) -> int:
        """Speak the persona's greeting (a call just connected), and say that it is an AI:
        every call starts with that, whatever the persona's text says."""
        notice = AI_NOTICES.get(self.language, AI_NOTICES["en"])
        self._last_ai_notice = time.monotonic()
        text = " ".join(part for part in (self.persona.greeting(self.language), notice) if part)
        self.stop_speaking()
        with self._lock:
            turn_id = self.control.begin(time.monotonic())
            reply = _Reply(turn_id, spoken=self.spoken, full_text=text)
            reply.released.set()
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

    def replying(self) -> tuple[bool, bool]:
        """(a reply is under way, the listener has begun to hear it)."""
        with self._lock:
            reply = self._replies.get(self.control.current)
            if reply is None or reply.finished:
                return False, False
            if not reply.spoken:
                return True, bool(reply.full_text)
            return True, self.control.times[reply.turn_id].first_audio_played is not None

    def stop_speaking(self) -> bool:
        """Interrupt the current reply now. Returns whether there was one."""
        with self._lock:
            turn_id = self.control.current
            reply = self._replies.get(turn_id)
            if reply is None or reply.finished:
                return False
            if not reply.released.is_set():
                self.withdraw(turn_id)  # never heard nor shown: as if never said
                return True
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
            try:
                frame = self._brain_q.get(timeout=MEMORY_IDLE_S)
            except queue.Empty:
                self._memory_work()
                continue
            if frame is _STOP:
                return
            if frame is _DRAFT:
                self._prefill_draft()
                continue
            if frame is _SETTLE:
                self._settle_history()
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
        if busy or not draft or not self._brain_q.empty():
            return  # a reply is being generated, or newer work is waiting: skip this draft
        # Recall for the draft too: the note goes before the user's message, so prefilling it
        # now means the submitted message usually finds note and text already in the cache.
        note = self._recall(draft).note
        with self._lock:
            history = [*self.history, *([Message("memory", note)] if note else []),
                       Message("user", draft)]
        self._prefill_in_background(self.llm.prefill, history)

    def _settle_history(self) -> None:
        """A reply just ended: bring the KV cache to the history as the next turn will read
        it. What the model generated is not always what its text tokenizes to (and an
        interrupted reply keeps only what was heard), so without this the next turn would
        first re-read the whole last reply, on the user's clock."""
        with self._lock:
            busy = any(not r.finished for r in self._replies.values())
            history = list(self.history)
        if busy or not history or not self._brain_q.empty():
            return
        self._prefill_in_background(self.llm.prefill_history, history)

    def _prefill_in_background(self, prefill: Callable[..., int],
                               history: list[Message]) -> None:
        """``prefill`` (LocalLLM.prefill or prefill_history) of ``history``, while nobody
        waits for it: newer work on the brain's queue (the user's message, a newer draft)
        stops it between chunks. In a hands-free call the recognizer decodes at the same
        time, so the LLM leaves it a core."""
        beside_listening = self.hands_free and self.budget is not None
        if beside_listening:
            self.llm.set_threads(self.budget.llm_beside_listening())
        try:
            self.llm.warm(self.persona.prompt(), self.cache_dir)
            prefill(self.persona.prompt(), history,
                    should_stop=lambda: not self._brain_q.empty())
        except Exception:
            log.exception("Prefill in the background failed")
        finally:
            if beside_listening:
                self.llm.set_threads(self.budget.llm)

    def _reply_to(self, frame: UserText) -> None:
        turn_id = frame.turn_id
        reply = self._replies[turn_id]
        times = self.control.times[turn_id]
        self._emit(turn_id, ReplyStarted(turn_id, reply.spoken))
        if self.llm is None:
            raise RuntimeError("no language model is installed")
        memory = self._recall(reply.user_text)
        reply.fact_ids = [f.id for f in memory.given]
        reply.known_facts = [f for f in memory.recalled if f.source != "lore"]
        with self._lock:
            if memory.note:
                reply.memory_message = self._insert_memory_note(reply.user_text, memory)
                reply.note_ids = list(memory.note_ids)
            # A long call outgrows the model's context: the oldest messages leave the prompt
            # (they stay in the store, and memory recalls what matters from them).
            drop = self.llm.overflow(self.persona.prompt(), self.history,
                                     self.sampling.max_tokens + CONTEXT_MARGIN_TOKENS)
            if drop:
                log.info("Context full: %d oldest messages leave the prompt", drop)
                del self.history[:drop]
            history = list(self.history)
        if memory.given:
            self._emit(turn_id, MemoriesUsed(turn_id, memory.given))
            self.store.mark_recalled(reply.fact_ids)
        splitter = SentenceSplitter()
        live = lambda: self.control.is_live(turn_id)  # noqa: E731
        self.llm.warm(self.persona.prompt(), self.cache_dir)
        # Until the first sentence goes to the voice nothing else needs the CPU: the LLM may
        # use every core. From then on it shares them (see desktop.budget).
        sprinting = self.budget is not None and reply.spoken
        if sprinting:
            self.llm.set_threads(self.budget.llm_alone())
        retried = False
        generated = ""  # what the model wrote; ``reply.full_text`` is what passed the guard
        blocked = None

        def release(text: str) -> None:
            nonlocal sprinting
            if not text:
                return
            with self._lock:
                reply.full_text += text
            self._emit(turn_id, ReplyToken(turn_id, text))
            if reply.spoken:
                for sentence in splitter.push(text):
                    self._queue_sentence(reply, sentence)
                    if sprinting:
                        self.llm.set_threads(self.budget.llm)
                        sprinting = False

        while True:
            try:
                for piece in self.llm.stream(self.persona.prompt(), history,
                                             should_stop=lambda: not live(),
                                             sampling=self.sampling):
                    if not live():
                        break
                    if times.first_token is None:
                        times.first_token = time.monotonic()
                    generated += piece
                    blocked = self.guard.violation(generated)
                    if blocked:
                        break
                    release(generated[len(reply.full_text):self.guard.releasable(generated)])
                if not blocked:
                    release(generated[len(reply.full_text):])  # the held-back tail passed
                break
            except EngineUnavailable as error:
                if not retried and times.first_token is None and live():
                    retried = True  # one quiet retry before anything was said
                    time.sleep(ENGINE_RETRY_DELAY_S)
                    continue
                self.listener(Notice("warning", str(error)))
                apology = APOLOGIES.get(self.language, APOLOGIES["en"])
                release((" " if reply.full_text else "") + apology)
                break
        if live() and needs_crisis_referral(reply.user_text):
            release((" " if reply.full_text else "") + REFERRALS.get(self.language,
                                                                     REFERRALS["en"]))
        if live() and time.monotonic() - self._last_ai_notice > AI_NOTICE_EVERY_S:
            self._last_ai_notice = time.monotonic()
            release(" " + AI_NOTICES.get(self.language, AI_NOTICES["en"]))
        if blocked and live():
            # Nothing of the violation was shown or spoken: what passed stays, then the
            # persona declines in its own voice. The log names the rule, never the text.
            log.warning("Reply of %s stopped by the license guard: %s", self.persona.id,
                        blocked)
            refusal = str(self.persona.license.get("refusal") or REFUSALS.get(
                self.language, REFUSALS["en"]))
            release((" " if reply.full_text else "") + refusal)
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
            if frame is _PREPARE:
                self._synthesize_backchannels()
                continue
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

    def _synthesize_backchannels(self) -> None:
        for language in self.persona.languages:
            if language in self._backchannels or language not in BACKCHANNELS:
                continue
            try:
                self._backchannels[language] = [
                    next(iter(self.tts.synthesize(text))) for text in BACKCHANNELS[language]]
            except Exception:
                log.exception("Backchannels could not be synthesized; going on without")

    def _speak(self, reply: _Reply, frame: SentenceText) -> None:
        times = self.control.times[reply.turn_id]
        reply.tracker.sentences[frame.index] = frame.text
        for chunk in self.tts.synthesize(frame.text):
            reply.chunk_ready = True
            features = self.animator.drive_features(chunk.audio, chunk.sample_rate)
            if not self._wait_for_room(reply.turn_id) or not self._wait_released(reply):
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
                self.animator.add_chunk(chunk.audio, chunk.sample_rate, chunk.phonemes,
                                        self.output.seconds(segment.start), features)

    def _wait_released(self, reply: _Reply) -> bool:
        """A held reply's audio waits here, synthesized and ready, until the user's pause
        turns out to be the end of their turn. False if it was withdrawn meanwhile."""
        while not reply.released.wait(0.005):
            if not self.control.is_live(reply.turn_id) or not self._running:
                return False
        return self.control.is_live(reply.turn_id)

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
                words = [start for index, (start, _) in spans.items() if index >= 0]
                if times.first_words_played is None and words and played > min(words):
                    late = self.output.seconds(played - min(words))
                    times.first_words_played = time.monotonic() - late
                caption = reply.tracker.heard_text(played)
                if caption != reply.last_caption:
                    reply.last_caption = caption
                    self._emit(reply.turn_id, Caption(reply.turn_id, caption))
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
            # History keeps the reply's leading whitespace as generated: its tokens then
            # match the KV cache, and the next turn does not re-read the whole reply.
            leading = reply.full_text[:len(reply.full_text) - len(reply.full_text.lstrip())]
            self.history.append(Message("assistant", leading + heard_text))
            if self.llm is not None:
                self._brain_q.put(_SETTLE)
            status = "interrupted" if interrupted else "complete"
            self._save(reply.turn_id, "assistant", heard_text, status,
                       full_text=reply.full_text.strip(), fact_ids=reply.fact_ids)
        if reply.user_text and self.store is not None and self.llm is not None:
            self._memory_jobs.append(_FactsJob(list(self.history), reply.user_row,
                                               reply.known_facts))
        self._emit(reply.turn_id, ReplyFinished(reply.turn_id, heard_text,
                                                reply.full_text.strip(), interrupted, times))

    def _save(self, turn_id: int, role: str, text: str, status: str = "complete",
              full_text: str | None = None, fact_ids: list[int] | None = None):
        if self.store is None:
            return None
        future = self.store.append_turn(self.persona.id, role, text, status, full_text,
                                        fact_ids)

        def done(f) -> None:
            error = f.exception()
            if error is not None:
                self.listener(Notice("error", f"Not saved: {error}"))
            else:
                self.listener(TurnSaved(turn_id, role, f.result()))

        future.add_done_callback(done)
        return future

    # -- memory ---------------------------------------------------------------------------------
    def _recall(self, text: str) -> _Memory:
        """The memory for a message: a note with the facts not yet in this conversation's
        context (within the token budget), and every fact the reply is given."""
        if self.store is None or self.llm is None:
            return _Memory()
        with self._lock:
            earlier = [m.text for m in self.history if m.role == "user"][-1:]
        try:
            result = self.store.recall(self.persona.id, " ".join([*earlier, text]))
        except Exception:
            log.exception("Recall failed; answering without memories")
            return _Memory()
        fresh = [r for r in result.facts if r.fact.id not in self._shown_facts]
        note, note_ids = memory_note(fresh, self.llm.count_tokens, self.memory_budget_tokens,
                                     self._last_call_summary)
        shown = [r.fact for r in result.facts if r.fact.id in self._shown_facts]
        given = shown + [r.fact for r in fresh if r.fact.id in note_ids]
        return _Memory(note, note_ids, given, [r.fact for r in result.facts])

    def _insert_memory_note(self, user_text: str, memory: _Memory) -> Message:
        # Called with the lock held: the note goes right before the message it was recalled for.
        note = Message("memory", memory.note)
        index = self._last_user_message(user_text)
        if index is not None:
            self.history.insert(index, note)
        self._shown_facts.update(memory.note_ids)
        self._last_call_summary = ""  # said once per conversation
        return note

    def _last_user_message(self, text: str) -> int | None:
        # Called with the lock held: where the user's newest message with this text sits.
        for index in range(len(self.history) - 1, -1, -1):
            message = self.history[index]
            if message.role == "user" and message.text == text:
                return index
        return None

    def _idle(self) -> bool:
        with self._lock:
            return all(r.finished for r in self._replies.values()) and self._brain_q.empty()

    def _memory_work(self) -> None:
        """Run one pending memory job if the conversation is idle. A job that the user
        interrupts (by typing or talking) stays pending and runs again later."""
        if not self._memory_jobs or self.llm is None or self.store is None or not self._idle():
            return
        job = self._memory_jobs[0]
        interrupted = lambda: not self._brain_q.empty() or not self._running  # noqa: E731
        try:
            self.llm.warm(self.persona.prompt(), self.cache_dir)
            if isinstance(job, _FactsJob):
                done = self._extract_facts(job, interrupted)
            else:
                done = self._summarize_call(job, interrupted)
        except Exception:
            log.exception("Memory work failed; skipping it")
            done = True
        if done:
            with self._lock:
                if self._memory_jobs and self._memory_jobs[0] is job:
                    self._memory_jobs.pop(0)

    def _generate(self, history: list[Message], instruction: str, interrupted,
                  max_tokens: int, grammar: str | None = None) -> str | None:
        sampling = Sampling(temperature=0.2, top_p=0.9, repeat_penalty=1.0,
                            max_tokens=max_tokens, seed=self.sampling.seed)
        history = history[self.llm.overflow(self.persona.prompt(), [
            *history, instruction_message(instruction)], max_tokens + CONTEXT_MARGIN_TOKENS):]
        text = "".join(self.llm.stream(
            self.persona.prompt(), [*history, instruction_message(instruction)],
            should_stop=interrupted, sampling=sampling, grammar=grammar,
            prefill_chunk=MEMORY_PREFILL_CHUNK))
        return None if interrupted() else text

    def _extract_facts(self, job: _FactsJob, interrupted) -> bool:
        answer = self._generate(job.history, extraction_instruction(job.known), interrupted,
                                EXTRACTION_MAX_TOKENS, FACTS_GRAMMAR)
        if answer is None:
            return False
        updates = parse_facts(answer)
        if not updates:
            return True
        source_row = None
        if job.user_row is not None and job.user_row.done() and not job.user_row.exception():
            source_row = job.user_row.result()
        applied = self.store.remember(self.persona.id, updates, source_row).result(timeout=30)
        self.listener(MemoryUpdated(self.persona.id, applied))
        return True

    def _summarize_call(self, job: _SummaryJob, interrupted) -> bool:
        history = job.history
        if history is None:
            call = next((c for c in self.store.calls(self.persona.id) if c.id == job.call_id),
                        None)
            if call is None:
                return True
            history = [Message(t.role, t.text) for t in self.store.call_turns(call)]
        spoken = [m for m in history if m.role in ("user", "assistant")]
        if not any(m.role == "user" for m in spoken):
            return True  # nothing was said in this call but the greeting
        answer = self._generate(history[-24:], summary_instruction(), interrupted,
                                SUMMARY_MAX_TOKENS)
        if answer is None:
            return False
        summary = clean_summary(answer)
        if summary:
            self.store.set_call_summary(job.call_id, summary).result(timeout=30)
            self.listener(MemoryUpdated(self.persona.id, []))
        return True


def _describe_call(call: Call) -> str:
    when = call.started_at[:10]
    minutes = (call.duration_s() or 0) / 60
    length = f", {minutes:.0f} min" if minutes >= 1 else ""
    return f"({when}{length}) {call.summary}"
