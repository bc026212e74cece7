"""Memory inside a conversation, on the real fixture GGUF and a real SQLite file: recalled
facts reach the prompt and are linked to the reply, facts are extracted with a JSON grammar
after the exchange, calls are summarized, and the next conversation starts from them."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from desktop.brain.llm import LocalLLM, Sampling, ThreadShare
from desktop.call.events import MemoriesUsed, MemoryUpdated, Notice, ReplyFinished
from desktop.call.session import Conversation
from desktop.memory.store import Store
from desktop.paths import DataDirs
from desktop.personas.library import PersonaLibrary
from tests.helpers.events import wait_until
from tests.test_first_call import Events


@pytest.fixture(scope="module")
def llm(fixture_models: Path) -> LocalLLM:
    return LocalLLM.load(fixture_models / "llm" / "hearth-tiny.gguf", ThreadShare(1, 2),
                         n_ctx=2048)


@pytest.fixture
def persona(tmp_path: Path):
    return PersonaLibrary(DataDirs(tmp_path)).get("org.hearth.wren")


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "hearth.db").open()
    yield store
    store.close()


def talk(store: Store, llm: LocalLLM, persona, events: Events) -> Conversation:
    return Conversation(persona, store, llm, events,
                        sampling=Sampling(seed=3, max_tokens=12)).start()




def test_recalled_facts_reach_the_prompt_once_and_are_linked_to_the_reply(
    store: Store, llm: LocalLLM, persona
) -> None:
    dog = store.add_fact(persona.id, "The user's dog is called Biscuit.", "dog_name",
                         importance=6).result(timeout=5)
    store.add_fact(persona.id, "The user once tried juggling.", "juggling", importance=2
                   ).result(timeout=5)
    events = Events()
    conversation = talk(store, llm, persona, events)
    try:
        first = conversation.say("Do you remember my dog?")
        used = events.wait_for(MemoriesUsed, turn_id=first)
        assert [f.text for f in used.facts] == ["The user's dog is called Biscuit."]
        events.wait_for(ReplyFinished, turn_id=first)
        roles = [m.role for m in conversation.history]
        assert roles[-3:] == ["memory", "user", "assistant"]
        note = conversation.history[-3].text
        assert "Biscuit" in note and "juggling" not in note
        assert llm.count_tokens(note) <= conversation.memory.budget_tokens
        second = conversation.say("What breed is my dog?")
        events.wait_for(ReplyFinished, turn_id=second)
        # Already in the context: not repeated, but still counted as used by the reply.
        assert [m.role for m in conversation.history].count("memory") == 1
        wait_until(lambda: len([e for e in events.of(MemoriesUsed)]) == 2)
        replies = [t.id for t in store.turns(persona.id) if t.role == "assistant"]
        wait_until(lambda: len(store.memories_of_turns(replies)) == 2, 10)
        links = store.memories_of_turns(replies)
        assert {f.id for facts in links.values() for f in facts} == {dog}
        assert store.fact(dog).last_recalled_at is not None
    finally:
        conversation.close()


def test_the_note_keeps_to_its_token_budget_with_many_memories(
    store: Store, llm: LocalLLM, persona
) -> None:
    for number in range(40):
        store.add_fact(persona.id, f"The user owns a red kite number {number} from the coast.",
                       importance=9).result(timeout=5)
    events = Events()
    conversation = talk(store, llm, persona, events)
    conversation.memory.budget_tokens = 400  # the fixture spends about a token per letter
    try:
        turn = conversation.say("Shall we fly a kite?")
        events.wait_for(ReplyFinished, turn_id=turn)
        (note,) = [m.text for m in conversation.history if m.role == "memory"]
        assert 0 < llm.count_tokens(note) <= 400
        assert 1 <= note.count("- The user owns a red kite") < 40
    finally:
        conversation.close()


def test_facts_are_extracted_with_a_json_grammar_after_the_exchange(
    store: Store, llm: LocalLLM, persona, caplog: pytest.LogCaptureFixture
) -> None:
    events = Events()
    conversation = talk(store, llm, persona, events)
    caplog.set_level(logging.INFO, logger="desktop.memory.extraction")
    try:
        turn = conversation.say("My sister Mei moved to Taipei last week.")
        events.wait_for(ReplyFinished, turn_id=turn)
        wait_until(lambda: not conversation.memory.jobs, 120)
        # The random-weight model writes nonsense, but the grammar makes it valid JSON of the
        # schema, so the parser accepted the answer and nothing failed.
        assert "not JSON" not in caplog.text
        assert not [n for n in events.of(Notice) if n.level == "error"]
        user_row = next(t.id for t in store.turns(persona.id) if t.role == "user")
        for fact in store.facts(persona.id):
            assert fact.source == "conversation" and fact.source_turn_id == user_row
            assert 3 <= len(fact.text) <= 120
        if store.facts(persona.id):
            assert events.of(MemoryUpdated)
    finally:
        conversation.close()


def test_typing_interrupts_memory_work_which_resumes_later(
    store: Store, llm: LocalLLM, persona
) -> None:
    events = Events()
    conversation = talk(store, llm, persona, events)
    try:
        turn = conversation.say("I start a new job on Monday.")
        events.wait_for(ReplyFinished, turn_id=turn)
        for _ in range(40):  # the user keeps typing: memory work must yield each time
            conversation.typing("And also")
            time.sleep(0.01)
        assert conversation.memory.jobs  # still pending while the user is busy
        wait_until(lambda: not conversation.memory.jobs, 120)
    finally:
        conversation.close()


def test_a_call_is_logged_summarized_and_recalled_next_time(
    store: Store, llm: LocalLLM, persona
) -> None:
    events = Events()
    conversation = talk(store, llm, persona, events)
    try:
        conversation.set_spoken(True)  # a call (replies stay text: no speaker in this test)
        turn = conversation.say("Today I finally finished my thesis.")
        events.wait_for(ReplyFinished, turn_id=turn)
        conversation.set_spoken(False)  # hang up
        wait_until(lambda: bool(store.calls(persona.id)[0].summary), 120)
    finally:
        conversation.close()
    (call,) = store.calls(persona.id)
    assert call.ended_at and call.duration_s() >= 0 and len(call.summary) <= 400
    assert store.call_turns(call)[0].text == "Today I finally finished my thesis."
    events = Events()
    again = talk(store, llm, persona, events)
    again.memory.budget_tokens = 4000  # the fixture's tokenizer spends a token per letter
    try:
        turn = again.say("Hello again!")
        events.wait_for(ReplyFinished, turn_id=turn)
        notes = [m.text for m in again.history if m.role == "memory"]
        assert notes and "Last time: (" in notes[0] and call.summary in notes[0]
    finally:
        again.close()
