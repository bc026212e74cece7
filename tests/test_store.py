"""The SQLite store: WAL, named migrations, the writer thread, clear errors."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from desktop.memory.connection import StoreError
from desktop.memory.migrations import LATEST
from desktop.memory.store import Store


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


def test_a_full_disk_keeps_the_turn_pending_says_so_and_saves_it_when_space_returns(
    tmp_path: Path,
) -> None:
    problems: list[str | None] = []
    store = Store(tmp_path / "hearth.db", on_problem=problems.append).open()
    store.append_turn("p", "user", "first").result(timeout=5)
    store.submit(lambda c: c.execute("PRAGMA max_page_count = 1")).result(timeout=5)
    pending = store.append_turn("p", "user", "x" * 100_000)
    deadline = time.monotonic() + 10
    while not problems and time.monotonic() < deadline:
        time.sleep(0.05)
    assert problems and "disk is full" in problems[0]
    assert not pending.done()  # kept in the queue, not dropped
    # Space comes back (SQLite serializes use of the connection across threads).
    store._writer.execute("PRAGMA max_page_count = 1073741823")
    assert pending.result(timeout=15) == 2
    assert problems[-1] is None  # the banner clears
    assert [t.text[:5] for t in store.turns("p")] == ["first", "xxxxx"]
    store.close()


def test_closing_the_store_while_another_thread_reads_is_safe(tmp_path: Path) -> None:
    """A window closing while a worker still loads a conversation: the worker's connection
    must not be closed under it (that crashes SQLite), and the worker may finish its read."""
    import threading

    store = Store(tmp_path / "hearth.db").open()
    for index in range(200):
        store.append_turn("p", "user", f"turn {index}")
    store.append_turn("p", "user", "last").result(timeout=10)
    reads: list[int] = []
    started = threading.Event()

    def keep_reading() -> None:
        for _ in range(200):
            reads.append(len(store.turns("p", limit=500)))
            started.set()

    worker = threading.Thread(target=keep_reading)
    worker.start()
    started.wait(10)
    store.close()
    worker.join(30)
    assert reads and set(reads) == {201}


def test_a_new_chat_starts_the_context_afresh_and_keeps_the_old_turns() -> None:
    store = Store(":memory:").open()
    try:
        store.append_turn("p", "user", "before").result(timeout=5)
        store.append_turn("q", "user", "another persona").result(timeout=5)
        assert store.chat_start("p") == 0
        store.new_chat("p").result(timeout=5)
        store.append_turn("p", "user", "after").result(timeout=5)
        assert [t.text for t in store.turns("p", this_chat=True)] == ["after"]
        assert [t.text for t in store.turns("p")] == ["before", "after"]  # kept
        assert [t.text for t in store.turns("q", this_chat=True)] == ["another persona"]
    finally:
        store.close()
