"""The SQLite store: WAL, named migrations, the writer thread, clear errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desktop.memory.migrations import LATEST
from desktop.memory.store import Store, StoreError


def test_turns_are_committed_by_the_writer_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "hearth.db"
    store = Store(path).open()
    assert store.append_turn("p", "user", "hello").result(timeout=5) == 1
    assert store.append_turn("p", "assistant", "hi", "interrupted", "hi there").result(5) == 2
    store.close()
    again = Store(path).open()
    turns = again.turns("p")
    assert [(t.role, t.text, t.status) for t in turns] == [
        ("user", "hello", "complete"), ("assistant", "hi", "interrupted")]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    again.close()


def test_a_database_from_a_newer_hearth_opens_read_only_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "hearth.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    store = Store(path).open()
    assert "newer Hearth" in store.read_only_reason
    with pytest.raises(StoreError, match="newer Hearth"):
        store.append_turn("p", "user", "x").result(timeout=5)
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 99


def test_a_file_that_is_not_a_database_is_kept_and_explained(tmp_path: Path) -> None:
    path = tmp_path / "hearth.db"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 5000)
    with pytest.raises(StoreError, match="cannot be opened"):
        Store(path).open()
    assert path.read_bytes().startswith(b"\x89PNG")  # never replaced


def test_a_full_disk_is_reported_and_the_writer_keeps_working(tmp_path: Path) -> None:
    store = Store(tmp_path / "hearth.db").open()
    store.append_turn("p", "user", "first").result(timeout=5)
    store.submit(lambda c: c.execute("PRAGMA max_page_count = 1")).result(timeout=5)
    with pytest.raises(StoreError, match="disk is full"):
        store.append_turn("p", "user", "x" * 100_000).result(timeout=5)
    assert [t.text for t in store.turns("p")] == ["first"]
    store.close()
