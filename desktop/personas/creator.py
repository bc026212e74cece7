"""Creating a persona of one's own and exporting it as a ``.persona`` signed with the user's key.

The user's Ed25519 key is generated on first use and kept in ``<data>/keys`` (owner-only). The
export goes through ``build_bundle`` and, to install it, through the same ``import_bundle`` as
any other bundle: a created persona is checked exactly like a downloaded one.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.child import child_command
from desktop.face.contract import DEFAULT_RIG
from desktop.personas.archive import BundleRejected
from desktop.personas.bundle import build_bundle
from desktop.personas.signing import Signer

MAX_DESCRIPTION = 1000
# The user's own key vouches, on this computer only, for the personas they made themselves
# (ids under "user."): so a likeness of the user, or of someone who gave them leave, with the
# consent recorded, installs here. Another computer does not trust this key: a real person
# shared with others needs a publisher Hearth trusts, as every real-person bundle does.
OWN_PUBLISHER = "You (this computer)"
OWN_PREFIX = "user."
CONSENT_BASES = ("own", "permission")


def own_public_key(keys_dir: Path) -> bytes | None:
    """The user's public key if they have made one (nothing is created here)."""
    if not (keys_dir / "user-ed25519.pem").is_file():
        return None
    try:
        return user_signer(keys_dir).public_key
    except (OSError, ValueError):
        return None


def user_signer(keys_dir: Path, name: str = "You") -> Signer:
    """The user's own signing key, created on first use (readable by the user only)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = keys_dir / "user-ed25519.pem"
    if path.is_file():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    else:
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    return Signer(name, key, public)


@dataclass
class PersonaDraft:
    persona_id: str
    name: str
    description: str
    photo: bytes  # PNG or JPEG, from a file or a webcam frame
    language: str = "en"
    personality: str = ""
    sample_lines: list[str] = field(default_factory=list)
    greeting: str = ""
    voice: str | None = None  # a catalog voice id
    face_rig: dict | None = None  # from the face-placement step; centred guess if None
    creator: str = "You"
    version: int = 1
    # A real likeness: whose face and voice these are ("own" or "permission"), and the
    # SHA-256 of the evidence (the source video, the photo, a signed release).
    likeness: str | None = None
    consent_statement: str = ""
    evidence_sha256: list[str] = field(default_factory=list)
    face_dir: Path | None = None  # a hearth-face-v2 folder (hearth likeness build)

    @property
    def private(self) -> bool:
        """Someone else's likeness with no evidence of their permission: it may be used on
        this computer, never exported."""
        return self.likeness == "permission" and not self.evidence_sha256

    def problems(self) -> list[str]:
        found = []
        if not self.name.strip():
            found.append("The persona needs a name.")
        if not 20 <= len(self.description.strip()) <= MAX_DESCRIPTION:
            found.append("Describe the persona in 20 to 1000 characters (about 200 is good).")
        if not self.photo and self.face_dir is None:
            found.append("The persona needs a photo.")
        if self.likeness is not None and self.likeness not in CONSENT_BASES:
            found.append("Say whose face this is: your own, or someone's who gave you "
                         "permission.")
        if self.face_dir is not None and self.likeness is None:
            found.append("A face made from a video of a real person needs the consent record "
                         "(consent.json beside the face folder, written by hearth likeness "
                         "build).")
        return found


def _portrait_png(photo: bytes) -> bytes:
    """The photo decoded in a child process with a pixel cap and re-encoded as PNG."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo"
        path.write_bytes(photo)
        done = subprocess.run(child_command("desktop.personas.image_check", str(path)),
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["it could not be decoded"])[-1]
            raise BundleRejected(f"The photo cannot be used: {reason}.",
                                 "Choose a PNG or JPEG photo.")
        return path.read_bytes()


def read_consent(face_dir: Path) -> dict:
    """The likeness builder's consent record (``consent.json`` beside the face folder)."""
    path = face_dir.parent / "consent.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BundleRejected(f"The face in {face_dir} has no readable consent record "
                             f"({path.name}).", "Build the face with hearth likeness build, "
                             "which asks whose likeness it is.") from error
    evidence = data.get("evidence_sha256") if isinstance(data, dict) else None
    if not (isinstance(data, dict) and data.get("basis") in CONSENT_BASES
            and isinstance(evidence, list)
            and all(isinstance(e, str) and len(e) == 64 for e in evidence)):
        raise BundleRejected(f"The consent record {path} is not one Hearth wrote.",
                             "Build the face again with hearth likeness build.")
    return data


def face_files(face_dir: Path) -> tuple[dict[str, bytes], bytes]:
    """The face folder's files for the bundle (under ``face/``), checked against its own
    manifest, and a PNG of its first loop frame for the persona's portrait."""
    import cv2

    from desktop.face.manifest import FaceManifestInvalid, parse_face_manifest

    try:
        raw = (face_dir / "manifest.json").read_bytes()
        manifest = parse_face_manifest(raw)
        files = {"face/manifest.json": raw}
        for name in manifest.files():
            files[f"face/{name}"] = (face_dir / name).read_bytes()
    except FaceManifestInvalid as error:
        raise BundleRejected(error.problem, error.fix) from error
    except OSError as error:
        raise BundleRejected(f"The face folder {face_dir} is incomplete ({error.strerror}: "
                             f"{Path(str(error.filename)).name}).",
                             "Build it again with hearth likeness build.") from error
    capture = cv2.VideoCapture(str(face_dir / manifest.video))
    ok, first = capture.read()
    capture.release()
    if not ok:
        raise BundleRejected(f"The face video in {face_dir} cannot be decoded.",
                             "Build it again with hearth likeness build.")
    return files, cv2.imencode(".png", first)[1].tobytes()


def export_draft(draft: PersonaDraft, target: Path, signer: Signer,
                 allow_private: bool = False) -> Path:
    """Write the draft as a signed .persona. A private likeness (someone else's, with no
    evidence of permission) is written only when ``allow_private`` (to install it here at
    once, then the file is deleted by the caller)."""
    problems = draft.problems()
    if problems:
        raise BundleRejected(" ".join(problems), "Fix these and export again.")
    if draft.private and not allow_private:
        raise BundleRejected(
            "This is someone else's likeness and there is no evidence of their permission, "
            "so it stays on this computer: it cannot be exported.",
            "Install it instead (--install without --out), or give the evidence of their "
            "permission (--evidence FILE: a signed release, a recording of them agreeing).")
    files: dict[str, bytes] = {}
    portrait = draft.photo
    if draft.face_dir is not None:
        files, first_frame = face_files(draft.face_dir)
        portrait = portrait or first_frame
    files["portrait.png"] = _portrait_png(portrait)
    license_ = {"licensor": draft.creator, "subject": "fictional",
                "modes": ["text", "voice_call", "video_call"],
                "disclosure": {"en": f"{draft.name} is an AI persona made by {draft.creator}.",
                               "zh": f"{draft.name}是由{draft.creator}制作的 AI 角色。"}}
    if draft.likeness is not None:
        license_["subject"] = "real_person"
        license_["consent"] = {
            "basis": draft.likeness,
            "statement": draft.consent_statement or (
                "The face and voice are my own." if draft.likeness == "own" else
                "The person shown gave me permission to make and use this likeness."),
            "evidence_sha256": list(draft.evidence_sha256)}
        license_["disclosure"] = {
            "en": f"{draft.name} is an AI persona of a real person, made by {draft.creator} "
                  "with their consent.",
            "zh": f"{draft.name}是一位真实人物的 AI 角色，由{draft.creator}在本人同意下制作。"}
    manifest = {
        "id": draft.persona_id, "version": draft.version, "names": {draft.language: draft.name},
        "languages": [draft.language], "description": draft.description.strip(),
        "personality": draft.personality.strip(), "sample_lines": draft.sample_lines,
        "greetings": {draft.language: draft.greeting.strip()} if draft.greeting else {},
        "portrait": "portrait.png", "face_rig": draft.face_rig or DEFAULT_RIG,
        "voice": {draft.language: draft.voice} if draft.voice else {},
        "license": license_,
    }
    if draft.face_dir is not None:
        manifest["face"] = {"contract": "hearth-face-v2"}
    # A real likeness is also vouched for by the user's own key, as this computer's
    # publisher: it verifies here (desktop.app) and nowhere else.
    publisher = (OWN_PUBLISHER, signer) if draft.likeness is not None else None
    return build_bundle(target, manifest, files, signer, publisher)


def export_installed(folder: Path, target: Path, signer: Signer) -> Path:
    """Export an installed persona again, from its verified manifest and files. A private
    likeness (someone else's, no evidence of permission) is never exported."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    consent = manifest.get("license", {}).get("consent") or {}
    if consent.get("basis") == "permission" and not consent.get("evidence_sha256"):
        raise BundleRejected("This persona is someone else's likeness with no evidence of "
                             "their permission: it stays on this computer.",
                             "Nothing was exported.")
    files = {entry["path"]: (folder / entry["path"]).read_bytes()
             for entry in manifest.pop("files")}
    manifest.pop("format", None)
    license_ = dict(manifest["license"])
    license_.pop("licensor_key", None)
    manifest["license"] = license_
    return build_bundle(target, manifest, files, signer)


def public_key_text(signer: Signer) -> str:
    return base64.b64encode(signer.public_key).decode()


def square_photo(data: bytes, side: int = 512) -> tuple[bytes, np.ndarray]:
    """The user's photo cropped to a square around its centre, as portraits are, and scaled
    to ``side``: (PNG bytes, BGR pixels)."""
    import cv2

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.shape[0] * image.shape[1] > 4096 * 4096:
        raise BundleRejected("That photo cannot be read.", "Choose a PNG or JPEG photo.")
    crop = min(image.shape[:2])
    top, left = (image.shape[0] - crop) // 2, (image.shape[1] - crop) // 2
    square = cv2.resize(image[top:top + crop, left:left + crop], (side, side))
    _ok, png = cv2.imencode(".png", square)
    return png.tobytes(), square


