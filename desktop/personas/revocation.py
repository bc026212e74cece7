"""Signed, versioned revocation lists: a rights holder (through a publisher) can switch a
persona off, offline. A list is accepted only with a valid signature from a trusted publisher
and a higher version than the one installed; a revoked persona stops working at once, while its
memories stay for the user to export or delete. A list older than ``STALE_AFTER_DAYS`` only
warns.

    {"format": "hearth-revocations-1", "publisher": "...", "version": 7,
     "issued_at": "2026-11-20T00:00:00Z",
     "revoked": [{"revocation_id": "...", "since": "...", "reason": "..."}],
     "revoked_keys": ["<publisher key id>", ...],
     "signature": "<base64 Ed25519 over the canonical list without this field>"}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from desktop.personas.archive import BundleRejected, canonical, strict_json
from desktop.personas.signing import Signer, verify_signature
from desktop.timestamps import parse_utc

FORMAT = "hearth-revocations-1"
STALE_AFTER_DAYS = 30
MAX_LIST_BYTES = 1 << 20
MAX_VERSION = 1 << 31


@dataclass(frozen=True)
class Revoked:
    revocation_id: str
    since: str
    reason: str


def sign_list(publisher_name: str, signer: Signer, version: int, revoked: list[dict],
              issued_at: str | None = None, revoked_keys: list[str] | None = None) -> dict:
    body = {"format": FORMAT, "publisher": publisher_name, "version": version,
            "issued_at": issued_at or datetime.now(UTC).isoformat(timespec="seconds"),
            "revoked": revoked, "revoked_keys": revoked_keys or []}
    return {**body, "signature": signer.sign(canonical(body))}


class Revocations:
    """The installed list, in ``<data>/revocations.json``."""

    def __init__(self, root: Path) -> None:
        self.path = root / "revocations.json"

    def _installed(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def revoked(self) -> dict[str, Revoked]:
        data = self._installed() or {}
        return {str(r["revocation_id"]): Revoked(str(r["revocation_id"]), str(r.get("since", "")),
                                                 str(r.get("reason", "")))
                for r in data.get("revoked", []) if isinstance(r, dict) and
                r.get("revocation_id")}

    def revoked_keys(self) -> set[str]:
        """Publisher key ids that were compromised: bundles they vouched for stop working."""
        data = self._installed() or {}
        return {str(k) for k in data.get("revoked_keys", []) if isinstance(k, str)}

    def staleness_warning(self, now: datetime | None = None) -> str | None:
        data = self._installed()
        if data is None:
            return None
        now = now or datetime.now(UTC)
        try:
            issued = parse_utc(data["issued_at"])
        except (KeyError, ValueError):
            return "The revocation list's date cannot be read; import a new one."
        age = (now - issued).days
        if age > STALE_AFTER_DAYS:
            return (f"The revocation list is {age} days old. Personas keep working; import a "
                    "newer list when you can.")
        return None

    def import_list(self, source: Path, trusted: dict[str, bytes]) -> int:
        """Verify and install a list; returns its version."""
        raw = source.read_bytes()
        if len(raw) > MAX_LIST_BYTES:
            raise BundleRejected("The revocation list is too large.", "Nothing was changed.")
        data = strict_json(raw, "revocation list")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BundleRejected("This is not a Hearth revocation list.", "Nothing was changed.")
        body = {k: v for k, v in data.items() if k != "signature"}
        key = trusted.get(str(data.get("publisher", "")))
        if key is None or not verify_signature(key, str(data.get("signature", "")),
                                               canonical(body)):
            raise BundleRejected("The revocation list is not signed by a publisher Hearth "
                                 "trusts.", "Nothing was changed.")
        version = data.get("version")
        current = (self._installed() or {}).get("version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or not (
                1 <= version < MAX_VERSION):
            # A version of 2**70 would freeze every later list (none could be newer).
            raise BundleRejected(f"The revocation list's version {str(version)[:24]} is out of "
                                 f"range (1 to {MAX_VERSION - 1}).", "Nothing was changed.")
        try:
            issued = parse_utc(str(data.get("issued_at", "")))
        except ValueError as error:
            raise BundleRejected("The revocation list's date cannot be read.",
                                 "Nothing was changed.") from error
        if (issued - datetime.now(UTC)).days >= 1:
            raise BundleRejected("The revocation list is dated in the future.",
                                 "Check the computer's clock; nothing was changed.")
        if not isinstance(data.get("revoked", []), list) or not isinstance(
                data.get("revoked_keys", []), list):
            raise BundleRejected("The revocation list is malformed.", "Nothing was changed.")
        if version <= current:
            raise BundleRejected(f"This revocation list (version {version}) is not newer than "
                                 f"the installed one (version {current}).",
                                 "Nothing was changed.")
        partial = self.path.with_name(self.path.name + ".part")
        partial.write_bytes(raw)
        os.replace(partial, self.path)
        return version
