"""The publisher list signed by the app's root key (docs/reliability.md §3): the shipped list
verifies, an edited one vouches for nobody, and a publisher vouches only for its own ids."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from desktop.paths import asset
from desktop.personas.archive import BundleRejected
from desktop.personas.bundle import build_bundle, import_bundle
from desktop.personas.publishers import (
    APP_ROOT_KEYS,
    read_publisher_list,
    sign_publisher_list,
    trusted_publishers,
)
from desktop.personas.signing import Signer
from tests.test_bundle import PORTRAIT, manifest

ROOT = Signer.generate("test root")
ROOT_KEYS = {"test-root": base64.b64encode(ROOT.public_key).decode()}
STUDIO = Signer.generate("Studio")


def studio_list(**changes) -> bytes:
    body = {"version": 4, "issued": "2026-11-24T00:00:00Z", "publishers": [
        {"name": "Studio", "key": base64.b64encode(STUDIO.public_key).decode(),
         "id_prefixes": ["com.studio."]}], **changes}
    return json.dumps(sign_publisher_list(body, ROOT, "test-root")).encode()


def real_person(tmp_path: Path, persona_id: str) -> Path:
    return build_bundle(tmp_path / f"{persona_id}.persona",
                        manifest(id=persona_id, license={"subject": "real_person"}),
                        {"portrait.png": PORTRAIT}, Signer.generate("Estate"),
                        ("Studio", STUDIO))


def test_the_shipped_list_is_signed_by_the_compiled_root_key() -> None:
    shipped = read_publisher_list(asset("keys", "publishers.json").read_bytes())
    assert "The Hearth project" in shipped
    assert shipped.prefixes["The Hearth project"] == ("org.hearth.",)
    assert APP_ROOT_KEYS  # only public halves live in the app
    assert all(len(base64.b64decode(key)) == 32 for key in APP_ROOT_KEYS.values())


@pytest.mark.parametrize("tamper", ["add a publisher", "widen a prefix", "another root"])
def test_an_edited_list_vouches_for_nobody(tamper: str) -> None:
    listing = json.loads(studio_list())
    if tamper == "add a publisher":
        listing["publishers"].append({"name": "Mallory", "key": listing["publishers"][0]["key"],
                                      "id_prefixes": ["com."]})
    elif tamper == "widen a prefix":
        listing["publishers"][0]["id_prefixes"] = [""]
    else:
        mallory = Signer.generate("mallory")
        listing = sign_publisher_list({k: v for k, v in listing.items()}, mallory, "test-root")
    data = json.dumps(listing).encode()
    with pytest.raises(BundleRejected, match="not signed by Hearth's root key"):
        read_publisher_list(data, ROOT_KEYS)
    # The app goes on; the list's publishers are simply not trusted, the user's own still are.
    trusted = trusted_publishers({"Mine": base64.b64encode(b"k" * 32).decode()}, data, ROOT_KEYS)
    assert list(trusted) == ["Mine"]


def test_a_publisher_vouches_only_for_its_own_ids(tmp_path: Path) -> None:
    trusted = trusted_publishers(None, studio_list(), ROOT_KEYS)
    library = tmp_path / "personas"
    library.mkdir()
    done = import_bundle(real_person(tmp_path, "com.studio.ada"), library, trusted)
    assert done.verification.verified and done.verification.publisher == "Studio"
    with pytest.raises(BundleRejected, match=r"trusts Studio only for personas whose id "
                                             r"begins with com\.studio\."):
        import_bundle(real_person(tmp_path, "org.other.ada"), library, trusted)
    assert sorted(p.name for p in library.iterdir()) == ["com.studio.ada"]


def test_a_rotated_key_keeps_its_publishers_prefixes(tmp_path: Path) -> None:
    """A key the user accepted through a rotation statement replaces the listed one."""
    new = Signer.generate("Studio 2027")
    trusted = trusted_publishers({"Studio": base64.b64encode(new.public_key).decode()},
                                 studio_list(), ROOT_KEYS)
    assert trusted["Studio"] == new.public_key
    assert not trusted.may_vouch_for("Studio", "org.other.ada")
    assert trusted.may_vouch_for("Studio", "com.studio.ada")


def test_doctor_reports_a_damaged_publisher_list() -> None:
    from desktop.doctor import FAIL, OK, check_publishers

    (shipped,) = check_publishers()
    assert shipped.status == OK and "signed by Hearth's root key" in shipped.found
    listing = json.loads(asset("keys", "publishers.json").read_text(encoding="utf-8"))
    listing["publishers"][0]["id_prefixes"] = ["com."]
    (damaged,) = check_publishers(json.dumps(listing).encode())
    assert damaged.status == FAIL and "Reinstall Hearth" in damaged.fix
