"""Whether a persona's license allows use now: every clause known and of the right type (an
unreadable value is a denial), the territories, and the dates (docs/reliability.md §7.3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from desktop.personas.claims import license_value_problem
from desktop.timestamps import parse_utc

KNOWN_CLAUSES = frozenset({
    "licensor", "licensor_key", "subject", "consent", "modes", "content_rating_max",
    "forbidden_topics", "never_say", "refusal", "disclosure", "valid_from", "valid_until",
    "revocation_id", "romance_allowed", "attribution", "contact", "commercial_use",
    "voice_use", "territories",
})


_REGION = re.compile(r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2


def license_problem(license_: dict, now: datetime | None = None,
                    region: str | None = None) -> str | None:
    """Why this license does not allow use right now, or None. A clause Hearth does not know
    is read as a denial: it cannot honour a condition it does not understand. ``region`` is
    the user's country or region (ISO 3166-1 alpha-2; None: not known), for ``territories``."""

    if not isinstance(license_, dict):
        return "its license cannot be read"
    unknown = sorted(set(license_) - KNOWN_CLAUSES)
    if unknown:
        return (f"its license has conditions this version of Hearth cannot honour "
                f"({', '.join(unknown)})")
    unreadable = license_value_problem(license_)
    if unreadable:
        return unreadable
    territories = license_.get("territories")
    if territories is not None:
        if not isinstance(territories, list) or not territories or not all(
                isinstance(t, str) and _REGION.match(t) for t in territories):
            return "its license has an unreadable list of countries and regions"
        covered = ", ".join(territories)
        if region is None:
            return (f"its license covers only some countries and regions ({covered}), and "
                    f"Hearth does not know yours: set it in Settings")
        if region.upper() not in territories:
            return (f"its license does not cover your country or region ({region.upper()}); "
                    f"it covers {covered}")
    now = now or datetime.now(UTC)
    try:
        end = parse_utc(license_["valid_until"]) if license_.get("valid_until") else None
    except ValueError:
        return "its license has an unreadable end date"
    try:
        begin = parse_utc(license_["valid_from"]) if license_.get("valid_from") else None
    except ValueError:
        return "its license has an unreadable start date"
    if end is not None and now > end:
        return f"its license expired on {end.date().isoformat()}"
    if begin is not None and now < begin:
        return f"its license only starts on {begin.date().isoformat()}"
    return None
