"""Creating a persona: a photo and a description become a .persona signed with the user's own
key, which imports like any bundle, chats, and exports again identically."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from desktop.paths import shipped
from desktop.personas.archive import BundleRejected
from desktop.personas.bundle import import_bundle
from desktop.personas.creator import PersonaDraft, export_draft, export_installed, user_signer

ROOT = Path(__file__).resolve().parent.parent
PHOTO = shipped("personas", "wren", "portrait.png").read_bytes()


def draft(**changes) -> PersonaDraft:
    values = {"persona_id": "user.sam", "name": "Sam",
              "description": "Sam is a patient piano teacher who loves jazz and long walks.",
              "photo": PHOTO, "greeting": "Hi, I'm Sam.", "sample_lines": ["Let's play it."]}
    values.update(changes)
    return PersonaDraft(**values)


def test_the_users_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = user_signer(tmp_path / "keys")
    again = user_signer(tmp_path / "keys")
    assert first.public_key == again.public_key
    mode = stat.S_IMODE((tmp_path / "keys" / "user-ed25519.pem").stat().st_mode)
    assert mode == 0o600


def test_a_created_persona_imports_and_re_exports_identically(tmp_path: Path) -> None:
    signer = user_signer(tmp_path / "keys")
    exported = export_draft(draft(), tmp_path / "sam.persona", signer)
    library = tmp_path / "personas"
    done = import_bundle(exported, library, {})
    assert done.verification.licensor_signed and not done.verification.verified
    again = export_installed(library / "user.sam", tmp_path / "sam-again.persona", signer)
    with zipfile.ZipFile(exported) as a, zipfile.ZipFile(again) as b:
        assert a.read("manifest.json") == b.read("manifest.json")
        assert a.read("portrait.png") == b.read("portrait.png")


def test_a_draft_with_problems_says_what_to_fix(tmp_path: Path) -> None:
    signer = user_signer(tmp_path / "keys")
    with pytest.raises(BundleRejected, match="20 to 1000 characters"):
        export_draft(draft(description="too short"), tmp_path / "x.persona", signer)
    with pytest.raises(BundleRejected, match="photo cannot be used"):
        export_draft(draft(photo=b"not an image"), tmp_path / "y.persona", signer)


def hearth_create(home, photo: bytes, folder: Path, name: str, description: str
                  ) -> subprocess.CompletedProcess:
    """``hearth create ... --install`` in a child process, on the data folder ``home``."""
    path = folder / "photo.png"
    path.write_bytes(photo)
    env = {**os.environ, "HEARTH_HOME": str(home.root)}
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", "create", "--name", name, "--photo", str(path),
         "--description", description, "--out", str(folder / f"{name}.persona"), "--install",
         "--consent", "none"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_hearth_create_on_the_command_line(tmp_path: Path, empty_home) -> None:
    done = hearth_create(empty_home, PHOTO, tmp_path, "Sam",
                         "Sam is a patient piano teacher who loves jazz.")
    assert done.returncode == 0, done.stderr
    assert "signed with your key" in done.stdout and "Installed Sam" in done.stdout
    installed = json.loads((empty_home.personas / "user.sam" / "persona.json").read_text())
    assert installed["license"]["licensor"] == "You"


def test_three_points_give_a_whole_rig_in_a_faces_proportions() -> None:
    from desktop.face.contract import rig_from_points

    wren = json.loads(shipped("personas", "wren", "persona.json").read_text())["face_rig"]
    rig = rig_from_points(tuple(wren["left_eye"]), tuple(wren["right_eye"]),
                          tuple(wren["mouth_center"]))
    for key in ("mouth_size", "face_center", "face_size"):
        assert rig[key] == pytest.approx(wren[key], abs=0.02), key
