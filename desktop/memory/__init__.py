"""The conversation file (SQLite): turns, facts with their history, calls and summaries; recall,
extraction, recovery, forget, backups and export (docs/memory.md)."""
