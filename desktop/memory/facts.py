"""Facts about the user: add, merge, supersede, edit, delete.

Every function here takes the writer's connection inside its open transaction (they run as
``Store.submit`` work), so each change and its search-index rows commit together or not at
all. Only live facts are in the search index; a superseded fact stays in ``facts`` as history.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from desktop.brain.prompt import sanitize
from desktop.memory.terms import fts_query, index_text, overlap, query_terms

MAX_FACT_CHARS = 300
# Two facts whose meaningful words overlap this much say the same thing: merge them.
SAME_FACT_OVERLAP = 0.75
# A fact this close to one whose key is related ("sister" / "sister_name") is about the same
# thing with another value: the newer one supersedes it, as with an identical key.
SAME_SUBJECT_OVERLAP = 0.4
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


@dataclass(frozen=True)
class Fact:
    id: int
    persona_id: str
    key: str
    text: str
    importance: int
    confidence: float
    pinned: bool
    source: str
    source_turn_id: int | None
    mentions: int
    superseded_by: int | None
    created_at: str
    updated_at: str
    last_recalled_at: str | None

    @staticmethod
    def from_row(row: sqlite3.Row) -> Fact:
        """A fact from a row holding at least its columns (extra columns are ignored)."""
        values = {name: row[name] for name in Fact.__dataclass_fields__}
        values["pinned"] = bool(values["pinned"])
        return Fact(**values)


FACT_COLUMNS = ", ".join(Fact.__dataclass_fields__)
# The same columns for a query that joins ``facts AS f`` with other tables.
FACT_COLUMNS_OF_F = ", ".join("f." + name for name in Fact.__dataclass_fields__)


@dataclass(frozen=True)
class FactUpdate:
    """A fact as proposed by extraction or typed by the user."""

    text: str
    key: str = ""
    importance: int = 5
    confidence: float = 0.7


@dataclass(frozen=True)
class Applied:
    action: str  # "added" | "merged" | "superseded" | "ignored"
    fact_id: int | None
    previous_ids: tuple[int, ...] = ()


def normalize_key(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")[:40]


def keys_related(a: str, b: str) -> bool:
    """Whether two keys name the same subject: equal, or one's words contain the other's
    (``sister`` and ``sister_name``)."""
    words_a, words_b = set(a.split("_")) - {""}, set(b.split("_")) - {""}
    return bool(words_a and words_b) and (words_a <= words_b or words_b <= words_a)


def clean_text(text: str) -> str:
    text = " ".join(sanitize(text).split())
    return text[:MAX_FACT_CHARS]


def get_fact(conn: sqlite3.Connection, fact_id: int) -> Fact | None:
    row = conn.execute(f"SELECT {FACT_COLUMNS} FROM facts WHERE id = ?", (fact_id,)).fetchone()
    return Fact.from_row(row) if row else None


def _live_with_key(conn: sqlite3.Connection, persona_id: str, key: str) -> list[Fact]:
    rows = conn.execute(
        f"SELECT {FACT_COLUMNS} FROM facts WHERE persona_id = ? AND key = ? "
        "AND superseded_by IS NULL", (persona_id, key)).fetchall()
    return [Fact.from_row(row) for row in rows]


def _live_like(conn: sqlite3.Connection, persona_id: str, text: str, limit: int = 8) -> list[Fact]:
    terms = query_terms(text)
    if not terms:
        return []
    rows = conn.execute(
        f"SELECT {FACT_COLUMNS_OF_F} "
        "FROM fact_search JOIN facts f ON f.id = fact_search.rowid "
        "WHERE fact_search MATCH ? AND f.persona_id = ? AND f.superseded_by IS NULL "
        "ORDER BY bm25(fact_search) LIMIT ?", (fts_query(terms), persona_id, limit)).fetchall()
    return [Fact.from_row(row) for row in rows]


def indexed_terms(key: str, text: str) -> str:
    """What the search index holds for a fact: the words of its key and of its text."""
    return index_text(key.replace("_", " "), text)


def _index(conn: sqlite3.Connection, fact_id: int, key: str, text: str) -> None:
    conn.execute("INSERT INTO fact_search (rowid, terms) VALUES (?, ?)",
                 (fact_id, indexed_terms(key, text)))


def _unindex(conn: sqlite3.Connection, fact_id: int) -> None:
    conn.execute("DELETE FROM fact_search WHERE rowid = ?", (fact_id,))


def insert_fact(conn: sqlite3.Connection, persona_id: str, update: FactUpdate,
                source: str = "conversation", source_turn_id: int | None = None,
                pinned: bool = False) -> int:
    key, text = normalize_key(update.key), clean_text(update.text)
    cursor = conn.execute(
        "INSERT INTO facts (persona_id, key, text, importance, confidence, pinned, source, "
        "source_turn_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (persona_id, key, text, _importance(update.importance),
         min(1.0, max(0.0, update.confidence)), int(pinned), source, source_turn_id))
    fact_id = int(cursor.lastrowid)
    _index(conn, fact_id, key, text)
    return fact_id


def _importance(value: int) -> int:
    return min(10, max(1, int(value)))


def apply_update(conn: sqlite3.Connection, persona_id: str, update: FactUpdate,
                 source_turn_id: int | None = None, source: str = "conversation") -> Applied:
    """Add a fact, merge it into the one that already says it, or supersede the fact it
    corrects (same key, other words)."""
    text, key = clean_text(update.text), normalize_key(update.key)
    if len(text) < 3:
        return Applied("ignored", None)
    same_key = _live_with_key(conn, persona_id, key) if key else []
    for existing in [*same_key, *_live_like(conn, persona_id, text)]:
        if overlap(existing.text, text) >= SAME_FACT_OVERLAP:
            conn.execute(
                f"UPDATE facts SET mentions = mentions + 1, confidence = min(1.0, confidence "
                f"+ 0.1), importance = max(importance, ?), updated_at = {NOW} WHERE id = ?",
                (_importance(update.importance), existing.id))
            return Applied("merged", existing.id)
    # The model does not always reuse the key it was shown: a related key on a fact that says
    # nearly the same thing is the same subject.
    same_key += [fact for fact in _live_like(conn, persona_id, text)
                 if fact.id not in {f.id for f in same_key} and fact.source != "lore"
                 and keys_related(fact.key, key)
                 and overlap(fact.text, text) >= SAME_SUBJECT_OVERLAP]
    fact_id = insert_fact(conn, persona_id, FactUpdate(text, key, update.importance,
                                                       update.confidence),
                          source, source_turn_id)
    if not same_key:
        return Applied("added", fact_id)
    for old in same_key:
        conn.execute("UPDATE facts SET superseded_by = ? WHERE id = ?", (fact_id, old.id))
        _unindex(conn, old.id)
        if old.pinned:  # the user pinned what this fact is about; keep it pinned
            conn.execute("UPDATE facts SET pinned = 1 WHERE id = ?", (fact_id,))
    return Applied("superseded", fact_id, tuple(old.id for old in same_key))


def edit_fact(conn: sqlite3.Connection, fact_id: int, *, text: str | None = None,
              importance: int | None = None, pinned: bool | None = None) -> Fact:
    """The user's own change: it is certain, and it keeps the fact's history."""
    fact = get_fact(conn, fact_id)
    if fact is None:
        raise KeyError(fact_id)
    if text is not None and clean_text(text) != fact.text:
        conn.execute(f"UPDATE facts SET text = ?, source = 'user', confidence = 1.0, "
                     f"updated_at = {NOW} WHERE id = ?", (clean_text(text), fact_id))
        if fact.superseded_by is None:
            _unindex(conn, fact_id)
            _index(conn, fact_id, fact.key, clean_text(text))
    if importance is not None:
        conn.execute("UPDATE facts SET importance = ? WHERE id = ?",
                     (_importance(importance), fact_id))
    if pinned is not None:
        conn.execute("UPDATE facts SET pinned = ? WHERE id = ?", (int(pinned), fact_id))
    return get_fact(conn, fact_id)


def delete_fact(conn: sqlite3.Connection, fact_id: int) -> list[int]:
    """Delete a fact together with the older versions it superseded. Returns the ids."""
    ids = [row[0] for row in conn.execute(
        "WITH RECURSIVE chain(id) AS (SELECT ? UNION SELECT f.id FROM facts f "
        "JOIN chain ON f.superseded_by = chain.id) SELECT id FROM chain", (fact_id,))]
    for old_id in ids:
        _unindex(conn, old_id)
    conn.executemany("DELETE FROM facts WHERE id = ?", [(i,) for i in reversed(ids)])
    return ids


def sync_lore(conn: sqlite3.Connection, persona_id: str,
              entries: list[tuple[tuple[str, ...], str]]) -> int:
    """Make the persona's background knowledge in the store match its bundle's lore. The
    keywords go in ``key`` (not normalized: they only feed the index). Returns how many
    entries changed."""
    wanted = {(" ".join(keys)[:200], clean_text(text)) for keys, text in entries}
    present = {(row["key"], row["text"]): row["id"] for row in conn.execute(
        "SELECT id, key, text FROM facts WHERE persona_id = ? AND source = 'lore'",
        (persona_id,))}
    for stale in set(present) - wanted:
        _unindex(conn, present[stale])
        conn.execute("DELETE FROM facts WHERE id = ?", (present[stale],))
    for key, text in sorted(wanted - set(present)):
        cursor = conn.execute(
            "INSERT INTO facts (persona_id, key, text, importance, confidence, source) "
            "VALUES (?, ?, ?, 5, 1.0, 'lore')", (persona_id, key, text))
        _index(conn, int(cursor.lastrowid), key, text)
    return len(set(present) ^ wanted)
