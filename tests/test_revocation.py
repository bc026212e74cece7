"""Signed revocation lists: a revoked persona stops working at once and keeps its memories; a
list without a trusted signature or not newer is refused; an old list only warns."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.app import Hearth
from desktop.personas.archive import BundleRejected
from desktop.personas.revocation import sign_list
from desktop.personas.signing import Signer
from desktop.settings import Settings
from tests.test_bundle import bundle
from tests.test_first_call import Events

PUBLISHER = Signer.generate("Test Publisher")


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def hearth(hearth_home, tmp_path: Path):
    Settings(trusted_publishers={
        "Test Publisher": base64.b64encode(PUBLISHER.public_key).decode()}).save(
        hearth_home.root)
    app = Hearth(hearth_home).open()
    app.import_bundle(bundle(tmp_path, license={"revocation_id": "rev-ada-1"}))
    yield app
    app.close()


def test_a_revoked_persona_stops_working_and_keeps_its_memories(hearth, tmp_path: Path) -> None:
    persona = hearth.library.get("org.example.ada")
    hearth.store.append_turn(persona.id, "user", "remember me").result(timeout=5)
    assert hearth.conversation(persona, Events()).llm is not None
    revocations = sign_list("Test Publisher", PUBLISHER, 1, [
        {"revocation_id": "rev-ada-1", "since": "2026-11-01T00:00:00Z",
         "reason": "consent withdrawn"}])
    assert hearth.import_revocations(write(tmp_path / "rev.json", revocations)) == 1
    conversation = hearth.conversation(persona, Events())
    assert conversation.llm is None
    assert any("revoked on 2026-11-01 (consent withdrawn)" in p.text
               for p in hearth.engines.problems)
    assert [t.text for t in hearth.store.turns(persona.id)] == ["remember me"]
    assert hearth.export_memory(persona.id)["turns"]  # still the user's to export or delete


def test_untrusted_altered_or_older_lists_are_refused(hearth, tmp_path: Path) -> None:
    stranger = Signer.generate("Test Publisher")  # right name, wrong key
    forged = sign_list("Test Publisher", stranger, 5, [])
    with pytest.raises(BundleRejected, match="not signed by a publisher Hearth trusts"):
        hearth.import_revocations(write(tmp_path / "forged.json", forged))
    good = sign_list("Test Publisher", PUBLISHER, 2, [])
    altered = {**good, "revoked": [{"revocation_id": "rev-ada-1"}]}
    with pytest.raises(BundleRejected, match="not signed"):
        hearth.import_revocations(write(tmp_path / "altered.json", altered))
    assert hearth.import_revocations(write(tmp_path / "good.json", good)) == 2
    older = sign_list("Test Publisher", PUBLISHER, 1, [{"revocation_id": "rev-ada-1"}])
    with pytest.raises(BundleRejected, match="not newer"):
        hearth.import_revocations(write(tmp_path / "older.json", older))
    persona = hearth.library.get("org.example.ada")
    assert hearth.conversation(persona, Events()).llm is not None  # nothing was revoked


def test_an_old_list_warns_without_blocking(hearth, tmp_path: Path) -> None:
    issued = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    old = sign_list("Test Publisher", PUBLISHER, 1, [], issued_at=issued)
    hearth.import_revocations(write(tmp_path / "old.json", old))
    persona = hearth.library.get("org.example.ada")
    assert hearth.conversation(persona, Events()).llm is not None
    assert any(p.part == "revocations" and "60 days old" in p.text
               for p in hearth.engines.problems)


def test_rollback_is_refused_unless_asked_for(hearth, tmp_path: Path) -> None:
    hearth.import_bundle(bundle(tmp_path, "v3.persona", version=3,
                                license={"revocation_id": "rev-ada-1"}))
    older = bundle(tmp_path, "v2.persona", version=2, license={"revocation_id": "rev-ada-1"})
    with pytest.raises(BundleRejected, match="--downgrade"):
        hearth.import_bundle(older)
    assert hearth.import_bundle(older, allow_downgrade=True).replaced_version == 3
    assert hearth.library.get("org.example.ada").version == 2


def test_key_rotation_needs_the_old_keys_signature(hearth, tmp_path: Path) -> None:
    from desktop.personas.signing import sign_rotation

    new = Signer.generate("Test Publisher")
    self_signed = sign_rotation("Test Publisher", new, new)  # a new key alone proves nothing
    with pytest.raises(BundleRejected, match="not signed by the key Hearth trusts"):
        hearth.rotate_publisher_key(write(tmp_path / "self.json", self_signed))
    cross = sign_rotation("Test Publisher", PUBLISHER, new)
    assert hearth.rotate_publisher_key(write(tmp_path / "cross.json", cross)) == "Test Publisher"
    # Bundles vouched for by the new key now verify.
    from desktop.personas.bundle import build_bundle
    from tests.test_bundle import PORTRAIT, manifest

    path = build_bundle(tmp_path / "real.persona", manifest(
        id="org.example.real", license={"subject": "real_person"}),
        {"portrait.png": PORTRAIT}, Signer.generate("Estate"), ("Test Publisher", new))
    assert hearth.inspect_bundle(path).verification.verified


def test_a_revoked_publisher_key_disables_what_it_vouched_for_at_the_next_load(
    hearth, tmp_path: Path
) -> None:
    from desktop.personas.bundle import build_bundle
    from tests.test_bundle import PORTRAIT, manifest

    path = build_bundle(tmp_path / "real.persona", manifest(
        id="org.example.real", license={"subject": "real_person"}),
        {"portrait.png": PORTRAIT}, Signer.generate("Estate"), ("Test Publisher", PUBLISHER))
    hearth.import_bundle(path)
    persona = hearth.library.get("org.example.real")
    assert persona.verified and hearth.conversation(persona, Events()).llm is not None
    signed = sign_list("Test Publisher", PUBLISHER, 1, [], revoked_keys=[PUBLISHER.key_id()])
    hearth.import_revocations(write(tmp_path / "keys.json", signed))
    persona = hearth.library.get("org.example.real")
    assert hearth.conversation(persona, Events()).llm is None
    assert any("publisher key that vouched for it was revoked" in p.text
               for p in hearth.engines.problems)


def test_a_list_dated_without_a_time_zone_is_read_as_utc(hearth, tmp_path: Path) -> None:
    old = sign_list("Test Publisher", PUBLISHER, 1, [], issued_at="2020-01-01T00:00:00")
    hearth.import_revocations(write(tmp_path / "naive.json", old))
    persona = hearth.library.get("org.example.ada")
    assert hearth.conversation(persona, Events()).llm is not None
    assert any(p.part == "revocations" and "days old" in p.text
               for p in hearth.engines.problems)
