"""Memory on a real SQLite file: extraction answers, merge, supersede, recall, edit, forget."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.memory.extraction import FACTS_SCHEMA, extraction_instruction, parse_facts
from desktop.memory.recall import COMMON_TERM_DOCS, memory_note, recall
from desktop.memory.store import Store
from desktop.memory.terms import query_terms, search_terms


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "hearth.db").open()
    yield store
    store.close()


def remember(store: Store, answer: dict | str, persona: str = "wren", turn: int | None = None):
    """Feed a scripted extraction answer through the same parser the model's answer takes."""
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return store.remember(persona, parse_facts(text), turn).result(timeout=10)


def fact(key: str, text: str, importance: int = 5) -> dict:
    return {"key": key, "fact": text, "importance": importance}


def live_texts(store: Store, persona: str = "wren") -> list[str]:
    return sorted(f.text for f in store.facts(persona))


def test_extraction_answers_that_are_not_valid_are_dropped_without_error() -> None:
    assert parse_facts("not json") == []
    assert parse_facts('{"facts": "no"}') == []
    assert parse_facts('[1, 2]') == []
    updates = parse_facts(json.dumps({"facts": [
        fact("name", "The user's name is Sam.", 9), {"fact": 5}, {"key": "x"},
        {"key": "pet", "fact": "The user has a cat.", "importance": True}]}))
    assert [(u.key, u.text, u.importance) for u in updates] == [
        ("name", "The user's name is Sam.", 9), ("pet", "The user has a cat.", 5)]


def test_the_instruction_lists_known_facts_with_their_keys(store: Store) -> None:
    remember(store, {"facts": [fact("sister_name", "The user's sister is called Lin.")]})
    text = extraction_instruction(store.facts("wren"))
    assert "- sister_name: The user's sister is called Lin." in text
    assert FACTS_SCHEMA["properties"]["facts"]["maxItems"] == 3


def test_a_repeated_fact_merges_instead_of_duplicating(store: Store) -> None:
    first = remember(store, {"facts": [fact("pet", "The user has a cat named Miso.", 5)]})
    again = remember(store, {"facts": [fact("cat", "the user has a cat named Miso", 7)]})
    assert [a.action for a in first + again] == ["added", "merged"]
    (kept,) = store.facts("wren")
    assert kept.mentions == 2 and kept.importance == 7 and kept.confidence > 0.7


def test_a_correction_supersedes_and_keeps_the_old_fact_as_history(store: Store) -> None:
    turn = store.append_turn("wren", "user", "my sister is Lin").result(timeout=5)
    remember(store, {"facts": [fact("sister_name", "The user's sister is called Lin.")]},
             turn=turn)
    store.edit_fact(store.facts("wren")[0].id, pinned=True).result(timeout=5)
    (applied,) = remember(store, {"facts": [fact("sister_name",
                                                 "The user's sister is called Mei.")]})
    assert applied.action == "superseded" and len(applied.previous_ids) == 1
    assert live_texts(store) == ["The user's sister is called Mei."]
    history = [f for f in store.facts("wren", include_history=True) if f.superseded_by]
    assert [(f.text, f.superseded_by) for f in history] == [
        ("The user's sister is called Lin.", applied.fact_id)]
    assert store.fact(applied.fact_id).pinned  # the pin follows the correction
    assert history[0].source_turn_id == turn
    # The old name is out of the search index, so it can never be recalled again.
    assert [r.fact.text for r in store.recall("wren", "Lin").facts
            if "Lin" in r.fact.text] == []
    assert store.facts("wren", search="Lin") == []
    assert [f.text for f in store.facts("wren", search="Lin", include_history=True)] == [
        "The user's sister is called Lin."]


def test_recall_finds_what_the_message_is_about_and_what_matters_most(store: Store) -> None:
    remember(store, {"facts": [
        fact("user_name", "The user's name is Sam.", 9),
        fact("job_interview", "The user has a job interview at a bakery on Friday.", 7),
        fact("favorite_color", "The user's favorite color is green.", 2),
    ]})
    found = store.recall("wren", "I'm so nervous about the interview")
    texts = [r.fact.text for r in found.facts]
    assert texts[0] == "The user has a job interview at a bakery on Friday."
    assert "The user's name is Sam." in texts  # core fact, recalled without a match
    assert "The user's favorite color is green." not in texts  # trivia, unrelated
    assert "interview" in found.searched_terms


def test_recall_prefers_fresh_memories_among_equals(store: Store) -> None:
    remember(store, {"facts": [fact("trip_rome", "The user went hiking near Rome.", 5)]})
    remember(store, {"facts": [fact("trip_oslo", "The user went hiking near Oslo.", 5)]})
    store.submit(lambda c: c.execute(
        "UPDATE facts SET updated_at = '2020-01-01T00:00:00.000Z' WHERE key = 'trip_rome'")
    ).result(timeout=5)
    texts = [r.fact.text for r in store.recall("wren", "hiking").facts]
    assert texts.index("The user went hiking near Oslo.") < texts.index(
        "The user went hiking near Rome.")


def test_recall_skips_words_that_are_in_too_many_memories(store: Store) -> None:
    store.submit(lambda c: [c.execute(
        "INSERT INTO fact_search (rowid, terms) VALUES (?, 'coffee')", (10_000 + i,))
        for i in range(COMMON_TERM_DOCS + 1)]).result(timeout=30)
    remember(store, {"facts": [fact("drink", "The user drinks coffee with cardamom.", 5)]})
    found = store.recall("wren", "coffee with cardamom")
    assert found.dropped_terms == ["coffee"] and found.searched_terms == ["cardamom"]
    assert found.facts[0].fact.text == "The user drinks coffee with cardamom."
    # Only common words: no full-text search at all, and no error.
    assert store.recall("wren", "the and of").searched_terms == []


def test_chinese_memories_are_found_by_chinese_words(store: Store) -> None:
    remember(store, {"facts": [fact("sister_name", "用户的妹妹叫小梅。", 6)]})
    assert "妹妹" in search_terms("我的妹妹")
    found = store.recall("wren", "你还记得我妹妹吗")
    assert found.facts and found.facts[0].fact.text == "用户的妹妹叫小梅。"


def test_recall_is_per_persona(store: Store) -> None:
    remember(store, {"facts": [fact("pet", "The user has a parrot.", 9)]}, persona="other")
    assert store.recall("wren", "parrot").facts == []


def test_the_note_stays_within_its_token_budget_and_puts_the_best_first(store: Store) -> None:
    remember(store, {"facts": [fact(f"k{i}", f"The user visited town number {i} by train.", 5)
                               for i in range(3)]})
    for i in range(3, 60):
        remember(store, {"facts": [fact(f"k{i}", f"The user visited town number {i} by train.",
                                        5)]})
    found = recall(store.reader(), "wren", "train town", limit=60)
    count = lambda text: len(text.split())  # noqa: E731 - a stand-in tokenizer for the budget
    note, ids = memory_note(found.facts, count, budget_tokens=60, last_call="They talked.")
    assert count(note) <= 60 + len(ids)  # one newline per line
    assert 0 < len(ids) < 60
    assert ids == [r.fact.id for r in found.facts][: len(ids)]
    assert "Last time: They talked." in note


def test_the_user_edits_pins_adds_and_deletes_memories(store: Store) -> None:
    remember(store, {"facts": [fact("sister_name", "The user's sister is called Lin.")]})
    remember(store, {"facts": [fact("sister_name", "The user's sister is called Mei.")]})
    (current,) = store.facts("wren")
    edited = store.edit_fact(current.id, text="The user's sister Mei lives in Taipei.",
                             importance=8, pinned=True).result(timeout=5)
    assert (edited.source, edited.confidence, edited.pinned, edited.importance) == (
        "user", 1.0, True, 8)
    assert [f.text for f in store.facts("wren", search="Taipei")] == [edited.text]
    added = store.add_fact("wren", "The user is allergic to peanuts.", pinned=True)
    assert store.fact(added.result(timeout=5)).source == "user"
    assert store.facts("wren")[0].pinned
    deleted = store.delete_fact(current.id).result(timeout=5)
    assert len(deleted) == 2  # the fact and the older version it superseded
    assert live_texts(store) == ["The user is allergic to peanuts."]
    assert len(store.facts("wren", include_history=True)) == 1


def test_replies_remember_which_memories_they_were_given(store: Store) -> None:
    remember(store, {"facts": [fact("pet", "The user has a cat named Miso.", 6)]})
    (miso,) = store.facts("wren")
    turn = store.append_turn("wren", "assistant", "How is Miso?", fact_ids=[miso.id, 999])
    links = store.memories_of_turns([turn.result(timeout=5)])
    assert [f.text for f in links[turn.result()]] == ["The user has a cat named Miso."]


def test_calls_have_a_duration_and_a_summary(store: Store) -> None:
    call = store.start_call("wren").result(timeout=5)
    store.append_turn("wren", "user", "hello").result(timeout=5)
    store.end_call(call).result(timeout=5)
    store.set_call_summary(call, "  They said hello.  ").result(timeout=5)
    (saved,) = store.calls("wren")
    assert saved.summary == "They said hello." and saved.duration_s() >= 0
    assert [t.text for t in store.call_turns(saved)] == ["hello"]
    assert store.calls("wren", search="hello") == [saved]
    assert store.calls("wren", search="goodbye") == []


def test_export_holds_everything_about_a_persona_and_nothing_else(store: Store) -> None:
    store.append_turn("wren", "user", "I love kites").result(timeout=5)
    store.append_turn("other", "user", "secret of another persona").result(timeout=5)
    remember(store, {"facts": [fact("hobby", "The user loves flying kites.", 6)]})
    data = store.export_persona("wren")
    dumped = json.dumps(data)
    assert "kites" in dumped and "another persona" not in dumped
    assert data["format"] == "hearth-memory-export" and len(data["facts"]) == 1


def test_recency_uses_the_last_recall_time(store: Store) -> None:
    remember(store, {"facts": [fact("pet", "The user has a cat named Miso.", 6)]})
    (miso,) = store.facts("wren")
    store.mark_recalled([miso.id]).result(timeout=5)
    assert store.fact(miso.id).last_recalled_at is not None
    later = datetime.now(UTC) + timedelta(days=30)
    fresh = recall(store.reader(), "wren", "Miso").facts[0].score
    stale = recall(store.reader(), "wren", "Miso", now=later).facts[0].score
    assert fresh > stale


def test_query_terms_drop_function_words_and_stem_plurals() -> None:
    assert query_terms("What are my sisters' names?") == ["sister", "name"]


def test_lore_is_recalled_when_touched_but_never_shown_as_a_memory_of_the_user(
    store: Store, tmp_path: Path
) -> None:
    from desktop.paths import DataDirs
    from desktop.personas.library import PersonaLibrary

    wren = PersonaLibrary(DataDirs(tmp_path)).get("org.hearth.wren")
    entries = [(entry.keys, entry.text) for entry in wren.lore]
    assert store.sync_lore(wren.id, entries).result(timeout=5) == len(entries)
    assert store.sync_lore(wren.id, entries).result(timeout=5) == 0  # already in sync
    remember(store, {"facts": [fact("user_name", "The user's name is Sam.", 9)]},
             persona=wren.id)
    found = store.recall(wren.id, "Do you still climb the lighthouse?").facts
    lore = [r.fact for r in found if r.fact.source == "lore"]
    assert len(lore) == 1 and "Skerry Point" in lore[0].text
    note, _ids = memory_note(found, lambda t: len(t.split()), 500)
    assert "Background you know" in note and "The user's name is Sam." in note
    assert note.index("The user's name") < note.index("Skerry Point")
    assert [f.text for f in store.facts(wren.id)] == ["The user's name is Sam."]
    assert store.facts(wren.id, search="lighthouse") == []
    # Unrelated talk does not drag lore in: it is recalled only when touched.
    assert all(r.fact.source != "lore" for r in store.recall(wren.id, "my bicycle").facts)
    # An updated bundle replaces its lore.
    assert store.sync_lore(wren.id, entries[:1]).result(timeout=5) == len(entries) - 1
