"""Named schema migrations, tracked by ``PRAGMA user_version``.

Each migration runs inside one ``BEGIN IMMEDIATE … COMMIT`` together with its
``user_version`` bump, after a backup-API copy of the file is taken (RELIABILITY.md §4).
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


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("001_turns", _v1_turns),
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
