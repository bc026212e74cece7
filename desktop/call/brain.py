"""The brain stage: turns the user's words into the persona's reply. On its worker thread it
recalls memories, writes the reply with the LLM through the license guard, hands it sentence by
sentence to the speech stage, and ends it with the duties every reply keeps. While its inbox
is quiet it prefills what the user is typing, settles the cache after a reply, and runs the
memory jobs."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path

from desktop.brain.engine import LanguageEngine, prompt_cache
from desktop.brain.llm import EngineUnavailable, Sampling
from desktop.brain.prompt import Message
from desktop.budget import CpuBudget
from desktop.call.duties import SafetyDuties
from desktop.call.events import MemoriesUsed, Notice, ReplyStarted, ReplyToken
from desktop.call.frames import Control, Draft, EndOfReply, Frame, SentenceText, Settle, UserText
from desktop.call.memory_duty import CONTEXT_MARGIN_TOKENS, MemoryDuty
from desktop.call.recorder import TurnRecorder
from desktop.call.sentences import SentenceSplitter, ramp_for
from desktop.call.state import CallState, Reply
from desktop.machine import OtherLoad

log = logging.getLogger(__name__)
# Memory work waits until the conversation has been idle this long.
MEMORY_IDLE_S = 0.4
# Said in the persona's voice when the engine stops answering mid-turn (a remote server went
# away): better than silence, and it tells the user what to do.
APOLOGIES = {
    "en": "Sorry, I lost my train of thought for a moment. Could you say that again?",
    "zh": "抱歉，我刚才走神了一下。你能再说一遍吗？",
}
ENGINE_RETRY_DELAY_S = 1.0
# With one core to share (a 1-core machine, or other programs keep the rest busy), the brain
# waits up to this long after the first piece for the voice to synthesize it: piper and
# llama.cpp on one core each run at half speed, and the first audio is the one the user
# waits for (the next piece has the first one's playing time to be written).
VOICE_FIRST_WAIT_S = 0.5
# A spoken draft is prefilled on the one core the recognizer leaves, this many tokens at a
# time: the user's message cuts it mid-chunk (BrainStage.prefill_serves), and what the
# chunks before it did stays. A 10-token chunk on one core took 0.7 s on a CPU half this
# machine's speed; cut, all of it was lost.
SPOKEN_DRAFT_CHUNK = 4


class BrainStage:
    def __init__(self, state: CallState, llm: LanguageEngine | None, memory: MemoryDuty,
                 duties: SafetyDuties, recorder: TurnRecorder,
                 speak: Callable[[Frame], None], sampling: Sampling,
                 budget: CpuBudget | None, cache_dir: Path | None,
                 load: OtherLoad | None = None) -> None:
        self.state = state
        self.llm = llm
        self.cache = prompt_cache(llm)  # None for an engine that keeps its own (remote)
        self.memory = memory
        self.duties = duties
        self.recorder = recorder
        self.speak = speak  # the speech stage's inbox
        self.sampling = sampling
        self.budget = budget
        self.base_budget = budget  # the machine's; ``budget`` is what other work leaves
        self.load = load  # how busy other programs keep the machine (None: not watched)
        self.cache_dir = cache_dir
        self.draft = ""  # only the newest draft is kept
        # What the background prefill now running serves: the draft's text, "" for the
        # finished history (useful to any next turn), None when none runs. Written by the
        # brain's worker, read by the thread that submits the user's message.
        self.prefilling: str | None = None
        self.hands_free = False  # a hands-free call: the recognizer shares the cores
        # How fast the model writes in this call (tokens a second after the first, the
        # previous reply's): sizes the first spoken piece (desktop.call.sentences.ramp_for).
        self.decode_tok_s: float | None = None
        # Set by the conversation to its inbox's state: work the brain does while nobody
        # waits (a draft's prefill, memory jobs) stops as soon as anything newer arrives.
        self.newer_work: Callable[[], bool] = lambda: False

    # -- the stage --------------------------------------------------------------------------
    def process(self, frame: Frame | Control) -> None:
        if isinstance(frame, Draft):
            self._prefill_draft()
        elif isinstance(frame, Settle):
            self._settle_history()
        elif isinstance(frame, UserText) and self.state.control.is_live(frame.turn_id):
            try:
                self._reply_to(frame)
            except Exception as error:
                log.exception("Reply failed")
                self.state.listener(Notice("error", f"The persona could not answer: {error}"))
                with self.state.lock:
                    reply = self.state.replies.get(frame.turn_id)
                    if reply and not reply.finished:
                        self.recorder.finish(reply, interrupted=True, heard=reply.full_text)

    def idle(self) -> None:
        self.memory.run_one(
            idle=lambda: self.state.all_finished() and not self.newer_work(),
            interrupted=lambda: self.newer_work() or not self.state.running)

    # -- work while nobody waits --------------------------------------------------------------
    def _prefill_draft(self) -> None:
        draft = self.draft
        if self.cache is None or self.state.generating() or not draft or self.newer_work():
            return  # a reply is being generated, or newer work is waiting: skip this draft
        # Recall for the draft too: the note goes before the user's message, so prefilling it
        # now means the submitted message usually finds note and text already in the cache.
        note = self.memory.recall(draft).note
        with self.state.lock:
            history = [*self.state.history, *([Message("memory", note)] if note else []),
                       Message("user", draft)]
        # A spoken draft mostly grows by the words the user says next, so it is prefilled
        # as an open message, without its end or the reply's header, which every longer
        # draft would evaluate again (on one core, the end's 2 tokens of every draft cost
        # ~150 ms on a CPU half this machine's speed, and the draft fell behind the speech);
        # a typed draft is often the message as sent (Enter follows a pause), header and all.
        if self.hands_free:
            prefill = functools.partial(self.cache.prefill_history, chunk=SPOKEN_DRAFT_CHUNK,
                                        still_said=True)
        else:
            prefill = self.cache.prefill
        self._prefill_in_background(prefill, history, draft)

    def prefill_serves(self, text: str) -> bool:
        """Whether the background prefill now running is the start of the prompt a reply to
        ``text`` reads: the history settling, or a draft that ``text`` repeats or goes on
        from. Stopping it mid-batch would throw away work the reply then does again (on a
        slow CPU the last draft often holds the whole sentence when the user stops)."""
        serving = self.prefilling
        if serving and self.hands_free:
            # A spoken draft is prefilled on one core, a few tokens at a time: the reply
            # does the cut chunk's few tokens again on every core, in one batch with the
            # rest, sooner than the chunk would end (on a CPU half this machine's speed the
            # reply waited up to 200 ms for it).
            return False
        return serving is not None and (serving == "" or text == serving
                                        or text.startswith(serving + " "))

    def _settle_history(self) -> None:
        """A reply just ended: bring the KV cache to the history as the next turn will read
        it. What the model generated is not always what its text tokenizes to (and an
        interrupted reply keeps only what was heard), so without this the next turn would
        first re-read the whole last reply, on the user's clock."""
        with self.state.lock:
            history = list(self.state.history)
        if (self.cache is None or not self.state.all_finished() or not history
                or self.newer_work()):
            return
        self._prefill_in_background(self.cache.prefill_history, history, "")

    def _prefill_in_background(self, prefill: Callable[..., int], history: list[Message],
                               serves: str) -> None:
        """``prefill`` (LocalLLM.prefill or prefill_history) of ``history``, while nobody
        waits for it: newer work in the inbox (the user's message, a newer draft) stops it
        between chunks. In a hands-free call the recognizer decodes at the same time, so the
        LLM leaves it a core."""
        self._rebudget()
        beside_listening = self.hands_free and self.budget is not None
        if beside_listening:
            self.cache.set_threads(self.budget.llm_beside_listening())
        try:
            prompt = self.state.persona.prompt()
            self.cache.warm(prompt, self.cache_dir)
            self.prefilling = serves
            prefill(prompt, history, should_stop=self.newer_work)
        except Exception:
            log.exception("Prefill in the background failed")
        finally:
            self.prefilling = None
            if beside_listening:
                self.cache.set_threads(self.budget.llm)

    def _rebudget(self) -> float | None:
        """Plan on the cores other programs leave (desktop.budget.CpuBudget.under_load), so
        no llama.cpp thread waits at a barrier for a core that is not free. Returns the
        other programs' load, or None when it is not watched."""
        if self.load is None or self.base_budget is None:
            return None
        busy = self.load.cores()
        budget = self.base_budget.under_load(busy)
        if budget != self.budget:
            log.info("Other programs keep %.1f cores busy: the LLM now plans on %d",
                     busy, budget.cores)
            self.budget = budget
            if self.cache is not None:
                self.cache.set_threads(budget.llm)
        return busy

    # -- a reply --------------------------------------------------------------------------------
    def _reply_to(self, frame: UserText) -> None:
        turn_id = frame.turn_id
        reply = self.state.replies[turn_id]
        self.state.control.times[turn_id].others_busy_cores = self._rebudget()
        self.state.emit(turn_id, ReplyStarted(turn_id, reply.spoken))
        if self.llm is None:
            raise RuntimeError("no language model is installed")
        history = self._context_for(reply)
        live = lambda: self.state.control.is_live(turn_id)  # noqa: E731
        if self.cache is not None:
            self.cache.warm(self.state.persona.prompt(), self.cache_dir)
        text = _ReplyText(self, reply)
        self.state.control.times[turn_id].reading = time.monotonic()
        blocked = self._write(reply, history, text, live)
        # The duties every reply keeps, after what the model wrote.
        referral = self.duties.referral_for(reply.user_text)
        if live() and referral:
            text.add(referral)
        if live() and self.duties.ai_notice_due():
            text.release(" " + self.duties.ai_notice())
        if blocked and live():
            # Nothing of the violation was shown or spoken: what passed stays, then the
            # persona declines in its own voice. The log names the rule, never the text.
            log.warning("Reply of %s stopped by the license guard: %s",
                        self.state.persona.id, blocked)
            text.add(self.duties.refusal())
        text.end_sprint()
        if not live():
            return
        text.flush()
        with self.state.lock:
            reply.generation_done = True
            if not reply.spoken and not reply.finished:
                self.recorder.finish(reply, interrupted=False)

    def _context_for(self, reply: Reply) -> list[Message]:
        """Recall memories for the reply, put their note into the history, make room in the
        model's context; returns the history the model reads."""
        turn_id = reply.turn_id
        memory = self.memory.recall(reply.user_text)
        reply.fact_ids = [f.id for f in memory.given]
        reply.known_facts = [f for f in memory.recalled if f.source != "lore"]
        with self.state.lock:
            if memory.note:
                self.memory.insert_note(reply, memory)
            # A long call outgrows the model's context: the oldest messages leave the prompt
            # (they stay in the store, and memory recalls what matters from them).
            drop = self.llm.overflow(self.state.persona.prompt(), self.state.history,
                                     self.sampling.max_tokens + CONTEXT_MARGIN_TOKENS)
            if drop:
                log.info("Context full: %d oldest messages leave the prompt", drop)
                del self.state.history[:drop]
            history = list(self.state.history)
        if memory.given:
            self.state.emit(turn_id, MemoriesUsed(turn_id, memory.given))
            self.memory.store.mark_recalled(reply.fact_ids)
        return history

    def _write(self, reply: Reply, history: list[Message], text: _ReplyText,
               live: Callable[[], bool]) -> str | None:
        """Stream the model's reply through the guard into ``text``. Returns the rule that
        stopped it, if one did. An engine that stops answering gets one quiet retry before
        anything was said, then the persona apologises in its own voice."""
        times = self.state.control.times[reply.turn_id]
        generated = ""  # what the model wrote; ``reply.full_text`` is what passed the guard
        blocked = None
        retried = False
        pieces = 0
        while True:
            try:
                for piece in self.llm.stream(self.state.persona.prompt(), history,
                                             should_stop=lambda: not live(),
                                             sampling=self.sampling):
                    if not live():
                        break
                    pieces += 1
                    if times.first_token is None:
                        times.first_token = time.monotonic()
                        times.prompt_tokens = getattr(self.llm, "last_prefill_tokens", None)
                    elif pieces == 8:  # one piece is one token, as llama.cpp streams them
                        writing = time.monotonic() - times.first_token - text.waited_s
                        self.decode_tok_s = 7 / max(writing, 1e-3)
                    generated += piece
                    blocked = self.duties.guard.violation(generated)
                    if blocked:
                        break
                    text.release(generated[len(reply.full_text):
                                           self.duties.guard.releasable(generated)])
                if not blocked:
                    text.release(generated[len(reply.full_text):])  # the held-back tail passed
                return blocked
            except EngineUnavailable as error:
                if not retried and times.first_token is None and live():
                    retried = True
                    time.sleep(ENGINE_RETRY_DELAY_S)
                    continue
                self.state.listener(Notice("warning", str(error)))
                text.add(APOLOGIES.get(self.state.language, APOLOGIES["en"]))
                return None


class _ReplyText:
    """What passed the guard, handed on: shown as tokens, and sentence by sentence to the
    voice. Until the first sentence goes to the voice nothing else needs the CPU, so the LLM
    may use every core; from then on it shares them (see desktop.budget)."""

    def __init__(self, brain: BrainStage, reply: Reply) -> None:
        self.brain = brain
        self.reply = reply
        self.splitter = SentenceSplitter(ramp_for(brain.decode_tok_s))
        self.waited_s = 0.0  # for the voice to start (not writing time)
        self.sprinting = brain.cache is not None and brain.budget is not None and reply.spoken
        if self.sprinting:
            brain.cache.set_threads(brain.budget.llm_alone())

    def release(self, text: str) -> None:
        if not text:
            return
        reply, state = self.reply, self.brain.state
        with state.lock:
            reply.full_text += text
        state.emit(reply.turn_id, ReplyToken(reply.turn_id, text))
        if reply.spoken:
            for sentence in self.splitter.push(text):
                self._queue_sentence(sentence)
                self.end_sprint()

    def add(self, text: str) -> None:
        """A whole line of Hearth's own after what was written (a referral, an apology)."""
        self.release((" " if self.reply.full_text else "") + text)

    def end_sprint(self) -> None:
        if self.sprinting:
            self.brain.cache.set_threads(self.brain.budget.llm)
            self.sprinting = False

    def flush(self) -> None:
        """The reply is written: the last words go to the voice, then the end of the reply."""
        if self.reply.spoken:
            rest = self.splitter.flush()
            if rest:
                self._queue_sentence(rest)
            self.brain.speak(EndOfReply(self.reply.turn_id))

    def _queue_sentence(self, text: str) -> None:
        reply = self.reply
        times = self.brain.state.control.times[reply.turn_id]
        first = times.first_sentence is None
        if first:
            times.first_sentence = time.monotonic()
        self.brain.speak(SentenceText(reply.turn_id, reply.sentences, text))
        reply.sentences += 1
        budget = self.brain.budget
        if first and budget is not None and budget.cores == 1:
            self._let_the_voice_start()

    def _let_the_voice_start(self) -> None:
        began = time.monotonic()
        while (not self.reply.voice_started.wait(0.01)
               and time.monotonic() < began + VOICE_FIRST_WAIT_S
               and self.brain.state.control.is_live(self.reply.turn_id)):
            pass
        self.waited_s += time.monotonic() - began
