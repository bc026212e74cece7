"""Named schema migrations, tracked by ``PRAGMA user_version``.

Each migration runs inside one ``BEGIN IMMEDIATE … COMMIT`` together with its
``user_version`` bump, after a backup-API copy of the file is taken (docs/reliability.md §4).
Never edit a migration that has shipped; add a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path


def _v1_turns(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            persona_id TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            text TEXT NOT NULL,
            full_text TEXT,
            status TEXT NOT NULL DEFAULT 'complete'
                CHECK (status IN ('complete', 'interrupted', 'refused')),
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )"""
    )
    conn.execute("CREATE INDEX turns_persona ON turns (persona_id, id)")


def _v2_memory(conn: sqlite3.Connection) -> None:
    now = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
    # A fact about the user, as one sentence. ``key`` names what it is about (``sister_name``):
    # a newer fact with the same key and other words supersedes the old one, which is kept as
    # history (``superseded_by``) and leaves the search index.
    conn.execute(
        f"""CREATE TABLE facts (
            id INTEGER PRIMARY KEY,
            persona_id TEXT NOT NULL,
            key TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            importance INTEGER NOT NULL DEFAULT 5 CHECK (importance BETWEEN 1 AND 10),
            confidence REAL NOT NULL DEFAULT 0.7 CHECK (confidence BETWEEN 0 AND 1),
            pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
            source TEXT NOT NULL DEFAULT 'conversation'
                CHECK (source IN ('conversation', 'user', 'lore')),
            source_turn_id INTEGER REFERENCES turns (id) ON DELETE SET NULL,
            mentions INTEGER NOT NULL DEFAULT 1,
            superseded_by INTEGER REFERENCES facts (id) ON DELETE SET NULL,
            created_at TEXT NOT NULL DEFAULT {now},
            updated_at TEXT NOT NULL DEFAULT {now},
            last_recalled_at TEXT
        )"""
    )
    conn.execute("CREATE INDEX facts_recent ON facts (persona_id, updated_at) "
                 "WHERE superseded_by IS NULL")
    conn.execute("CREATE INDEX facts_key ON facts (persona_id, key) WHERE superseded_by IS NULL")
    conn.execute("CREATE INDEX facts_pinned ON facts (persona_id, importance) "
                 "WHERE superseded_by IS NULL AND (pinned = 1 OR importance >= 8)")
    conn.execute("CREATE INDEX facts_superseded ON facts (superseded_by)")
    conn.execute("CREATE INDEX facts_source_turn ON facts (source_turn_id)")
    # Only live facts are indexed, by their search terms (desktop.memory.terms), rowid = fact id.
    conn.execute("CREATE VIRTUAL TABLE fact_search USING fts5 ("
                 "terms, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute(
        f"""CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            persona_id TEXT NOT NULL,
            started_at TEXT NOT NULL DEFAULT {now},
            ended_at TEXT,
            first_turn_id INTEGER,
            last_turn_id INTEGER,
            summary TEXT
        )"""
    )
    conn.execute("CREATE INDEX calls_persona ON calls (persona_id, id)")
    conn.execute(
        """CREATE TABLE turn_memories (
            turn_id INTEGER NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
            fact_id INTEGER NOT NULL REFERENCES facts (id) ON DELETE CASCADE,
            PRIMARY KEY (turn_id, fact_id)
        ) WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX turn_memories_fact ON turn_memories (fact_id)")


def _v3_chats(conn: sqlite3.Connection) -> None:
    # "New chat": the persona's context starts afresh after ``after_turn_id``; the turns
    # before it stay (searchable, exportable, remembered through the facts they gave).
    conn.execute(
        """CREATE TABLE chats (
            id INTEGER PRIMARY KEY,
            persona_id TEXT NOT NULL,
            after_turn_id INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )"""
    )
    conn.execute("CREATE INDEX chats_persona ON chats (persona_id, id)")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("001_turns", _v1_turns),
    ("002_memory", _v2_memory),
    ("003_chats", _v3_chats),
]
LATEST = len(MIGRATIONS)


class FutureSchema(Exception):
    def __init__(self, found: int) -> None:
        super().__init__(
            f"This memory file was written by a newer Hearth (schema {found}, this version "
            f"knows {LATEST}). It is opened read-only; update Hearth to keep talking."
        )
        self.found = found


def migrate(conn: sqlite3.Connection, path: Path | None) -> list[str]:
    """Bring the schema to LATEST; returns the names of the migrations applied."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > LATEST:
        raise FutureSchema(version)
    applied = []
    if version < LATEST and version > 0 and path is not None:
        backup = path.with_name(f"{path.name}.bak-v{version}")
        target = sqlite3.connect(backup)
        try:
            conn.backup(target)
        finally:
            target.close()
    for number in range(version, LATEST):
        name, step = MIGRATIONS[number]
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied
