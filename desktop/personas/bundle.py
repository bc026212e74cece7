"""``.persona`` bundles: one zip per persona, every member listed with its size and SHA-256 in
``manifest.json``, signed with Ed25519 by the licensor (the rights holder) and by a publisher
who verified the licensor (docs/persona-bundle.md). Every bundle is treated as hostile
(docs/reliability.md §1): the archive structure, the names and the manifest are checked before a
single member is extracted, members are extracted into a private staging folder while being
hashed and counted, and only a bundle that passed everything is moved into the library, in one
``os.replace``. A failed import leaves the library exactly as it was.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import struct
import time
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from desktop.errors import HearthError
from desktop.timestamps import parse_utc

FORMAT = "hearth-persona-1"
MAX_BUNDLE_BYTES = 512 << 20
MAX_ENTRIES = 64
MAX_MANIFEST_BYTES = 256 << 10
MAX_MEMBER_BYTES = {"image/png": 16 << 20, "image/jpeg": 16 << 20,
                    "application/onnx": 256 << 20, "application/json": 1 << 20,
                    "video/mp4": 192 << 20, "text/plain": 1 << 20}
MAX_TOTAL_BYTES = 600 << 20
MAX_RATIO = 100
MAX_SECONDS = 60.0
MAX_JSON_DEPTH = 32
MAX_JSON_STRING = 64 << 10
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")
CONTROL_NAMES = ("manifest.json", "signatures.json")


# What the zipfile module raises on archives crafted or damaged in ways it did not expect; for
# a bundle every one of them means "not a valid bundle".
ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError,
                  NotImplementedError, EOFError, struct.error, OverflowError, KeyError,
                  IndexError, UnicodeDecodeError)


class BundleRejected(HearthError):
    def __init__(self, problem: str, fix: str = "Ask its publisher for a new copy. Nothing was "
                                                "installed.") -> None:
        super().__init__(problem, fix)


# -- strict JSON ---------------------------------------------------------------------------
def strict_json(data: bytes, what: str) -> object:
    """JSON with no duplicate keys, no NaN/Infinity (nor numbers that overflow to it, like
    1e999), no integers of more than 30 digits, no lone surrogates, nesting ≤ 32, strings
    ≤ 64 KiB. Anything else is a BundleRejected with the reason, never another exception."""
    def pairs(items: list[tuple[str, object]]) -> dict:
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise BundleRejected(f"The {what} repeats a key, so its meaning is ambiguous.")
        return dict(items)

    def constant(name: str) -> None:
        raise BundleRejected(f"The {what} contains {name}, which is not valid JSON.")

    def number(text: str) -> float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise BundleRejected(f"The {what} has a number too large to hold ({text[:20]}).")
        return value

    def integer(text: str) -> int:
        if len(text.lstrip("-")) > 30:
            raise BundleRejected(f"The {what} has a whole number with more than 30 digits.")
        return int(text)

    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=pairs,
                           parse_constant=constant, parse_float=number, parse_int=integer)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        # json.JSONDecodeError is a ValueError; so is Python's integer digit limit.
        raise BundleRejected(f"The {what} is not valid JSON ({str(error)[:120]}).") from error
    _check_shape(value, what, 0)
    return value


def _check_shape(value: object, what: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BundleRejected(f"The {what} is nested too deeply.")
    if isinstance(value, str):
        if len(value) > MAX_JSON_STRING:
            raise BundleRejected(f"The {what} has a text field that is too long.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:  # a lone surrogate such as "\ud800"
            raise BundleRejected(f"The {what} has text that is not valid Unicode.") from error
    if isinstance(value, dict):
        for key, item in value.items():
            _check_shape(key, what, depth + 1)
            _check_shape(item, what, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_shape(item, what, depth + 1)


def canonical(manifest: dict) -> bytes:
    """The exact bytes a bundle's manifest is stored and signed as."""
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


# -- names --------------------------------------------------------------------------------------
def check_name(name: str) -> str:
    """A member name that is safe on every OS, or BundleRejected."""
    for candidate in (name, unicodedata.normalize("NFC", name)):
        problem = _name_problem(candidate)
        if problem:
            raise BundleRejected(f"The bundle contains a file named {name!r}, which is not "
                                 f"allowed ({problem}).")
    return unicodedata.normalize("NFC", name)


def _name_problem(name: str) -> str | None:
    if not name or len(name) > 200:
        return "empty or too long"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\\" in name:
        return "an absolute or Windows path"
    if any(ord(c) < 32 or ord(c) == 127 for c in name) or _BIDI.search(name):
        return "control or direction characters"
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            return "an empty or parent segment"
        if len(segment.encode("utf-8")) > 255:
            return "a segment over 255 bytes"
        if segment.split(".")[0].lower() in _WINDOWS_RESERVED:
            return "a reserved Windows name"
        if segment.endswith((".", " ")):
            return "a trailing dot or space"
    if name.startswith("__MACOSX/") or name.split("/")[-1].startswith("._"):
        return "macOS metadata"
    return None


# -- the archive's structure ----------------------------------------------------------------------
def _inspect_zip(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleRejected("The bundle is larger than any persona should be.")
    end = data.rfind(b"PK\x05\x06")
    if end >= 0 and len(data) >= end + 22:
        # Count entries from the end record before parsing a possibly huge central directory.
        (total,) = struct.unpack("<H", data[end + 10:end + 12])
        if total > MAX_ENTRIES:
            raise BundleRejected(f"The bundle has {total} files; a persona needs far fewer.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ARCHIVE_ERRORS as error:
        raise BundleRejected(f"The file is not a persona bundle (not a zip archive: {error}).",
                             "Choose a .persona file.") from error
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise BundleRejected(f"The bundle has {len(entries)} files; a persona needs far fewer.")
    seen: dict[str, str] = {}
    spans = []
    for info in entries:
        name = check_name(info.filename)
        folded = name.casefold()
        if folded in seen:
            raise BundleRejected(f"The bundle contains {name!r} twice (names differing only by "
                                 "case or accents).")
        seen[folded] = name
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) not in (0o100000, 0):
            raise BundleRejected(f"{name!r} in the bundle is a link or a device, not a file.")
        if info.flag_bits & 0x1:
            raise BundleRejected(f"{name!r} in the bundle is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleRejected(f"{name!r} uses a compression method Hearth does not accept.")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise BundleRejected(f"{name!r} expands {info.file_size // max(info.compress_size, 1)}"
                                 " times: the bundle looks like a zip bomb.")
        name_length, extra_length = check_local_header(data, info, name, "bundle")
        start = info.header_offset
        end = info.header_offset + 30 + name_length + extra_length + info.compress_size
        spans.append((start, end, name))
    spans.sort()
    if spans and spans[0][0] != 0:
        raise BundleRejected("The bundle has unexplained data before its first file.")
    for (_s1, end1, name1), (start2, _e2, name2) in itertools.pairwise(spans):
        if start2 < end1:
            raise BundleRejected(f"{name1!r} and {name2!r} overlap in the bundle: it was "
                                 "crafted to be read differently by different programs.")
    eocd = data.rfind(b"PK\x05\x06")
    if eocd < 0 or eocd + 22 + struct.unpack("<H", data[eocd + 20:eocd + 22])[0] != len(data):
        raise BundleRejected("The bundle has unexplained data after its end.")
    return archive


def check_local_header(data: bytes, info: zipfile.ZipInfo, name: str,
                       what: str) -> tuple[int, int]:
    """The spec (APPNOTE 4.3.7, 4.4) has each member's local header repeat what the central
    directory says of it. Readers differ in which of the two they believe, so an archive
    whose copies disagree reads as different files in different programs: refused. Returns
    the local name and extra-field lengths."""
    local = data[info.header_offset:info.header_offset + 30]
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise BundleRejected(f"The {what}'s index points outside its data.")
    (_version, flags, method, _time, _date, crc, packed, size, name_length,
     extra_length) = struct.unpack("<HHHHHIIIHH", local[4:30])
    local_name = data[info.header_offset + 30:info.header_offset + 30 + name_length]
    disagree = [
        local_name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800
                                                else "cp437"),
        method != info.compress_type,
        # Bit 3 moves CRC and sizes to a descriptor after the data; bit 11 is the name's
        # encoding, which must match too. Other bits are hints no reader acts on.
        (flags ^ info.flag_bits) & 0x809 != 0,
    ]
    if not flags & 0x8:
        zip64 = 0xFFFFFFFF in (packed, size)
        disagree += [crc != info.CRC,
                     not zip64 and (packed, size) != (info.compress_size, info.file_size)]
    if any(disagree):
        raise BundleRejected(f"{name!r}: the {what}'s index and its data disagree (its "
                             "local header differs from the central directory).")
    return name_length, extra_length


def _read_small(archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise BundleRejected(f"The bundle has no {name}.") from error
    if info.file_size > cap:
        raise BundleRejected(f"The bundle's {name} is too large.")
    try:
        with archive.open(info) as handle:
            data = handle.read(cap + 1)
    except ARCHIVE_ERRORS as error:
        raise BundleRejected(f"The bundle's {name} is damaged ({error}).") from error
    if len(data) > cap:
        raise BundleRejected(f"The bundle's {name} is too large.")
    return data


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


# -- building (the creator's export, and tests) ---------------------------------------------------
def build_bundle(target: Path, manifest: dict, files: dict[str, bytes],
                 licensor: Signer | None = None,
                 publisher: tuple[str, Signer] | None = None) -> Path:
    """Write a .persona: the manifest gains every file's path, size, SHA-256 and media type."""
    manifest = dict(manifest)
    manifest["format"] = FORMAT
    manifest["files"] = [{"path": path, "size": len(data),
                          "sha256": hashlib.sha256(data).hexdigest(),
                          "media_type": _media_type(path)} for path, data in sorted(files.items())]
    if licensor is not None:
        license_ = dict(manifest.get("license", {}))
        license_["licensor_key"] = base64.b64encode(licensor.public_key).decode()
        manifest["license"] = license_
    manifest_bytes = canonical(manifest)
    signatures = []
    if licensor is not None:
        signatures.append({"role": "licensor", "key_id": licensor.key_id(),
                           "signature": licensor.sign(manifest_bytes)})
    if publisher is not None:
        name, signer = publisher
        signatures.append({"role": "publisher", "publisher": name,
                           "signature": signer.sign(manifest_bytes)})
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("signatures.json", json.dumps(signatures, indent=1))
        for path, data in sorted(files.items()):
            archive.writestr(path, data)
    os.replace(partial, target)
    return target


def _media_type(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1].lower()
    return {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
            "onnx": "application/onnx", "json": "application/json",
            "mp4": "video/mp4"}.get(suffix, "text/plain")


# -- importing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Imported:
    persona_id: str
    version: int
    folder: Path
    verification: Verification
    replaced_version: int | None


def _check_manifest(manifest: object) -> dict:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleRejected("The bundle's manifest is not a Hearth persona manifest.")
    for key, kind in (("id", str), ("version", int), ("names", dict), ("languages", list),
                      ("description", str), ("files", list), ("license", dict)):
        if not isinstance(manifest.get(key), kind):
            raise BundleRejected(f"The bundle's manifest lacks a valid {key!r}.")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{2,63}", manifest["id"]):
        raise BundleRejected(f"The persona id {manifest['id']!r} is not allowed.")
    if not 1 <= manifest["version"] < 1 << 31 or isinstance(manifest["version"], bool):
        raise BundleRejected(f"The version {manifest['version']} is out of range.")
    return manifest


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
    from desktop.personas.claims import license_value_problem

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


@dataclass(frozen=True)
class Inspection:
    """Everything checked about a bundle before anything is written."""

    archive: zipfile.ZipFile
    manifest_bytes: bytes
    manifest: dict
    verification: Verification
    listed: dict[str, tuple[int, str]]
    replaced_version: int | None

    @property
    def persona_id(self) -> str:
        return self.manifest["id"]

    @property
    def version(self) -> int:
        return self.manifest["version"]

    def name(self) -> str:
        names = self.manifest["names"]
        return str(names.get("en") or next(iter(names.values()), self.persona_id))


@dataclass(frozen=True)
class Revoked:
    """What the installed revocation list switches off: persona revocation ids (with their
    dates) and compromised publisher key ids."""

    ids: dict[str, str]
    keys: frozenset[str]


def inspect_bundle(source: Path, personas_dir: Path, trusted_publishers: dict[str, bytes],
                   now: datetime | None = None, allow_downgrade: bool = False,
                   region: str | None = None, revoked: Revoked | None = None) -> Inspection:
    """All the checks that need no extraction: structure, manifest, signatures, license,
    file list, version, revocation. The window shows the result before the user confirms."""
    data = source.read_bytes() if source.stat().st_size <= MAX_BUNDLE_BYTES else b"x" * (
        MAX_BUNDLE_BYTES + 1)
    archive = _inspect_zip(data)
    manifest_bytes = _read_small(archive, "manifest.json", MAX_MANIFEST_BYTES)
    manifest = _check_manifest(strict_json(manifest_bytes, "manifest"))
    signatures = strict_json(_read_small(archive, "signatures.json", 64 << 10), "signature list")
    verification = verify(manifest_bytes, manifest, signatures, trusted_publishers)
    license_ = manifest["license"]
    if license_.get("subject") == "real_person" and not verification.verified:
        raise BundleRejected(
            "This persona portrays a real person, but its license is not signed by the person "
            "(or their representative) and vouched for by a publisher Hearth trusts.",
            "Hearth installs likenesses of real people only with proof of their consent. Ask "
            "the publisher for a signed bundle.")
    problem = license_problem(license_, now, region)
    if problem:
        raise BundleRejected(f"This persona cannot be used: {problem}.",
                             "If your country or region is wrong, set it in Settings (hearth "
                             "region CODE); otherwise it is not licensed where you are."
                             if "country or region" in problem else
                             "Ask the licensor for a renewed bundle.")
    from desktop.personas.claims import license_value_problem, referenced_members

    unreadable = license_value_problem(license_, require_subject=True)
    if unreadable:
        raise BundleRejected(f"This persona cannot be used: {unreadable}.",
                             "Hearth reads a license value it cannot understand as a denial. "
                             "Ask the licensor for a corrected bundle.")
    listed = {}
    for entry in manifest["files"]:
        if not isinstance(entry, dict):
            raise BundleRejected("The bundle's file list is malformed.")
        path = check_name(str(entry.get("path", "")))
        if path in CONTROL_NAMES or path in listed:
            raise BundleRejected(f"The bundle's file list names {path!r} twice or reserved.")
        size, digest = entry.get("size"), str(entry.get("sha256", ""))
        cap = MAX_MEMBER_BYTES.get(str(entry.get("media_type")), 1 << 20)
        if not isinstance(size, int) or not 0 <= size <= cap:
            raise BundleRejected(f"{path!r} is larger than a persona file may be.")
        listed[path] = (size, digest)
    present = {check_name(i.filename) for i in archive.infolist()} - set(CONTROL_NAMES)
    if present - set(listed):
        raise BundleRejected(f"The bundle contains files its manifest does not list: "
                             f"{', '.join(sorted(present - set(listed)))}.")
    if set(listed) - present:
        raise BundleRejected(f"The bundle lacks files its manifest lists: "
                             f"{', '.join(sorted(set(listed) - present))}.")
    try:
        references = referenced_members(manifest)
    except ValueError as error:
        raise BundleRejected(f"The bundle's manifest is malformed: {error}.") from error
    for path, _kind in references.items():
        name = _name_problem(path)
        if name is not None or path not in listed:
            raise BundleRejected(f"The manifest points at {path!r}, which is not a file listed "
                                 "in the bundle." if name is None else
                                 f"The manifest points at {path!r}: {name}.")
    if sum(size for size, _ in listed.values()) > MAX_TOTAL_BYTES:
        raise BundleRejected("The bundle's files add up to more than a persona may take.")

    persona_id, version = manifest["id"], manifest["version"]
    _check_id_claim(persona_id, verification)
    replaced = _installed_version(personas_dir / persona_id)
    if replaced is not None:
        _check_update_keeps_signer(personas_dir / persona_id, manifest, verification)
    if replaced is not None and (version == replaced or (version < replaced
                                 and not allow_downgrade)):
        raise BundleRejected(
            f"Version {replaced} of this persona is already installed; this bundle is "
            f"version {version}.", "Nothing was changed. Import a newer version to update it"
            + (", or ask for the older one explicitly (hearth import --downgrade)."
               if version < replaced else "."))
    if revoked is not None:
        revocation_id = license_.get("revocation_id")
        if isinstance(revocation_id, str) and revocation_id in revoked.ids:
            raise BundleRejected(
                f"Its rights holder switched this persona off (revoked since "
                f"{revoked.ids[revocation_id] or 'an earlier date'}).",
                "Nothing was installed; a revoked persona cannot be used.")
        if verification.publisher_key_id in revoked.keys:
            raise BundleRejected(
                f"The key {verification.publisher} signed this bundle with was revoked as "
                "compromised.", "Nothing was installed. Ask the publisher for a bundle signed "
                "with its new key.")
    return Inspection(archive, manifest_bytes, manifest, verification, listed, replaced)


def import_bundle(source: Path, personas_dir: Path, trusted_publishers: dict[str, bytes],
                  now: datetime | None = None, allow_downgrade: bool = False,
                  region: str | None = None, revoked: Revoked | None = None) -> Imported:
    started = time.monotonic()
    checked = inspect_bundle(source, personas_dir, trusted_publishers, now, allow_downgrade,
                             region, revoked)
    archive, manifest, manifest_bytes = checked.archive, checked.manifest, checked.manifest_bytes
    verification, listed, replaced = checked.verification, checked.listed, \
        checked.replaced_version
    persona_id, version = checked.persona_id, checked.version
    target = personas_dir / persona_id

    personas_dir.mkdir(parents=True, exist_ok=True)
    staging = personas_dir / f".import-{os.getpid()}-{time.monotonic_ns()}"
    staging.mkdir(mode=0o700)
    try:
        for path, (size, digest) in listed.items():
            if time.monotonic() - started > MAX_SECONDS:
                raise BundleRejected("Checking the bundle took too long.")
            _extract(archive, path, staging, size, digest)
        (staging / "manifest.json").write_bytes(manifest_bytes)
        (staging / "persona.json").write_text(json.dumps(
            _persona_json(manifest), ensure_ascii=False, indent=1), encoding="utf-8")
        (staging / "install.json").write_text(json.dumps({
            "verified": verification.verified, "publisher": verification.publisher,
            "publisher_key_id": verification.publisher_key_id,
            "licensor_signed": verification.licensor_signed,
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }), encoding="utf-8")
        kinds = _check_kinds(staging, manifest)
        _check_images(staging, kinds)
        _check_models(staging, manifest, kinds)
        _check_face(staging, manifest, set(listed))
        from desktop.personas.library import load_persona

        load_persona(staging)  # the installed folder must load, or nothing is installed
        if target.exists():
            old = personas_dir / f".replaced-{persona_id}-{time.monotonic_ns()}"
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Imported(persona_id, version, target, verification, replaced)


APP_PREFIX = "org.hearth."


def _check_id_claim(persona_id: str, verification: Verification) -> None:
    """Ids under the app's own prefix belong to the Hearth project: only a bundle vouched for
    by a publisher Hearth trusts for that prefix may take one (the shipped persona's id
    among them)."""
    if persona_id.startswith(APP_PREFIX) and not verification.verified:
        raise BundleRejected(f"The id {persona_id!r} belongs to the Hearth project, and this "
                             "bundle is not signed by it.",
                             "Nothing was installed. A persona of your own needs an id of "
                             "its own.")


def _check_update_keeps_signer(folder: Path, manifest: dict,
                               verification: Verification) -> None:
    """Trust is pinned per persona id: an update must come from the licensor whose key
    signed the installed version, and, if that one was verified, be verified too. Anything
    else would take over the persona and its memories."""
    try:
        installed = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        installed_key = str((installed.get("license") or {}).get("licensor_key") or "")
    except (OSError, ValueError, AttributeError):
        installed_key = ""  # a card or a damaged install: nothing was signed
    try:
        record = json.loads((folder / "install.json").read_text(encoding="utf-8"))
        was_verified = bool(record.get("verified")) if isinstance(record, dict) else False
    except (OSError, ValueError):
        was_verified = False
    new_key = str(manifest["license"].get("licensor_key") or "")
    name = str(next(iter((installed.get("names") or {}).values()), "this persona")) \
        if installed_key else "this persona"
    if installed_key and (new_key != installed_key or not verification.licensor_signed):
        raise BundleRejected(
            f"The installed {name} was signed by its licensor; this update is not signed by "
            "the same licensor.", "Nothing was changed, and its memories stay with the "
            "installed one. If the licensor changed their key, ask them for an update signed "
            "with the old one.")
    if was_verified and not verification.verified:
        raise BundleRejected(
            f"The installed {name} is verified by a trusted publisher; this update is not.",
            "Nothing was changed, and its memories stay with the installed one.")


def _installed_version(folder: Path) -> int | None:
    try:
        return int(json.loads((folder / "persona.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _extract(archive: zipfile.ZipFile, path: str, staging: Path, size: int,
             digest: str) -> None:
    try:
        _extract_member(archive, path, staging, size, digest)
    except ARCHIVE_ERRORS as error:
        raise BundleRejected(f"{path!r} in the bundle is damaged ({error}).") from error


def _extract_member(archive: zipfile.ZipFile, path: str, staging: Path, size: int,
                    digest: str) -> None:
    destination = staging / path
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    hasher = hashlib.sha256()
    produced = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(destination, flags, 0o600)
    with os.fdopen(descriptor, "wb") as out, archive.open(path) as member:
        while True:
            block = member.read(1 << 16)
            if not block:
                break
            produced += len(block)
            if produced > size:  # counted on the bytes actually produced
                raise BundleRejected(f"{path!r} is larger than its manifest says.")
            hasher.update(block)
            out.write(block)
    if produced != size or hasher.hexdigest() != digest:
        raise BundleRejected(f"{path!r} does not match its manifest (size or SHA-256): the "
                             "bundle was changed or damaged after it was made.")


def _check_kinds(staging: Path, manifest: dict) -> dict[str, str]:
    """Each member's kind from its bytes. A member whose declared media type is not what it
    is, or that a field uses as something it is not, is refused."""
    from desktop.personas.claims import referenced_members, sniff

    kinds = {}
    for entry in manifest["files"]:
        path = staging / entry["path"]
        with path.open("rb") as handle:
            head = handle.read(4096)
        whole = path.read_bytes() if head[:1] in (b"{", b"[") or len(head) < 4096 else None
        kind = sniff(head, whole if whole is not None else head)
        declared = str(entry.get("media_type"))
        text_like = {"text/plain", "application/json"}
        if kind != declared and not (kind in text_like and declared in text_like):
            raise BundleRejected(f"{entry['path']!r} is declared as {declared} but is "
                                 f"{_kind_name(kind)}.")
        kinds[entry["path"]] = kind
    for path, wanted in referenced_members(manifest).items():
        kind = kinds[path]
        if not (kind.startswith("image/") if wanted == "image" else kind == wanted or (
                wanted == "application/json" and kind == "text/plain")):
            raise BundleRejected(f"The manifest uses {path!r} as "
                                 f"{'an image' if wanted == 'image' else _kind_name(wanted)}, "
                                 f"but it is {_kind_name(kind)}.")
    return kinds


def _kind_name(kind: str) -> str:
    return {"image/png": "a PNG image", "image/jpeg": "a JPEG image",
            "application/onnx": "an ONNX model", "video/mp4": "an MP4 video",
            "application/json": "JSON", "text/plain": "text"}.get(kind, "unreadable data")


def _check_images(staging: Path, kinds: dict[str, str]) -> None:
    for path, kind in kinds.items():
        if kind.startswith("image/"):
            _check_image(staging / path, path)


def _check_models(staging: Path, manifest: dict, kinds: dict[str, str]) -> None:
    """ONNX members (a voice, a renderer): single-file, no custom operators (T24), and loaded
    once in a child process with memory and time limits; a voice the persona names must come
    with valid settings (T25)."""
    from desktop.errors import HearthError
    from desktop.models.sideload import check_onnx, trial_load
    from desktop.voice.tts import check_voice_files

    for path, kind in kinds.items():
        if kind == "application/onnx":
            try:
                check_onnx(staging / path)
            except HearthError as error:
                raise BundleRejected(f"The model {path!r} in the bundle was refused: "
                                     f"{error.problem}") from error
    for name in (manifest.get("voice") or {}).values():
        if str(name).endswith(".onnx"):
            try:
                check_voice_files(staging / check_name(str(name)))
                trial_load("voice", staging / str(name))
            except HearthError as error:
                raise BundleRejected(f"The voice {name!r} in the bundle was refused: "
                                     f"{error.problem}") from error
    renderer = (manifest.get("renderer") or {}).get("path")
    if renderer:
        try:
            trial_load("renderer", staging / str(renderer))
        except HearthError as error:
            raise BundleRejected(f"The face renderer {renderer!r} in the bundle was refused: "
                                 f"{error.problem}") from error


FACE_FOLDER = "face"


def _check_face(staging: Path, manifest: dict, listed: set[str]) -> None:
    """A hearth-face-v2 face (docs/face.md): its own manifest read with types and ranges,
    every file it names listed (so hashed and signed) inside ``face/``, nothing else there,
    the generator a single-file standard-operator ONNX, and the whole face loaded and one
    speaking frame rendered in a child process with memory and time limits."""
    face = manifest.get("face")
    in_folder = {path for path in listed if path.startswith(FACE_FOLDER + "/")}
    if face is None:
        if in_folder:
            raise BundleRejected("The bundle has a face folder but its manifest declares no "
                                 "face.")
        return
    from desktop.errors import HearthError
    from desktop.face.manifest import parse_face_manifest
    from desktop.models.sideload import check_onnx, trial_load

    if not isinstance(face, dict) or face.get("contract") != "hearth-face-v2":
        raise BundleRejected("The bundle's face is not a hearth-face-v2 face.",
                             "Ask its publisher for a copy made for this version of Hearth.")
    if f"{FACE_FOLDER}/manifest.json" not in listed:
        raise BundleRejected("The bundle declares a face but has no face/manifest.json.")
    folder = staging / FACE_FOLDER
    try:
        face_manifest = parse_face_manifest((folder / "manifest.json").read_bytes())
        named = {f"{FACE_FOLDER}/{name}" for name in face_manifest.files()}
        missing = named - listed
        if missing:
            raise BundleRejected(f"The face names files the bundle does not list: "
                                 f"{', '.join(sorted(missing))}.")
        extra = in_folder - named - {f"{FACE_FOLDER}/manifest.json"}
        if extra:
            raise BundleRejected(f"The face folder holds files its manifest does not name: "
                                 f"{', '.join(sorted(extra))}.")
        check_onnx(folder / face_manifest.generator)
        trial_load("likeness", folder)
    except BundleRejected:
        raise
    except HearthError as error:
        raise BundleRejected(f"The persona's face was refused: {error.problem}") from error


def _check_image(path: Path, name: str) -> None:
    """Decode an image in a child process with a pixel cap; it is re-encoded as PNG there."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "desktop.personas.image_check", str(path)],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["it could not be decoded"])[-1]
        raise BundleRejected(f"The image {name!r} was refused: {reason[:200]}.")


def _persona_json(manifest: dict) -> dict:
    """The library's persona.json, from the verified manifest."""
    keys = ("id", "version", "names", "languages", "description", "personality", "greetings",
            "sample_lines", "portrait", "face_rig", "voice", "license", "lore", "renderer",
            "expressions", "face")
    return {"format": "hearth-persona-installed-1",
            **{k: manifest[k] for k in keys if k in manifest}}
