"""The publishers Hearth trusts (docs/reliability.md §3).

A publisher vouches that a licensor is who they claim to be (the rights holder of a likeness)
by signing bundles. Which publishers Hearth trusts, and for which persona ids, is a list that
ships with the app, signed by the app's root key; only the root's *public* key is in the app
(``APP_ROOT_KEYS``, compiled in), the private key stays offline with the release manager
(``packaging/sign_publishers.py`` re-signs the list). So a list edited on disk, or swapped in
an installer, vouches for nobody::

    {"format": "hearth-publishers-1", "version": 3, "issued": "2026-11-24T00:00:00Z",
     "publishers": [{"name": "The Hearth project", "key": "<base64 Ed25519>",
                     "id_prefixes": ["org.hearth."]}],
     "root_key": "hearth-root-2026", "signature": "<base64, by that root over the rest>"}

A publisher may vouch only for persona ids under its ``id_prefixes``: a studio's key cannot
make a bundle claiming another studio's persona verified. Keys the user adds in Settings (after
a warning) vouch for any id; a rotated key keeps the prefixes its publisher is listed with.
"""

from __future__ import annotations

import base64
import binascii
import logging

from desktop.personas.archive import BundleRejected, canonical, strict_json
from desktop.personas.signing import Signer, TrustedPublishers, verify_signature

log = logging.getLogger(__name__)

PUBLISHER_LIST_FORMAT = "hearth-publishers-1"

# The app's root public keys (raw Ed25519, base64). A new root ships in an app update signed
# by the old root and the new one (TUF's rule); the old one then leaves this table.
APP_ROOT_KEYS: dict[str, str] = {
    "hearth-root-2026": "+vnfmm0zqfJrYJOHCct8vUfZVGA7uD/nE86u4C5n0Tw=",
}


def sign_publisher_list(body: dict, root: Signer, root_name: str) -> dict:
    """The list as it ships: ``body`` plus the root's signature over its canonical bytes."""
    unsigned = {**body, "format": PUBLISHER_LIST_FORMAT, "root_key": root_name}
    unsigned.pop("signature", None)
    return {**unsigned, "signature": root.sign(canonical(unsigned))}


def read_publisher_list(data: bytes, root_keys: dict[str, str] | None = None
                        ) -> TrustedPublishers:
    """The publishers of a list signed by one of the app's root keys, or BundleRejected."""
    root_keys = APP_ROOT_KEYS if root_keys is None else root_keys
    listing = strict_json(data, "publisher list")
    if not isinstance(listing, dict) or listing.get("format") != PUBLISHER_LIST_FORMAT:
        raise BundleRejected("This is not a Hearth publisher list.", "Reinstall Hearth.")
    root = root_keys.get(str(listing.get("root_key", "")))
    unsigned = {k: v for k, v in listing.items() if k != "signature"}
    if root is None or not verify_signature(base64.b64decode(root), str(
            listing.get("signature", "")), canonical(unsigned)):
        raise BundleRejected("Hearth's list of trusted publishers is not signed by Hearth's "
                             "root key: it was changed after it was signed.",
                             "Reinstall Hearth from its official download.")
    keys: dict[str, bytes] = {}
    prefixes: dict[str, tuple[str, ...]] = {}
    for entry in listing.get("publishers", []):
        try:
            name = str(entry["name"])
            key = base64.b64decode(str(entry["key"]), validate=True)
            allowed = tuple(str(p) for p in entry["id_prefixes"])
        except (KeyError, TypeError, binascii.Error) as error:
            raise BundleRejected("Hearth's list of trusted publishers is malformed.",
                                 "Reinstall Hearth.") from error
        if len(key) != 32 or not allowed or not all(allowed):
            raise BundleRejected(f"Hearth's publisher list has an invalid entry for {name!r}.",
                                 "Reinstall Hearth.")
        keys[name], prefixes[name] = key, allowed
    return TrustedPublishers(keys, prefixes)


def trusted_publishers(user_keys: dict[str, str] | None = None,
                       listing: bytes | None = None,
                       root_keys: dict[str, str] | None = None) -> TrustedPublishers:
    """The publishers of the app's signed list, plus the keys the user added (Settings; a
    rotated key of a listed publisher replaces its old one and keeps its prefixes). A list
    that fails its signature check vouches for nobody: personas then install unverified, and
    real people not at all, until Hearth is reinstalled (``hearth doctor`` says so)."""
    if listing is None:
        from desktop.paths import asset

        listing = asset("keys", "publishers.json").read_bytes()
    try:
        shipped = read_publisher_list(listing, root_keys)
    except BundleRejected as error:
        log.error("Publisher list refused: %s", error)
        shipped = TrustedPublishers({})
    user = {name: base64.b64decode(key) for name, key in (user_keys or {}).items()}
    return TrustedPublishers({**shipped, **user}, shipped.prefixes)
