"""Putting a backup back in place of the conversation file (``hearth memory restore``)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from desktop.memory.connection import StoreError


def restore_backup(path: Path, backup: Path) -> Path:
    """Put ``backup`` in place of the database at ``path`` (Hearth must not be running on it).
    The backup is checked and copied beside the database first; only then is the current file
    moved aside (with its WAL, never deleted) and the copy renamed into place. Returns where the
    replaced file was kept."""
    from desktop.memory.recovery import InstanceLock, move_aside

    lock = InstanceLock(path).acquire()
    incoming = path.with_name(path.name + ".restoring")
    try:
        incoming.unlink(missing_ok=True)
        try:
            source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
            try:
                check = source.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise StoreError(f"The backup {backup.name} is damaged too ({check}).",
                                     "Choose another backup; nothing was changed.")
                target = sqlite3.connect(incoming)
                try:
                    source.backup(target)
                finally:
                    target.close()
            finally:
                source.close()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{backup.name} is not a usable backup ({error}).",
                             "Choose another backup; nothing was changed.") from error
        kept = move_aside(path, "replaced") if path.exists() else path
        os.replace(incoming, path)
        return kept
    finally:
        incoming.unlink(missing_ok=True)
        lock.release()
