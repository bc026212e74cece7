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
import json
import os
import re
import shutil
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from desktop.personas.archive import (
    MAX_BUNDLE_BYTES,
    BundleRejected,
    canonical,
    check_name,
    extract,
    inspect_zip,
    name_problem,
    read_small,
    strict_json,
)
from desktop.personas.claims import license_value_problem, referenced_members
from desktop.personas.license import license_problem
from desktop.personas.member_checks import check_face, check_images, check_kinds, check_models
from desktop.personas.signing import Signer, Verification, verify

FORMAT = "hearth-persona-1"
MAX_MANIFEST_BYTES = 256 << 10
MAX_MEMBER_BYTES = {"image/png": 16 << 20, "image/jpeg": 16 << 20,
                    "application/onnx": 256 << 20, "application/json": 1 << 20,
                    "video/mp4": 192 << 20, "text/plain": 1 << 20}
MAX_TOTAL_BYTES = 600 << 20
MAX_SECONDS = 60.0
CONTROL_NAMES = ("manifest.json", "signatures.json")


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
    """All the checks that need no extraction, in this order: structure, manifest,
    signatures, license, file list, version, revocation. The window shows the result before
    the user confirms."""
    data = source.read_bytes() if source.stat().st_size <= MAX_BUNDLE_BYTES else b"x" * (
        MAX_BUNDLE_BYTES + 1)
    archive = inspect_zip(data)
    manifest_bytes = read_small(archive, "manifest.json", MAX_MANIFEST_BYTES)
    manifest = _check_manifest(strict_json(manifest_bytes, "manifest"))
    signatures = strict_json(read_small(archive, "signatures.json", 64 << 10), "signature list")
    verification = verify(manifest_bytes, manifest, signatures, trusted_publishers)
    _check_license(manifest["license"], verification, now, region)
    listed = _listed_files(manifest, archive)
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
        _check_not_revoked(manifest["license"], verification, revoked)
    return Inspection(archive, manifest_bytes, manifest, verification, listed, replaced)


def _check_license(license_: dict, verification: Verification, now: datetime | None,
                   region: str | None) -> None:
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
    unreadable = license_value_problem(license_, require_subject=True)
    if unreadable:
        raise BundleRejected(f"This persona cannot be used: {unreadable}.",
                             "Hearth reads a license value it cannot understand as a denial. "
                             "Ask the licensor for a corrected bundle.")


def _listed_files(manifest: dict, archive: zipfile.ZipFile) -> dict[str, tuple[int, str]]:
    """The manifest's file list, checked: names, sizes, exactly the archive's members, and
    every file a field points at among them. Returns path -> (size, SHA-256)."""
    listed: dict[str, tuple[int, str]] = {}
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
    for path in references:
        name = name_problem(path)
        if name is not None or path not in listed:
            raise BundleRejected(f"The manifest points at {path!r}, which is not a file listed "
                                 "in the bundle." if name is None else
                                 f"The manifest points at {path!r}: {name}.")
    if sum(size for size, _ in listed.values()) > MAX_TOTAL_BYTES:
        raise BundleRejected("The bundle's files add up to more than a persona may take.")
    return listed


def _check_not_revoked(license_: dict, verification: Verification, revoked: Revoked) -> None:
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
            extract(archive, path, staging, size, digest)
        (staging / "manifest.json").write_bytes(manifest_bytes)
        (staging / "persona.json").write_text(json.dumps(
            _persona_json(manifest), ensure_ascii=False, indent=1), encoding="utf-8")
        (staging / "install.json").write_text(json.dumps({
            "verified": verification.verified, "publisher": verification.publisher,
            "publisher_key_id": verification.publisher_key_id,
            "licensor_signed": verification.licensor_signed,
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }), encoding="utf-8")
        kinds = check_kinds(staging, manifest)
        check_images(staging, kinds)
        check_models(staging, manifest, kinds)
        check_face(staging, manifest, set(listed))
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


def _persona_json(manifest: dict) -> dict:
    """The library's persona.json, from the verified manifest."""
    keys = ("id", "version", "names", "languages", "description", "personality", "greetings",
            "alternate_greetings", "sample_lines", "portrait", "face_rig", "voice", "license",
            "lore", "renderer", "expressions", "face")
    return {"format": "hearth-persona-installed-1",
            **{k: manifest[k] for k in keys if k in manifest}}
