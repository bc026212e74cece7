"""The store: one SQLite file (WAL, synchronous=FULL) behind one writer thread.

Writes are queued as intents and committed by the writer thread; every intent returns a
future that resolves once its commit has returned, and only then may the UI show the change
as saved. Reads use their own read-only connections (one per reading thread). The UI thread
never touches SQLite.

When the disk is full or the file cannot be written for a moment, the writer keeps the
intent at the head of its queue, says so through ``on_problem``, and retries: nothing the
user sent is dropped while the app runs (docs/reliability.md §4, T28).
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from desktop.memory.connection import StoreError, connect, explain, looks_damaged, transient
from desktop.memory.export import export_persona
from desktop.memory.facts import (
    FACT_COLUMNS,
    FACT_COLUMNS_OF_F,
    Applied,
    Fact,
    FactUpdate,
    apply_update,
    delete_fact,
    edit_fact,
    get_fact,
    insert_fact,
    sync_lore,
)
from desktop.memory.forget import (
    ForgetReport,
    compact,
    delete_persona_rows,
    forget_in_kept_copies,
    remove_backups,
)
from desktop.memory.migrations import FutureSchema, migrate
from desktop.memory.recall import RecallResult, recall
from desktop.memory.records import Call, Turn
from desktop.memory.recovery import (
    InstanceLock,
    Recovery,
    dismiss_notices,
    kept_copies,
    pending_notices,
    recover,
)
from desktop.memory.terms import fts_query, query_terms

log = logging.getLogger(__name__)

APPLICATION_ID = 0x48525448  # "HRTH"
BACKUP_EVERY_S = 24 * 3600
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 5.0)


class Store:
    def __init__(self, path: Path | str,
                 on_problem: Callable[[str | None], None] | None = None) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self._target = str(path)
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._writer: sqlite3.Connection | None = None
        self._readers = threading.local()
        self._closing = threading.Event()
        self._lock: InstanceLock | None = None
        self.on_problem = on_problem
        self.read_only_reason: str | None = None
        self.recovery: Recovery | None = None
        self.problem: str | None = None

    # -- lifecycle ---------------------------------------------------------------
    def open(self) -> Store:
        if self.path is not None:
            self._lock = InstanceLock(self.path).acquire()
        try:
            self._open_writer(full_check=self._lock is not None and self._lock.was_unclean)
        except _Damaged as damage:
            # Keep the original beside it, rebuild what can be read into a new file, and say
            # so; the app keeps working on the new file (docs/reliability.md §4, T29).
            self.recovery = recover(self.path, damage.reason, self._fresh_database)
            self._open_writer(full_check=False)
        except BaseException:
            self._release_lock()
            raise
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()
        if self._writer is not None and self.path is not None and _older_than(
                self.daily_backup_path(), BACKUP_EVERY_S):
            self.submit(lambda conn: self._backup(), transaction=False)
        return self

    # -- backups ---------------------------------------------------------------------------
    def daily_backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bak-daily")

    def _backup(self) -> Path:
        """A consistent copy through the backup API (never a file copy, which could miss the
        WAL), taken on the writer thread so it cannot interleave with a forget."""
        target = self.daily_backup_path()
        partial = target.with_name(target.name + ".part")
        partial.unlink(missing_ok=True)
        copy = sqlite3.connect(partial)
        try:
            self._writer.backup(copy)
        finally:
            copy.close()
        os.replace(partial, target)
        return target

    def _fresh_database(self, path: Path) -> sqlite3.Connection:
        conn = connect(path)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        migrate(conn, None)
        return conn

    def _open_writer(self, full_check: bool) -> None:
        try:
            self._writer = connect(self._target)
            check = self._writer.execute(
                "PRAGMA integrity_check" if full_check else "PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise _Damaged(f"the integrity check failed: {check}")
            if self.path is not None and self.path.stat().st_size > 0:
                found = self._writer.execute("PRAGMA application_id").fetchone()[0]
                if found not in (0, APPLICATION_ID):
                    raise StoreError(
                        f"{self._target} belongs to another program, not to Hearth.",
                        "Hearth left it untouched. Set HEARTH_HOME to another folder.")
            self._writer.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self._migrate()
        except FutureSchema as error:
            self._writer.close()
            self._writer = None
            self.read_only_reason = str(error)
        except sqlite3.DatabaseError as error:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            if self.path is None or not looks_damaged(error):
                raise StoreError(
                    f"The conversation file {self._target} cannot be opened ({error}).",
                    "Hearth left the file as it is. Check the data folder's permissions.",
                ) from error
            raise _Damaged(str(error)) from error
        except BaseException:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            raise

    def _migrate(self) -> None:
        try:
            migrate(self._writer, self.path)
        except sqlite3.DatabaseError as error:
            if looks_damaged(error):
                raise
            raise StoreError(
                f"Hearth could not upgrade the conversation file to this version ({error}).",
                "The file was left exactly as it was, and a backup copy is beside it; the "
                "previous version of Hearth can still open it.") from error

    def close(self) -> None:
        self._closing.set()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=15)
            self._thread = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        # Only this thread's reader is closed here: closing a connection another thread is
        # using crashes SQLite. Other threads' readers close when their thread ends (the
        # thread-local that holds them is released with it).
        reader = getattr(self._readers, "conn", None)
        if reader is not None:
            reader.close()
            self._readers.conn = None
        self._release_lock()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- the writer thread ----------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            work, future, transaction = item
            if self._writer is None:
                future.set_exception(StoreError(self.read_only_reason or "Store is closed.",
                                                "Restart Hearth."))
                continue
            attempt = 0
            while True:
                try:
                    future.set_result(self._execute(work, transaction))
                    break
                except BaseException as error:
                    if not transient(error) or self._closing.is_set():
                        future.set_exception(explain(error))
                        break
                    self._report(str(explain(error)))
                    time.sleep(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
                    attempt += 1
            if attempt and future.exception() is None:
                self._report(None)

    def _execute(self, work: Callable[[sqlite3.Connection], object], transaction: bool):
        if not transaction:
            return work(self._writer)
        self._writer.execute("BEGIN IMMEDIATE")
        try:
            result = work(self._writer)
            self._writer.execute("COMMIT")
            return result
        except BaseException:
            if self._writer.in_transaction:
                self._writer.execute("ROLLBACK")
            raise

    def _report(self, problem: str | None) -> None:
        if problem == self.problem:
            return
        self.problem = problem
        if problem:
            log.warning("Store: %s", problem)
        if self.on_problem is not None:
            self.on_problem(problem)

    def submit(self, work: Callable[[sqlite3.Connection], object],
               transaction: bool = True) -> Future:
        future: Future = Future()
        self._queue.put((work, future, transaction))
        return future

    # -- turns -----------------------------------------------------------------------------
    def append_turn(self, persona_id: str, role: str, text: str, status: str = "complete",
                    full_text: str | None = None, fact_ids: list[int] | None = None) -> Future:
        """Save a turn; ``fact_ids`` are the memories the reply was given."""
        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO turns (persona_id, role, text, full_text, status) "
                "VALUES (?, ?, ?, ?, ?)",
                (persona_id, role, text, full_text, status),
            )
            turn_id = int(cursor.lastrowid)
            conn.executemany(
                "INSERT OR IGNORE INTO turn_memories (turn_id, fact_id) "
                "SELECT ?, id FROM facts WHERE id = ?",
                [(turn_id, fact_id) for fact_id in fact_ids or ()])
            return turn_id

        return self.submit(work)

    def turns(self, persona_id: str, limit: int = 200, this_chat: bool = False) -> list[Turn]:
        """The newest ``limit`` turns, oldest first; ``this_chat``: only since "New chat"."""
        after = self.chat_start(persona_id) if this_chat else 0
        rows = self.reader().execute(
            "SELECT * FROM (SELECT id, persona_id, role, text, status, created_at FROM turns "
            "WHERE persona_id = ? AND id > ? ORDER BY id DESC LIMIT ?) ORDER BY id",
            (persona_id, after, limit),
        ).fetchall()
        return [Turn(**dict(row)) for row in rows]

    def new_chat(self, persona_id: str) -> Future:
        """Start a new chat with the persona: its context begins after the turns so far."""
        return self.submit(lambda conn: int(conn.execute(
            "INSERT INTO chats (persona_id, after_turn_id) SELECT ?, coalesce(max(id), 0) "
            "FROM turns WHERE persona_id = ?", (persona_id, persona_id)).lastrowid))

    def chat_start(self, persona_id: str) -> int:
        """The last turn before the current chat (0: the persona's first chat)."""
        row = self.reader().execute(
            "SELECT after_turn_id FROM chats WHERE persona_id = ? ORDER BY id DESC LIMIT 1",
            (persona_id,)).fetchone()
        return int(row[0]) if row else 0

    def memories_of_turns(self, turn_ids: list[int]) -> dict[int, list[Fact]]:
        """For each saved reply, the facts it was given (that still exist)."""
        if not turn_ids:
            return {}
        marks = ",".join("?" * len(turn_ids))
        rows = self.reader().execute(
            f"SELECT tm.turn_id, {FACT_COLUMNS_OF_F} FROM turn_memories tm JOIN facts f "
            f"ON f.id = tm.fact_id WHERE tm.turn_id IN ({marks}) ORDER BY f.id",
            turn_ids).fetchall()
        found: dict[int, list[Fact]] = {}
        for row in rows:
            found.setdefault(row["turn_id"], []).append(Fact.from_row(row))
        return found

    # -- facts -----------------------------------------------------------------------------
    def remember(self, persona_id: str, updates: list[FactUpdate],
                 source_turn_id: int | None = None) -> Future:
        """Apply extracted facts (merge, supersede or add); resolves to list[Applied]."""
        def work(conn: sqlite3.Connection) -> list[Applied]:
            return [apply_update(conn, persona_id, update, source_turn_id)
                    for update in updates]

        return self.submit(work)

    def add_fact(self, persona_id: str, text: str, key: str = "", importance: int = 5,
                 pinned: bool = False) -> Future:
        """A fact the user typed in: certain, and theirs."""
        update = FactUpdate(text, key, importance, confidence=1.0)
        return self.submit(lambda conn: insert_fact(conn, persona_id, update, "user",
                                                    pinned=pinned))

    def edit_fact(self, fact_id: int, *, text: str | None = None, importance: int | None = None,
                  pinned: bool | None = None) -> Future:
        return self.submit(lambda conn: edit_fact(conn, fact_id, text=text,
                                                  importance=importance, pinned=pinned))

    def edit_turn(self, turn_id: int, text: str) -> Future:
        """The user rewrote one message: what it says from now on (and what the persona's
        context reads), kept as said, without the words it replaced."""
        return self.submit(lambda conn: conn.execute(
            "UPDATE turns SET text = ?, full_text = ? WHERE id = ?",
            (text, text, turn_id)) and None)

    def delete_turn(self, turn_id: int) -> Future:
        """Delete one message (secure_delete zeroes its page; facts it gave keep their text
        and lose only the link to it)."""
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE facts SET source_turn_id = NULL WHERE source_turn_id = ?",
                         (turn_id,))
            conn.execute("DELETE FROM turns WHERE id = ?", (turn_id,))

        return self.submit(work)

    def delete_fact(self, fact_id: int) -> Future:
        return self.submit(lambda conn: delete_fact(conn, fact_id))

    def sync_lore(self, persona_id: str, entries: list[tuple[tuple[str, ...], str]]) -> Future:
        return self.submit(lambda conn: sync_lore(conn, persona_id, entries))

    def mark_recalled(self, fact_ids: list[int]) -> Future:
        return self.submit(lambda conn: conn.executemany(
            "UPDATE facts SET last_recalled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE id = ?", [(i,) for i in fact_ids]) and None)

    def fact(self, fact_id: int) -> Fact | None:
        return get_fact(self.reader(), fact_id)

    def facts(self, persona_id: str, search: str = "", include_history: bool = False,
              limit: int = 2000) -> list[Fact]:
        """Facts about the user for the memory view (not the persona's lore): pinned first,
        then newest. ``search`` uses the index; history (superseded facts) is matched by
        words, as it is no longer indexed."""
        conn = self.reader()
        live = ("" if include_history else "AND superseded_by IS NULL") + " AND source != 'lore'"
        order = "ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT ?"
        terms = query_terms(search) if search.strip() else []
        if search.strip() and not terms:
            return []
        if not terms:
            rows = conn.execute(f"SELECT {FACT_COLUMNS} FROM facts WHERE persona_id = ? {live} "
                                f"{order}", (persona_id, limit)).fetchall()
            return [Fact.from_row(row) for row in rows]
        rows = conn.execute(
            f"SELECT {FACT_COLUMNS} FROM facts WHERE persona_id = ? AND source != 'lore' AND id "
            f"IN (SELECT rowid FROM fact_search WHERE fact_search MATCH ?) {order}",
            (persona_id, " AND ".join(fts_query([t]) for t in terms), limit)).fetchall()
        found = [Fact.from_row(row) for row in rows]
        if include_history:
            needle = search.strip().lower()
            found += [fact for fact in self.facts(persona_id, include_history=True, limit=limit)
                      if fact.superseded_by is not None and needle in fact.text.lower()]
        return found

    def persona_ids(self) -> list[str]:
        """Every persona the file keeps anything of (installed or not any more)."""
        return [row[0] for row in self.reader().execute(
            "SELECT persona_id FROM turns UNION SELECT persona_id FROM facts "
            "UNION SELECT persona_id FROM calls ORDER BY 1")]

    def recall(self, persona_id: str, query: str) -> RecallResult:
        return recall(self.reader(), persona_id, query)

    # -- calls ------------------------------------------------------------------------------
    def start_call(self, persona_id: str) -> Future:
        return self.submit(lambda conn: int(conn.execute(
            "INSERT INTO calls (persona_id, first_turn_id) SELECT ?, max(id) FROM turns "
            "WHERE persona_id = ?", (persona_id, persona_id)).lastrowid))

    def end_call(self, call_id: int) -> Future:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE calls SET ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
                "last_turn_id = (SELECT max(id) FROM turns WHERE persona_id = calls.persona_id)"
                " WHERE id = ? AND ended_at IS NULL", (call_id,))

        return self.submit(work)

    def set_call_summary(self, call_id: int, summary: str) -> Future:
        return self.submit(lambda conn: conn.execute(
            "UPDATE calls SET summary = ? WHERE id = ?", (summary.strip(), call_id)) and None)

    def calls(self, persona_id: str, search: str = "") -> list[Call]:
        rows = self.reader().execute(
            "SELECT id, persona_id, started_at, ended_at, first_turn_id, last_turn_id, summary "
            "FROM calls WHERE persona_id = ? AND (? = '' OR summary LIKE '%' || ? || '%') "
            "ORDER BY id DESC", (persona_id, search, search)).fetchall()
        return [Call(**dict(row)) for row in rows]

    def call_turns(self, call: Call) -> list[Turn]:
        rows = self.reader().execute(
            "SELECT id, persona_id, role, text, status, created_at FROM turns "
            "WHERE persona_id = ? AND id > coalesce(?, 0) AND id <= coalesce(?, id) "
            "ORDER BY id", (call.persona_id, call.first_turn_id, call.last_turn_id)).fetchall()
        return [Turn(**dict(row)) for row in rows]

    # -- everything about a persona ------------------------------------------------------------
    def export_persona(self, persona_id: str) -> dict:
        """Everything kept about this persona's conversations, as plain JSON-able data."""
        return export_persona(self.reader(), persona_id)

    def forget_persona(self, persona_id: str) -> Future:
        """Delete every memory, call and turn of a persona so that no byte of them remains in
        the database, its WAL, its search index, a backup or a copy kept by a recovery or a
        restore (docs/reliability.md, "Forget")."""
        def scrub(conn: sqlite3.Connection) -> ForgetReport:
            turns, facts, calls = self._execute(
                lambda c: delete_persona_rows(c, persona_id), transaction=True)
            compact(conn)
            removed = remove_backups(self.path) if self.path is not None else ()
            scrubbed, deleted = forget_in_kept_copies(self.kept_copies(), persona_id)
            self._backup()  # a fresh one, without what was forgotten
            return ForgetReport(persona_id, turns, facts, calls, removed, scrubbed, deleted)

        return self.submit(scrub, transaction=False)

    def kept_copies(self) -> list[Path]:
        return [] if self.path is None else kept_copies(self.path)

    # -- notices -------------------------------------------------------------------------
    def notices(self) -> list[str]:
        """What happened to the file that the user has not dismissed yet: a recovery stays here
        across starts, even one that a command-line command ran into."""
        if self.path is None:
            return [self.recovery.message()] if self.recovery is not None else []
        texts = [notice["text"] for notice in pending_notices(self.path)]
        if self.recovery is not None and self.recovery.message() not in texts:
            texts.append(self.recovery.message())  # the notice file could not be written
        return texts

    def dismiss_notices(self) -> None:
        if self.path is not None:
            dismiss_notices(self.path)

    # -- reads ---------------------------------------------------------------------------
    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection (SQLite connections are not shared between
        threads here; each reading thread gets its own)."""
        if self.path is None:
            return self._writer
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = connect(self.path, read_only=True)
            self._readers.conn = conn
        return conn


class _Damaged(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return True
