"""The one way Hearth reads a timestamp it stored or was given (ISO 8601, ``Z`` allowed)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_utc(text: object) -> datetime:
    """An aware UTC datetime; a time without a zone is taken as UTC, so two parsed times can
    always be compared. Raises ValueError when ``text`` is not a timestamp."""
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
