"""The rows a conversation keeps, as the rest of Hearth sees them."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.timestamps import parse_utc


@dataclass(frozen=True)
class Turn:
    id: int
    persona_id: str
    role: str
    text: str
    status: str
    created_at: str


@dataclass(frozen=True)
class Call:
    id: int
    persona_id: str
    started_at: str
    ended_at: str | None
    first_turn_id: int | None
    last_turn_id: int | None
    summary: str | None

    def duration_s(self) -> float | None:
        if not self.ended_at:
            return None
        start, end = (parse_utc(t) for t in (self.started_at, self.ended_at))
        return (end - start).total_seconds()
