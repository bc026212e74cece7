"""Opening the conversation file the one way Hearth does (docs/reliability.md §4), and telling
which SQLite errors are a full or busy disk (retried), which mean damage, and how to say each."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.errors import HearthError


class StoreError(HearthError):
    pass


def connect(path: Path | str, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False,
                               isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    if not read_only:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA secure_delete = ON")
    return conn


def transient(error: BaseException) -> bool:
    """A write that may succeed later without the user losing anything by waiting."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and (
        "full" in text or "disk i/o" in text or "locked" in text or "busy" in text)


def looks_damaged(error: sqlite3.DatabaseError) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("not a database", "malformed", "corrupt",
                                         "integrity check"))


def explain(error: BaseException) -> BaseException:
    text = str(error).lower()
    if isinstance(error, sqlite3.OperationalError) and ("full" in text or "disk" in text):
        return StoreError("The disk is full, so the conversation could not be saved yet.",
                          "Free some space; Hearth keeps what you said and saves it then.")
    if isinstance(error, sqlite3.OperationalError) and "readonly" in text.replace("-", ""):
        return StoreError("The conversation file is read-only.",
                          "Check the permissions of the Hearth data folder.")
    return error
