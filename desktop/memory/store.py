"""The store: one SQLite file (WAL, synchronous=FULL) behind one writer thread.

Writes are queued as intents and committed by the writer thread; ``append_turn`` returns a
future that resolves to the row id once the commit has returned, and only then may the UI
show a turn as saved. Reads use their own connections. The UI thread never touches SQLite.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from desktop.errors import HearthError
from desktop.memory.migrations import FutureSchema, migrate

APPLICATION_ID = 0x48525448  # "HRTH"


class StoreError(HearthError):
    pass


@dataclass(frozen=True)
class Turn:
    id: int
    persona_id: str
    role: str
    text: str
    status: str
    created_at: str


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


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self._target = str(path)
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._writer: sqlite3.Connection | None = None
        self.read_only_reason: str | None = None

    # -- lifecycle ---------------------------------------------------------------
    def open(self) -> Store:
        try:
            self._writer = connect(self._target)
            check = self._writer.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"The conversation file {self._target} is damaged ({check}).",
                                 "Hearth kept the file; restore a backup or start fresh.")
            self._writer.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            migrate(self._writer, self.path)
        except FutureSchema as error:
            self._writer.close()
            self._writer = None
            self.read_only_reason = str(error)
        except sqlite3.DatabaseError as error:
            if self._writer is not None:
                self._writer.close()
            raise StoreError(
                f"The conversation file {self._target} cannot be opened ({error}).",
                "Hearth left the file as it is. Move it aside to start fresh.",
            ) from error
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- the writer thread ----------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            work, future = item
            if self._writer is None:
                future.set_exception(StoreError(self.read_only_reason or "Store is closed."))
                continue
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                result = work(self._writer)
                self._writer.execute("COMMIT")
                future.set_result(result)
            except BaseException as error:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                future.set_exception(_explain(error))

    def submit(self, work: Callable[[sqlite3.Connection], object]) -> Future:
        future: Future = Future()
        self._queue.put((work, future))
        return future

    # -- intents ------------------------------------------------------------------------
    def append_turn(self, persona_id: str, role: str, text: str, status: str = "complete",
                    full_text: str | None = None) -> Future:
        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO turns (persona_id, role, text, full_text, status) "
                "VALUES (?, ?, ?, ?, ?)",
                (persona_id, role, text, full_text, status),
            )
            return int(cursor.lastrowid)

        return self.submit(work)

    # -- reads ---------------------------------------------------------------------------
    def reader(self) -> sqlite3.Connection:
        if self.path is None:
            return self._writer
        return connect(self.path, read_only=True)

    def turns(self, persona_id: str, limit: int = 200) -> list[Turn]:
        conn = self.reader()
        try:
            rows = conn.execute(
                "SELECT * FROM (SELECT id, persona_id, role, text, status, created_at FROM turns "
                "WHERE persona_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                (persona_id, limit),
            ).fetchall()
        finally:
            if conn is not self._writer:
                conn.close()
        return [Turn(**dict(row)) for row in rows]


def _explain(error: BaseException) -> BaseException:
    text = str(error).lower()
    if isinstance(error, sqlite3.OperationalError) and ("full" in text or "disk" in text):
        return StoreError("The disk is full, so the conversation could not be saved.",
                          "Free some space; Hearth will keep this turn and retry.")
    if isinstance(error, sqlite3.OperationalError) and "readonly" in text.replace("-", ""):
        return StoreError("The conversation file is read-only.",
                          "Check the permissions of the Hearth data folder.")
    return error
