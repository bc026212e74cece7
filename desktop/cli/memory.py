"""``hearth memory``: export, forget, restore, and notices about a repaired file."""

from __future__ import annotations

import argparse
import sys


def add_parsers(sub) -> None:
    memory = sub.add_parser("memory", help="export or forget what Hearth keeps of a persona")
    memory_sub = memory.add_subparsers(dest="memory_command", required=True)
    export = memory_sub.add_parser("export", help="print (or write) everything as JSON")
    export.add_argument("--persona", required=True, help="persona id, e.g. org.hearth.wren")
    export.add_argument("--out", help="write to this file instead of standard output")
    forget = memory_sub.add_parser("forget", help="delete all memories and history of a "
                                                  "persona, leaving no trace in the files")
    forget.add_argument("--persona", required=True, help="persona id, e.g. org.hearth.wren")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    memory_sub.add_parser("dismiss", help="stop showing the notice about a repaired "
                                          "conversation file")
    restore = memory_sub.add_parser("restore", help="put a backup back in place of the "
                                                    "conversation file (Hearth must be closed)")
    restore.add_argument("--backup", help="the backup file (default: the daily backup)")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    memory.set_defaults(run=run_memory)


def run_memory(args: argparse.Namespace) -> int:
    from desktop.app import Hearth
    from desktop.errors import HearthError
    from desktop.memory.export import export_json
    from desktop.paths import DataDirs

    dirs = DataDirs.default()
    if args.memory_command == "restore":
        return _restore(dirs, args.backup, args.yes)
    try:
        hearth = Hearth(dirs).open()
    except HearthError as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    try:
        if args.memory_command == "dismiss":
            count = len(hearth.store.notices())
            hearth.dismiss_store_notices()
            print(f"Dismissed {count} notice(s)." if count else "There was no notice.")
            return 0
        print_notices(hearth)
        unknown = _unknown_persona(hearth, args.persona)
        if unknown:
            print(f"hearth: {unknown}", file=sys.stderr)
            return 1
        if args.memory_command == "export":
            text = export_json(hearth.export_memory(args.persona))
            if args.out:
                with open(args.out, "w", encoding="utf-8") as handle:
                    handle.write(text + "\n")
                print(f"Wrote {args.out}", file=sys.stderr)
            else:
                print(text)
            return 0
        return _forget(hearth, args.persona, args.yes)
    finally:
        hearth.close()


def _unknown_persona(hearth, persona_id: str) -> str | None:
    """Why ``persona_id`` names nothing Hearth keeps, with the ids it does keep; None if it
    is known (installed, or with conversations kept after it was removed)."""
    installed = [p.id for p in hearth.library.list()]
    kept = hearth.store.persona_ids()
    if persona_id in installed or persona_id in kept:
        return None
    with_memories = [i for i in kept if i not in installed]
    return (f"no persona has the id {persona_id!r}. Installed: {', '.join(installed) or 'none'}"
            + (f"; conversations kept of removed ones: {', '.join(with_memories)}"
               if with_memories else "") + ". (hearth personas lists them.)")


def _describe_file(path) -> str:
    """What a conversation file holds, in a few words, for the restore question."""
    import sqlite3
    from datetime import datetime

    when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            turns = conn.execute("SELECT count(*) FROM turns").fetchone()[0]
            facts = conn.execute("SELECT count(*) FROM facts").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return f"from {when}, unreadable"
    return f"from {when}: {turns} messages, {facts} memories"


def _restore(dirs, backup_name: str | None, confirmed: bool) -> int:
    from pathlib import Path

    from desktop.errors import HearthError
    from desktop.memory.backups import restore_backup

    backup = Path(backup_name) if backup_name else dirs.database.with_name(
        dirs.database.name + ".bak-daily")
    if not backup.is_file():
        print(f"hearth: there is no backup at {backup}.", file=sys.stderr)
        return 1
    if not confirmed:
        current = (_describe_file(dirs.database) if dirs.database.is_file()
                   else "none yet")
        answer = input(f"Replace your conversations ({current}) with the backup {backup.name} "
                       f"({_describe_file(backup)})? The current file is kept beside it. Type "
                       "'restore' to confirm: ")
        if answer.strip().lower() != "restore":
            print("Nothing was changed.", file=sys.stderr)
            return 1
    try:
        kept = restore_backup(dirs.database, backup)
    except HearthError as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    print(f"Restored {backup.name}; the file it replaced is kept as {kept.name}.")
    return 0


def _forget(hearth, persona_id: str, confirmed: bool) -> int:
    if not confirmed:
        copies = hearth.store.kept_copies()
        also = (f" Hearth also cleans the {len(copies)} older cop"
                f"{'y' if len(copies) == 1 else 'ies'} of the conversation file kept "
                "after a repair or a restore; a damaged one is deleted." if copies else "")
        answer = input(f"Forget every memory and conversation with {persona_id}?{also} "
                       "This cannot be undone. Type 'forget' to confirm: ")
        if answer.strip().lower() != "forget":
            print("Nothing was deleted.", file=sys.stderr)
            return 1
    report = hearth.forget(persona_id)
    print(f"Forgot {report.facts} memories, {report.turns} messages and {report.calls} "
          f"calls of {persona_id}; removed {len(report.backups_removed)} old backups.")
    if report.copies_scrubbed:
        print(f"Also forgotten in the kept copies: {', '.join(report.copies_scrubbed)}.")
    if report.copies_deleted:
        print("Deleted the damaged copies (they could not be cleaned; what could be read of "
              f"them was recovered earlier): {', '.join(report.copies_deleted)}.")
    return 0


def print_notices(hearth) -> None:
    """A command that opens the data folder says what the window would: a repaired file."""
    for problem in hearth.store_problems():
        if problem.part == "notice":
            print(f"hearth: {problem.text} (Shown until you dismiss it in the window or run "
                  "hearth memory dismiss.)", file=sys.stderr)
