"""The local SQLite store: conversations, turns (and memories, later)."""
