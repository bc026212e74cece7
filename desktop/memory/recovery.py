"""Keeping the database file safe: one app instance at a time, unclean-shutdown detection,
and recovery of a damaged file (docs/reliability.md §4, T28-T29).

Recovery never deletes or overwrites the original: the damaged file moves aside together with
its ``-wal`` and ``-shm`` (a database must never be separated from its WAL), every row that
can still be read is copied into a new file built by the migrations, and the user is told
where the original is and how much was recovered.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from desktop.errors import HearthError
from desktop.memory.facts import indexed_terms

log = logging.getLogger(__name__)

# Tables copied by recovery, parents first so references resolve.
RECOVERED_TABLES = ("turns", "facts", "calls", "chats", "turn_memories")
TABLE_WORDS = {"turns": "messages", "facts": "memories", "calls": "calls"}
# An index over every row of each table: when a table's own pages are damaged its index may
# still be whole, and counting it tells how many rows there were, including a lost tail.
FULL_INDEXES = {"turns": "turns_persona", "facts": "facts_source_turn", "calls": "calls_persona",
                "chats": "chats_persona", "turn_memories": "turn_memories_fact"}
# Pending notices live beside the database until the user has seen them: a recovery found by a
# command-line command must still be shown by the window's next start.
NOTICE_SUFFIX = ".notices.json"


class InstanceLock:
    """An exclusive lock file beside the database. Its content says whether the last run
    closed the database cleanly; if not, the next start runs a full integrity check."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self.was_unclean = False
        self._handle = None

    def acquire(self) -> InstanceLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+b")  # noqa: SIM115 - held open for the app's lifetime
        except OSError as error:
            raise HearthError(
                f"Hearth cannot write in its data folder {self.path.parent} ({error.strerror}"
                "): the folder or its disk is read-only.",
                "Check the folder's permissions or free the disk, or set HEARTH_HOME to a "
                "writable folder. Your conversations in it are untouched.") from error
        try:
            _lock_file(handle)
        except OSError as error:
            handle.close()
            raise HearthError(
                "Hearth is already running with this data folder.",
                "Switch to the open Hearth window, or close it and try again.") from error
        handle.seek(0)
        self.was_unclean = handle.read().strip() == b"open"
        handle.seek(0)
        handle.truncate()
        handle.write(b"open")
        handle.flush()
        os.fsync(handle.fileno())
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(b"closed")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        _unlock_file(self._handle)
        self._handle.close()
        self._handle = None


def _lock_file(handle) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock_file(handle) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass
class Recovery:
    """What happened to a damaged database, in the user's terms."""

    reason: str
    kept_as: Path
    backup: Path | None = None
    recovered: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)

    def percent(self) -> float | None:
        """Share of rows recovered, where the damaged file still told how many there were."""
        if not self.unreadable:
            return None
        total = sum(self.recovered.values()) + sum(self.unreadable.values())
        return 100.0 * sum(self.recovered.values()) / total

    def message(self) -> str:
        got = sum(self.recovered.values())
        share = self.percent()
        detail = f"{got} records recovered" + (f" ({share:.0f}%)" if share is not None else "")
        lost = [f"{missing} of {missing + self.recovered.get(table, 0)} {TABLE_WORDS[table]}"
                for table, missing in self.unreadable.items() if table in TABLE_WORDS]
        if lost:
            detail += "; lost, because the damaged part could not be read: " + ", ".join(lost)
        restore = (f" A backup from {_modified(self.backup)} is kept as {self.backup.name}; "
                   "to go back to it, close Hearth and run: hearth memory restore."
                   if self.backup is not None and self.backup.exists() else "")
        return (f"The conversation file was damaged ({self.reason}). Hearth kept the original "
                f"as {self.kept_as.name} and started a new file with what could be read: "
                f"{detail}. Nothing was deleted.{restore}")


def _modified(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")


def move_aside(path: Path, label: str) -> Path:
    """Move a database with its -wal and -shm to ``<name>.<label>-<time>``; returns the new
    path of the main file."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{number}")
    for suffix in ("-wal", "-shm", ""):  # the main file last: until then the set is whole
        source = Path(str(path) + suffix)
        if source.exists():
            os.replace(source, Path(str(target) + suffix))
    return target


def notices_path(database: Path) -> Path:
    return database.with_name(database.name + NOTICE_SUFFIX)


def record_notice(database: Path, text: str) -> None:
    """Keep ``text`` until dismiss_notices(); best effort, since the disk may be what broke."""
    notices = pending_notices(database)
    notices.append({"at": datetime.now(UTC).isoformat(timespec="seconds"), "text": text})
    target = notices_path(database)
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_text(json.dumps(notices, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, target)
    except OSError as error:
        log.warning("Could not keep the notice %r: %s", text, error)


def pending_notices(database: Path) -> list[dict]:
    try:
        notices = json.loads(notices_path(database).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(notices, list):
        return []
    return [n for n in notices if isinstance(n, dict) and isinstance(n.get("text"), str)
            and isinstance(n.get("at"), str)]


def dismiss_notices(database: Path) -> None:
    notices_path(database).unlink(missing_ok=True)


def kept_copies(database: Path) -> list[Path]:
    """Databases moved aside by a recovery ("damaged") or a restore ("replaced"), main files
    only; each may have a -wal and -shm beside it."""
    found = []
    for label in ("damaged", "replaced"):
        for candidate in database.parent.glob(f"{database.name}.{label}-*"):
            if candidate.is_file() and not candidate.name.endswith(
                    ("-wal", "-shm", "-journal", ".reading")):
                found.append(candidate)
    return sorted(found)


def remove_database_files(path: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal", ""):
        Path(str(path) + suffix).unlink(missing_ok=True)


def recover(path: Path, reason: str,
            fresh_database: Callable[[Path], sqlite3.Connection]) -> Recovery:
    kept = move_aside(path, "damaged")
    log.warning("Database damaged (%s); kept as %s", reason, kept)
    backup = path.with_name(path.name + ".bak-daily")
    report = Recovery(reason, kept, backup if backup.exists() else None)
    target = fresh_database(path)
    work = _readable_copy(kept)
    try:
        source = sqlite3.connect(work)
    except sqlite3.DatabaseError:
        target.close()
        _remove_copy(work)
        record_notice(path, report.message())
        return report
    try:
        target.execute("PRAGMA foreign_keys = OFF")
        target.execute("BEGIN IMMEDIATE")
        for table in RECOVERED_TABLES:
            _copy_table(source, target, table, report)
        _drop_dangling_references(target)
        for fact_id, key, text in target.execute(
                "SELECT id, key, text FROM facts WHERE superseded_by IS NULL").fetchall():
            target.execute("INSERT INTO fact_search (rowid, terms) VALUES (?, ?)",
                           (fact_id, indexed_terms(key, text)))
        target.execute("COMMIT")
    finally:
        source.close()
        _remove_copy(work)
        target.execute("PRAGMA foreign_keys = ON")
        target.close()
    record_notice(path, report.message())
    return report


def _readable_copy(kept: Path) -> Path:
    """A scratch copy (with its WAL) to read from, so the kept original is never written.
    A truncated file is padded to the size its header declares: SQLite refuses a file
    shorter than that outright, while with zero pages in place of the lost ones everything
    before the cut can still be read."""
    work = kept.with_name(kept.name + ".reading")
    for suffix in ("", "-wal"):
        source = Path(str(kept) + suffix)
        if source.exists():
            Path(str(work) + suffix).write_bytes(source.read_bytes())
    data = work.read_bytes()[:100]
    if len(data) == 100 and not data.startswith(b"SQLite format 3\0"):
        data = _restore_header(work) or data
    if len(data) == 100 and data.startswith(b"SQLite format 3\0"):
        page_size = int.from_bytes(data[16:18], "big") or 65536
        declared = int.from_bytes(data[28:32], "big") * page_size
        if work.stat().st_size < declared:
            with work.open("r+b") as handle:
                handle.truncate(declared)
    return work


def _restore_header(work: Path) -> bytes | None:
    """A file whose first 100 bytes were lost (zeroed, overwritten) but whose pages are whole:
    write a plausible header for each page size in turn and keep the first with which the
    schema can be read. Returns the header written, or None (the file is left as it was)."""
    size = work.stat().st_size
    with work.open("r+b") as handle:
        original = handle.read(100)
        for page_size in (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512):
            if size < page_size or size % page_size:
                continue
            for wal in (True, False):
                header = _header(size // page_size, page_size, wal)
                handle.seek(0)
                handle.write(header)
                handle.flush()
                if _schema_readable(work):
                    log.warning("Rebuilt the lost header of %s (pages of %d bytes)", work.name,
                                page_size)
                    return header
        handle.seek(0)
        handle.write(original)
    return None


def _header(pages: int, page_size: int, wal: bool) -> bytes:
    """The 100-byte database header (sqlite.org/fileformat2.html, section 1.3) with the values
    SQLite writes by default; the schema cookie only has to be non-zero."""
    header = bytearray(100)
    header[:16] = b"SQLite format 3\0"
    struct.pack_into(">H", header, 16, 1 if page_size == 65536 else page_size)
    header[18] = header[19] = 2 if wal else 1
    header[21:24] = bytes((64, 32, 32))
    struct.pack_into(">IIIIIIII", header, 24, 1, pages, 0, 0, 1, 4, 0, 0)
    struct.pack_into(">I", header, 56, 1)  # UTF-8
    struct.pack_into(">II", header, 92, 1, 3045000)
    return bytes(header)


def _schema_readable(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return False
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        return bool(names & set(RECOVERED_TABLES))
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def _remove_copy(work: Path) -> None:
    remove_database_files(work)


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    import sqlite_utils

    try:
        return [column.name for column in sqlite_utils.Database(conn)[table].columns]
    except sqlite3.DatabaseError:
        return []


def _copy_table(source: sqlite3.Connection, target: sqlite3.Connection, table: str,
                report: Recovery) -> None:
    """Copy every readable row, walking the table in rowid order and stepping over pages that
    cannot be read."""
    columns = [c for c in _columns(source, table) if c in set(_columns(target, table))]
    if not columns:
        return
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})"
    copied = holes = 0
    expected = _expected_rows(source, table)
    if table == "turn_memories":  # WITHOUT ROWID, and small: all of it or what comes first
        try:
            for row in source.execute(f"SELECT {names} FROM {table}"):
                copied += target.execute(insert, row).rowcount
        except sqlite3.DatabaseError:
            holes += 1
        report.recovered[table] = copied
        if expected is not None and expected > copied:
            report.unreadable[table] = expected - copied
        return
    # Walk in rowid order row by row; at an unreadable page jump ahead, twice as far each
    # time, until rows can be read again or nothing more can be.
    after, step = -1, 1
    while holes < 64 and after < 1 << 40:
        try:
            for row in source.execute(
                    f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid",
                    (after,)):
                if row[0] <= after:
                    # Rowids only grow: a smaller one was read from a zeroed or damaged page
                    # (rowid 0 from the padding of a truncated file). Not a row: a hole.
                    raise sqlite3.DatabaseError("rowids out of order on a damaged page")
                # Counted as copied only if it went in (a duplicate id is ignored).
                copied += target.execute(insert, row[1:]).rowcount
                after, step = row[0], 1
            break
        except sqlite3.DatabaseError:
            holes += 1
            after += step
            step *= 2
    report.recovered[table] = copied
    if expected is not None and expected > copied:
        report.unreadable[table] = expected - copied


def _expected_rows(source: sqlite3.Connection, table: str) -> int | None:
    """How many rows the table had: the larger count of its full index and of the table itself
    (a lost tail shows in the index while the table's own pages fail), else, when neither can be
    counted, its largest rowid (ids are given in order; deleted rows make this an upper bound)."""
    index = FULL_INDEXES.get(table)
    counts = [_one_number(source, sql) for sql in (
        f"SELECT count(*) FROM {table} INDEXED BY {index}" if index else "",
        f"SELECT count(*) FROM {table}")]
    found = [count for count in counts if count is not None]
    if found:
        return max(found)
    return None if table == "turn_memories" else _one_number(
        source, f"SELECT max(rowid) FROM {table}")


def _one_number(conn: sqlite3.Connection, sql: str) -> int | None:
    if not sql:
        return None
    try:
        return conn.execute(sql).fetchone()[0] or 0
    except sqlite3.DatabaseError:
        return None


def _drop_dangling_references(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE facts SET source_turn_id = NULL WHERE source_turn_id NOT IN "
                 "(SELECT id FROM turns)")
    conn.execute("UPDATE facts SET superseded_by = NULL WHERE superseded_by NOT IN "
                 "(SELECT id FROM facts)")
    conn.execute("DELETE FROM turn_memories WHERE turn_id NOT IN (SELECT id FROM turns) "
                 "OR fact_id NOT IN (SELECT id FROM facts)")
