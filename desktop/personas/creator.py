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
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.personas.bundle import BundleRejected, Signer, build_bundle
from desktop.personas.cards import DEFAULT_RIG

MAX_DESCRIPTION = 1000


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

    def problems(self) -> list[str]:
        found = []
        if not self.name.strip():
            found.append("The persona needs a name.")
        if not 20 <= len(self.description.strip()) <= MAX_DESCRIPTION:
            found.append("Describe the persona in 20 to 1000 characters (about 200 is good).")
        if not self.photo:
            found.append("The persona needs a photo.")
        return found


def _portrait_png(photo: bytes) -> bytes:
    """The photo decoded in a child process with a pixel cap and re-encoded as PNG."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo"
        path.write_bytes(photo)
        done = subprocess.run([sys.executable, "-m", "desktop.personas.image_check", str(path)],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["it could not be decoded"])[-1]
            raise BundleRejected(f"The photo cannot be used: {reason}.",
                                 "Choose a PNG or JPEG photo.")
        return path.read_bytes()


def export_draft(draft: PersonaDraft, target: Path, signer: Signer) -> Path:
    problems = draft.problems()
    if problems:
        raise BundleRejected(" ".join(problems), "Fix these and export again.")
    manifest = {
        "id": draft.persona_id, "version": draft.version, "names": {draft.language: draft.name},
        "languages": [draft.language], "description": draft.description.strip(),
        "personality": draft.personality.strip(), "sample_lines": draft.sample_lines,
        "greetings": {draft.language: draft.greeting.strip()} if draft.greeting else {},
        "portrait": "portrait.png", "face_rig": draft.face_rig or DEFAULT_RIG,
        "voice": {draft.language: draft.voice} if draft.voice else {},
        "license": {"licensor": draft.creator, "subject": "fictional",
                    "modes": ["text", "voice_call", "video_call"],
                    "disclosure": f"{draft.name} is an AI persona made by {draft.creator}."},
    }
    return build_bundle(target, manifest, {"portrait.png": _portrait_png(draft.photo)}, signer)


def export_installed(folder: Path, target: Path, signer: Signer) -> Path:
    """Export an installed persona again, from its verified manifest and files."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
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


def rig_from_points(left_eye: tuple[float, float], right_eye: tuple[float, float],
                    mouth: tuple[float, float]) -> dict:
    """A full face rig from the three points the user places on the photo (grid coordinates,
    [-1, 1], y down), in the proportions of a typical face: the mouth's width and the face's
    extent follow from the distance between the eyes."""
    eyes = ((right_eye[0] - left_eye[0]) ** 2 + (right_eye[1] - left_eye[1]) ** 2) ** 0.5
    eyes = max(eyes, 0.05)
    middle = ((left_eye[0] + right_eye[0]) / 2, (left_eye[1] + right_eye[1]) / 2)

    def clip(value: float) -> float:
        return round(max(-1.5, min(1.5, value)), 4)

    return {
        "left_eye": [clip(left_eye[0]), clip(left_eye[1])],
        "right_eye": [clip(right_eye[0]), clip(right_eye[1])],
        "mouth_center": [clip(mouth[0]), clip(mouth[1])],
        "mouth_size": [clip(0.85 * eyes), clip(0.2 * eyes)],
        "face_center": [clip(middle[0]), clip(middle[1] + 0.15 * eyes)],
        "face_size": [clip(2.43 * eyes), clip(3.2 * eyes)],
    }
