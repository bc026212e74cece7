"""A persona's memories as plain JSON the user owns (``hearth memory export``, the Memory
window's Export)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from desktop.memory.facts import FACT_COLUMNS
from desktop.memory.migrations import LATEST


def export_persona(conn: sqlite3.Connection, persona_id: str) -> dict:
    """Everything kept about this persona's conversations."""
    import sqlite_utils

    database = sqlite_utils.Database(conn)

    def rows(sql: str) -> list[dict]:
        return list(database.query(sql, [persona_id]))

    return {
        "format": "hearth-memory-export",
        "version": 1,
        "schema": LATEST,
        "persona_id": persona_id,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "facts": rows(f"SELECT {FACT_COLUMNS} FROM facts WHERE persona_id = ? ORDER BY id"),
        "calls": rows("SELECT * FROM calls WHERE persona_id = ? ORDER BY id"),
        "turns": rows("SELECT id, role, text, full_text, status, created_at FROM turns "
                      "WHERE persona_id = ? ORDER BY id"),
        "turn_memories": rows("SELECT tm.turn_id, tm.fact_id FROM turn_memories tm "
                              "JOIN turns t ON t.id = tm.turn_id WHERE t.persona_id = ?"),
    }


def export_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
