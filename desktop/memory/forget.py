"""Forgetting a persona so that no byte of it remains: its rows and search terms deleted in one
transaction, the file compacted, and the same done inside every copy a recovery or a restore
kept (docs/memory.md, "Forget"; docs/reliability.md §4)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from desktop.memory.connection import connect
from desktop.memory.recovery import remove_database_files


@dataclass(frozen=True)
class ForgetReport:
    persona_id: str
    turns: int
    facts: int
    calls: int
    backups_removed: tuple[str, ...]
    copies_scrubbed: tuple[str, ...] = ()
    copies_deleted: tuple[str, ...] = ()


def delete_persona_rows(conn: sqlite3.Connection, persona_id: str) -> tuple[int, int, int]:
    """Delete a persona's turns, memories, calls and their search terms. Tables a copy made by
    an older version lacks are skipped. Returns (turns, facts, calls) deleted."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}

    def delete(table: str, sql: str) -> int:
        return conn.execute(sql, (persona_id,)).rowcount if table in tables else 0

    if "facts" in tables:
        delete("fact_search", "DELETE FROM fact_search WHERE rowid IN "
                              "(SELECT id FROM facts WHERE persona_id = ?)")
        delete("facts", "UPDATE facts SET superseded_by = NULL WHERE persona_id = ?")
    facts = delete("facts", "DELETE FROM facts WHERE persona_id = ?")
    calls = delete("calls", "DELETE FROM calls WHERE persona_id = ?")
    delete("chats", "DELETE FROM chats WHERE persona_id = ?")
    turns = delete("turns", "DELETE FROM turns WHERE persona_id = ?")
    if "fact_search" in tables:
        # FTS5 keeps deleted terms in its segments until they are merged: merge them all.
        conn.execute("INSERT INTO fact_search (fact_search) VALUES ('optimize')")
    return turns, facts, calls


def compact(conn: sqlite3.Connection) -> None:
    # secure_delete zeroed the freed pages; VACUUM rewrites the file without them and the
    # TRUNCATE checkpoint empties the WAL, which still held the old pages.
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def scrub_copy(copy: Path, persona_id: str) -> bool:
    """Forget a persona inside a kept copy of the database; False when the copy is not a whole
    database (then nothing in it was changed)."""
    try:
        conn = connect(copy)
    except sqlite3.DatabaseError:
        return False
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return False
        conn.execute("BEGIN IMMEDIATE")
        try:
            delete_persona_rows(conn, persona_id)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        compact(conn)
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def remove_backups(database: Path) -> tuple[str, ...]:
    """Migration and daily backups predate the forgetting and hold what was forgotten, and so
    does a restore that was stopped halfway."""
    removed = []
    for backup in sorted([*database.parent.glob(database.name + ".bak-*"),
                          *database.parent.glob(database.name + ".restoring")]):
        backup.unlink(missing_ok=True)
        removed.append(backup.name)
    return tuple(removed)


def forget_in_kept_copies(copies: list[Path],
                          persona_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Copies moved aside by a recovery or a restore hold the persona too. A whole copy is
    scrubbed like the live file; a damaged one cannot be edited safely (what SQLite cannot read
    it cannot delete), so it is deleted: what could be read of it was already recovered into
    the live file. Returns (scrubbed, deleted) names."""
    scrubbed, deleted = [], []
    for copy in copies:
        if scrub_copy(copy, persona_id):
            scrubbed.append(copy.name)
        else:
            remove_database_files(copy)
            deleted.append(copy.name)
    return tuple(scrubbed), tuple(deleted)
