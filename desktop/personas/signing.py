"""Signatures on bundles and on publisher statements: Ed25519 keys, the licensor's and the
publisher's signatures over a manifest's exact bytes, the trusted-publisher table with the id
prefixes each may vouch for, and publisher key rotation (docs/reliability.md §3)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from desktop.personas.archive import BundleRejected, canonical, strict_json


# -- signatures ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Signer:
    """An Ed25519 key pair (the private half only where we sign)."""

    name: str
    private_key: object | None
    public_key: bytes

    @staticmethod
    def generate(name: str) -> Signer:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = Ed25519PrivateKey.generate()
        return Signer(name, key, _raw_public(key.public_key()))

    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private_key.sign(data)).decode()


def _raw_public(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def verify_signature(public_key: bytes, signature_b64: str, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(public_key)
        key.verify(base64.b64decode(signature_b64, validate=True), data)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


class TrustedPublishers(dict[str, bytes]):
    """Publisher name -> Ed25519 public key, and which persona ids each may vouch for
    (desktop.personas.publishers builds it from the app's signed list)."""

    def __init__(self, keys: dict[str, bytes],
                 prefixes: dict[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(keys)
        # No entry for a publisher the user added: they took responsibility for it.
        self.prefixes: dict[str, tuple[str, ...]] = dict(prefixes or {})

    def may_vouch_for(self, publisher: str, persona_id: str) -> bool:
        allowed = self.prefixes.get(publisher)
        return allowed is None or any(persona_id.startswith(p) for p in allowed)


@dataclass(frozen=True)
class Verification:
    licensor_signed: bool
    publisher: str | None  # the trusted publisher who vouched for the licensor
    publisher_key_id: str | None = None  # which of its keys (revocation lists name key ids)

    @property
    def verified(self) -> bool:
        return self.licensor_signed and self.publisher is not None


def verify(manifest_bytes: bytes, manifest: dict, signatures: list,
           trusted_publishers: dict[str, bytes]) -> Verification:
    """The licensor signs the manifest with the key the manifest names; a publisher signs the
    same bytes with a key the app trusts."""
    try:
        licensor_key = base64.b64decode(str(manifest["license"].get("licensor_key") or ""),
                                        validate=True)
    except ValueError as error:
        raise BundleRejected("The licensor's key in the manifest is malformed.") from error
    licensor_ok = publisher = publisher_key = None
    for entry in signatures if isinstance(signatures, list) else []:
        if not isinstance(entry, dict):
            continue
        role, signature = entry.get("role"), str(entry.get("signature", ""))
        if role == "licensor" and licensor_key:
            licensor_ok = verify_signature(licensor_key, signature, manifest_bytes)
            if not licensor_ok:
                raise BundleRejected("The licensor's signature does not match this bundle: it "
                                     "was changed after it was signed.")
        elif role == "publisher":
            name = str(entry.get("publisher", ""))
            key = trusted_publishers.get(name)
            if key is not None:
                if not verify_signature(key, signature, manifest_bytes):
                    raise BundleRejected("The publisher's signature does not match this "
                                         "bundle: it was changed after it was signed.")
                # A listed publisher vouches for its own ids only.
                if isinstance(trusted_publishers, TrustedPublishers) and not (
                        trusted_publishers.may_vouch_for(name, str(manifest.get("id")))):
                    allowed = ", ".join(trusted_publishers.prefixes.get(name, ()))
                    raise BundleRejected(
                        f"{name} signed this bundle, but Hearth trusts {name} only for "
                        f"personas whose id begins with {allowed}; this one is "
                        f"{manifest.get('id')!r}.",
                        "Hearth did not install it. Ask the persona's own publisher for it.")
                publisher = name
                publisher_key = key_id(key)
    return Verification(bool(licensor_ok), publisher, publisher_key if publisher else None)


ROTATION_FORMAT = "hearth-key-rotation-1"


def sign_rotation(publisher: str, old: Signer, new: Signer) -> dict:
    """A publisher's statement, signed by its old key, that its new key replaces it."""
    body = {"format": ROTATION_FORMAT, "publisher": publisher,
            "new_key": base64.b64encode(new.public_key).decode()}
    return {**body, "signature": old.sign(canonical(body))}


def verify_rotation(data: bytes, trusted: dict[str, bytes]) -> tuple[str, str]:
    """(publisher, new base64 key) if the statement is signed by the key Hearth trusts for
    that publisher now; a new key alone proves nothing (T15)."""
    statement = strict_json(data, "key rotation")
    if not isinstance(statement, dict) or statement.get("format") != ROTATION_FORMAT:
        raise BundleRejected("This is not a publisher key rotation.", "Nothing was changed.")
    body = {k: v for k, v in statement.items() if k != "signature"}
    name = str(statement.get("publisher", ""))
    old = trusted.get(name)
    if old is None or not verify_signature(old, str(statement.get("signature", "")),
                                           canonical(body)):
        raise BundleRejected(f"The new key of {name!r} is not signed by the key Hearth trusts "
                             "for it.", "Nothing was changed.")
    new = str(statement.get("new_key", ""))
    try:
        if len(base64.b64decode(new, validate=True)) != 32:
            raise ValueError("not 32 bytes")
    except ValueError as error:
        raise BundleRejected("The new key in the rotation is malformed.",
                             "Nothing was changed.") from error
    return name, new
