"""What a conversation remembers and recalls: the memory note before each message, and the
memory jobs (fact extraction after each exchange, a summary after each call) that run on the
brain's worker only while the conversation is idle, and yield the moment the user types or
speaks again (an interrupted job stays pending and runs again later)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop.brain.engine import LanguageEngine, prompt_cache
from desktop.brain.llm import Sampling
from desktop.brain.prompt import Message
from desktop.call.events import MemoryUpdated
from desktop.call.state import CallState, Reply
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
from desktop.memory.records import Call
from desktop.memory.store import Store

log = logging.getLogger(__name__)
MEMORY_BUDGET_TOKENS = 160
# Memory work prefills this many tokens at a time. A message from the user cuts a chunk short
# (LocalLLM.interrupt_background), so chunks need not be small; larger ones prefill faster
# (1.5B shape, 2 threads, this 2-core machine: 4 tokens at 50 tok/s, 32 at 68 tok/s).
MEMORY_PREFILL_CHUNK = 32
# Room kept free in the context beyond a reply's max tokens (memory notes, the AI notice).
CONTEXT_MARGIN_TOKENS = 64


@dataclass
class Recalled:
    note: str = ""
    note_ids: list[int] = field(default_factory=list)
    given: list[Fact] = field(default_factory=list)  # facts the reply can see
    recalled: list[Fact] = field(default_factory=list)


@dataclass
class FactsJob:
    """Extract facts from one exchange; ``history`` ends with that exchange."""

    history: list[Message]
    user_row: object
    known: list[Fact]


@dataclass
class SummaryJob:
    call_id: int
    history: list[Message] | None  # None: read the call's turns from the store


class MemoryDuty:
    def __init__(self, state: CallState, store: Store | None, llm: LanguageEngine | None,
                 cache_dir: Path | None, seed: int | None) -> None:
        self.state = state
        self.store = store
        self.llm = llm
        self.cache_dir = cache_dir
        self.seed = seed
        self.budget_tokens = MEMORY_BUDGET_TOKENS
        self.jobs: list[FactsJob | SummaryJob] = []
        self.shown_facts: set[int] = set()  # facts already in this conversation's context
        self.last_call_summary = ""  # said once, in the first note of a conversation

    @property
    def active(self) -> bool:
        return self.store is not None and self.llm is not None

    def load(self) -> None:
        """At the start: the last call's summary for the first note, and summaries still owed
        for calls that ended without one."""
        calls = self.store.calls(self.state.persona.id)
        self.last_call_summary = next(
            (describe_call(c) for c in calls if c.summary and c.ended_at), "")
        self.jobs += [SummaryJob(c.id, None) for c in calls[:3] if c.ended_at and not c.summary]

    # -- recall ---------------------------------------------------------------------------
    def recall(self, text: str) -> Recalled:
        """The memory for a message: a note with the facts not yet in this conversation's
        context (within the token budget), and every fact the reply is given."""
        if not self.active:
            return Recalled()
        with self.state.lock:
            earlier = [m.text for m in self.state.history if m.role == "user"][-1:]
        try:
            result = self.store.recall(self.state.persona.id, " ".join([*earlier, text]))
        except Exception:
            log.exception("Recall failed; answering without memories")
            return Recalled()
        fresh = [r for r in result.facts if r.fact.id not in self.shown_facts]
        note, note_ids = memory_note(fresh, self.llm.count_tokens, self.budget_tokens,
                                     self.last_call_summary)
        shown = [r.fact for r in result.facts if r.fact.id in self.shown_facts]
        given = shown + [r.fact for r in fresh if r.fact.id in note_ids]
        return Recalled(note, note_ids, given, [r.fact for r in result.facts])

    def insert_note(self, reply: Reply, memory: Recalled) -> None:
        """Put the note right before the message it was recalled for (lock held)."""
        note = Message("memory", memory.note)
        index = self.state.last_user_message(reply.user_text)
        if index is not None:
            self.state.history.insert(index, note)
        self.shown_facts.update(memory.note_ids)
        self.last_call_summary = ""  # said once per conversation
        reply.memory_message = note
        reply.note_ids = list(memory.note_ids)

    def withdraw_note(self, reply: Reply) -> None:
        """A withdrawn reply's note leaves the history as if never recalled (lock held)."""
        history = self.state.history
        if reply.memory_message is not None and reply.memory_message in history:
            history.remove(reply.memory_message)
        self.shown_facts.difference_update(reply.note_ids)

    # -- jobs -----------------------------------------------------------------------------
    def after_exchange(self, reply: Reply) -> None:
        """An exchange ended (lock held): its facts are extracted once the call is idle."""
        if reply.user_text and self.active:
            self.jobs.append(FactsJob(list(self.state.history), reply.user_row,
                                      reply.known_facts))

    def after_call(self, call_id: int) -> None:
        with self.state.lock:
            self.jobs.append(SummaryJob(call_id, list(self.state.history)))

    def run_one(self, idle: Callable[[], bool], interrupted: Callable[[], bool]) -> None:
        """Run the first pending job if the conversation is ``idle()``; a job ``interrupted()``
        stays pending."""
        if not self.jobs or not self.active or not idle():
            return
        job = self.jobs[0]
        try:
            cache = prompt_cache(self.llm)
            if cache is not None:
                cache.warm(self.state.persona.prompt(), self.cache_dir)
            if isinstance(job, FactsJob):
                done = self._extract_facts(job, interrupted)
            else:
                done = self._summarize_call(job, interrupted)
        except Exception:
            log.exception("Memory work failed; skipping it")
            done = True
        if done:
            with self.state.lock:
                if self.jobs and self.jobs[0] is job:
                    self.jobs.pop(0)

    def _generate(self, history: list[Message], instruction: str, interrupted,
                  max_tokens: int, grammar: str | None = None) -> str | None:
        sampling = Sampling(temperature=0.2, top_p=0.9, repeat_penalty=1.0,
                            max_tokens=max_tokens, seed=self.seed)
        prompt = self.state.persona.prompt()
        history = history[self.llm.overflow(prompt, [
            *history, instruction_message(instruction)], max_tokens + CONTEXT_MARGIN_TOKENS):]
        text = "".join(self.llm.stream(
            prompt, [*history, instruction_message(instruction)], should_stop=interrupted,
            sampling=sampling, grammar=grammar, prefill_chunk=MEMORY_PREFILL_CHUNK))
        return None if interrupted() else text

    def _extract_facts(self, job: FactsJob, interrupted) -> bool:
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
        persona_id = self.state.persona.id
        applied = self.store.remember(persona_id, updates, source_row).result(timeout=30)
        self.state.listener(MemoryUpdated(persona_id, applied))
        return True

    def _summarize_call(self, job: SummaryJob, interrupted) -> bool:
        persona_id = self.state.persona.id
        history = job.history
        if history is None:
            call = next((c for c in self.store.calls(persona_id) if c.id == job.call_id), None)
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
            self.state.listener(MemoryUpdated(persona_id, []))
        return True


def describe_call(call: Call) -> str:
    when = call.started_at[:10]
    minutes = (call.duration_s() or 0) / 60
    length = f", {minutes:.0f} min" if minutes >= 1 else ""
    return f"({when}{length}) {call.summary}"
