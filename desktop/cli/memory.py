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
    forget.add_argument("--persona", required=True)
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    memory_sub.add_parser("dismiss", help="stop showing the notice about a repaired "
                                          "conversation file")
    restore = memory_sub.add_parser("restore", help="put a backup back in place of the "
                                                    "conversation file (Hearth must be closed)")
    restore.add_argument("--backup", help="the backup file (default: the daily backup)")
    memory.set_defaults(run=run_memory)


def run_memory(args: argparse.Namespace) -> int:
    from desktop.app import Hearth
    from desktop.errors import HearthError
    from desktop.memory.export import export_json
    from desktop.paths import DataDirs

    dirs = DataDirs.default()
    if args.memory_command == "restore":
        return _restore(dirs, args.backup)
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


def _restore(dirs, backup_name: str | None) -> int:
    from pathlib import Path

    from desktop.errors import HearthError
    from desktop.memory.backups import restore_backup

    backup = Path(backup_name) if backup_name else dirs.database.with_name(
        dirs.database.name + ".bak-daily")
    if not backup.is_file():
        print(f"hearth: there is no backup at {backup}.", file=sys.stderr)
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
