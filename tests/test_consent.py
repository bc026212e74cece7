"""Consent for a real likeness: the creator and ``hearth create --face`` record whose face it
is and the SHA-256 of the evidence; the user's own real likeness installs on this computer;
someone else's likeness without evidence is never exported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.fixtures.face_v2 import write_face_folder
from desktop.likeness.build import Consent, sha256_file
from desktop.paths import DataDirs, shipped
from desktop.personas.archive import BundleRejected
from desktop.personas.creator import export_installed, user_signer
from desktop.personas.library import PersonaLibrary
from tests.test_face_v2 import SMALL

ROOT = Path(__file__).resolve().parent.parent
PHOTO = shipped("personas", "wren", "portrait.png").read_bytes()


def hearth(home: DataDirs, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEARTH_HOME": str(home.root)}
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


@pytest.fixture
def built_face(tmp_path: Path) -> Path:
    """What hearth likeness build leaves: OUT/face and OUT/consent.json."""
    out = tmp_path / "likeness"
    write_face_folder(out / "face", SMALL, frames=20, side=256)
    source = tmp_path / "talking.mp4"
    source.write_bytes(b"the source video's bytes")
    record = Consent("own").record([sha256_file(source)])
    (out / "consent.json").write_text(json.dumps(record))
    return out / "face"


def test_a_face_from_the_likeness_builder_installs_as_the_users_own_real_likeness(
        tmp_path: Path, empty_home: DataDirs, built_face: Path) -> None:
    done = hearth(empty_home, "create", "--name", "Me", "--face", str(built_face),
                  "--description", "Me, as I talk to my friends, warm and a little dry.",
                  "--out", str(tmp_path / "me.persona"), "--install")
    assert done.returncode == 0, done.stderr
    persona = PersonaLibrary(empty_home).get("user.me")
    assert persona.verified and persona.face_folder() is not None
    consent = persona.license["consent"]
    assert persona.license["subject"] == "real_person" and consent["basis"] == "own"
    assert consent["evidence_sha256"] == [json.loads(
        (built_face.parent / "consent.json").read_text())["evidence_sha256"][0]]
    # On another computer the user's key vouches for nobody: a real person is refused there.
    other = DataDirs(tmp_path / "other").ensure()
    refused = hearth(other, "import", str(tmp_path / "me.persona"))
    assert refused.returncode != 0 and "real person" in refused.stderr


def test_a_face_without_its_consent_record_is_refused(tmp_path: Path, empty_home: DataDirs,
                                                      built_face: Path) -> None:
    (built_face.parent / "consent.json").unlink()
    done = hearth(empty_home, "create", "--name", "Me", "--face", str(built_face),
                  "--description", "Me, as I talk to my friends, warm and a little dry.",
                  "--install")
    assert done.returncode == 1 and "no readable consent record" in done.stderr
    assert not (empty_home.personas / "user.me").exists()


def test_someone_elses_likeness_without_evidence_stays_on_this_computer(
        tmp_path: Path, empty_home: DataDirs) -> None:
    photo = tmp_path / "friend.png"
    photo.write_bytes(PHOTO)
    base = ["create", "--name", "Kim", "--photo", str(photo), "--consent", "permission",
            "--description", "Kim, my friend from school, who laughs at everything."]
    refused = hearth(empty_home, *base, "--out", str(tmp_path / "kim.persona"))
    assert refused.returncode == 1 and "cannot be exported" in refused.stderr
    assert not (tmp_path / "kim.persona").exists()
    installed = hearth(empty_home, *base, "--install")
    assert installed.returncode == 0, installed.stderr
    persona = PersonaLibrary(empty_home).get("user.kim")
    assert persona.license["consent"] == {
        "basis": "permission", "evidence_sha256": [],
        "statement": "The person shown gave me permission to make and use this likeness."}
    assert list(tmp_path.glob("*.persona")) == []  # no bundle file was left anywhere
    with pytest.raises(BundleRejected, match="stays on this computer"):
        export_installed(persona.folder, tmp_path / "again.persona",
                         user_signer(empty_home.root / "keys"))
    # With the evidence of permission it may be exported.
    release = tmp_path / "release.pdf"
    release.write_bytes(b"%PDF signed release")
    done = hearth(empty_home, *base, "--evidence", str(release), "--out",
                  str(tmp_path / "kim.persona"))
    assert done.returncode == 0, done.stderr


def test_the_creator_asks_whose_face_it_is_when_not_told(tmp_path: Path,
                                                        empty_home: DataDirs) -> None:
    photo = tmp_path / "me.png"
    photo.write_bytes(PHOTO)
    done = hearth(empty_home, "create", "--name", "Me", "--photo", str(photo), "--description",
                  "Me, as I talk to my friends, warm and a little dry.", "--install")
    assert done.returncode == 2 and "--consent own" in done.stderr
