"""Persona bundles: a generated corpus of hostile and broken bundles (docs/reliability.md §1, §3),
each rejected with its own message and the library unchanged; valid bundles install, verify,
update, and are usable in a chat."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.app import Hearth
from desktop.brain.llm import Sampling
from desktop.call.events import ReplyFinished
from desktop.paths import asset, shipped
from desktop.personas.archive import BundleRejected, strict_json
from desktop.personas.bundle import build_bundle, import_bundle
from desktop.personas.signing import Signer
from tests.test_first_call import Events

ROOT = Path(__file__).resolve().parent.parent
WREN = json.loads(shipped("personas", "wren", "persona.json").read_text(encoding="utf-8"))
PORTRAIT = shipped("personas", "wren", "portrait.png").read_bytes()
PUBLISHER = Signer.generate("Test Publisher")
TRUSTED = {"Test Publisher": PUBLISHER.public_key}


def manifest(**changes) -> dict:
    data = {k: v for k, v in WREN.items() if k != "format"}
    data["id"] = "org.example.ada"
    data["names"] = {"en": "Ada Byron"}
    data["license"] = {**WREN["license"], "licensor": "Example Estate"}
    for key, value in changes.items():
        if key == "license":
            data["license"] = {**data["license"], **value}
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def bundle(tmp_path: Path, name: str = "ada.persona", files: dict | None = None,
           signed: bool = False, **changes) -> Path:
    licensor = Signer.generate("Example Estate") if signed else None
    return build_bundle(tmp_path / name, manifest(**changes),
                        files if files is not None else {"portrait.png": PORTRAIT},
                        licensor, ("Test Publisher", PUBLISHER) if signed else None)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "personas"
    folder.mkdir()
    return folder


def install(path: Path, library: Path):
    return import_bundle(path, library, TRUSTED)


def rejected(path: Path, library: Path, match: str) -> None:
    before = sorted(p.name for p in library.iterdir())
    with pytest.raises(BundleRejected, match=match):
        install(path, library)
    assert sorted(p.name for p in library.iterdir()) == before  # unchanged, no staging left


def rewrite(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


# -- valid bundles -----------------------------------------------------------------------------
def test_a_fictional_unsigned_bundle_installs_as_unverified(tmp_path: Path, library: Path
                                                            ) -> None:
    done = install(bundle(tmp_path), library)
    assert done.persona_id == "org.example.ada" and not done.verification.verified
    installed = json.loads((library / "org.example.ada" / "persona.json").read_text())
    assert installed["names"] == {"en": "Ada Byron"}


def test_a_signed_real_person_bundle_installs_as_verified(tmp_path: Path, library: Path
                                                          ) -> None:
    path = bundle(tmp_path, signed=True, license={"subject": "real_person"})
    done = install(path, library)
    assert done.verification.verified and done.verification.publisher == "Test Publisher"


def test_an_imported_persona_is_usable_in_a_chat_and_updates_keep_memories(
    tmp_path: Path, hearth_home
) -> None:
    hearth = Hearth(hearth_home).open()
    try:
        hearth.import_bundle(bundle(tmp_path))
        persona = hearth.library.get("org.example.ada")
        assert not persona.verified and persona.owner == "Example Estate"
        events = Events()
        conversation = hearth.conversation(persona, events)
        conversation.sampling = Sampling(seed=1, max_tokens=8)
        conversation.start()
        turn = conversation.say("Hello Ada")
        assert events.wait_for(ReplyFinished, turn_id=turn).full_text
        conversation.close()
        update = bundle(tmp_path, "ada-2.persona", version=2,
                        description="Ada, updated description.")
        done = hearth.import_bundle(update)
        assert done.replaced_version == 1
        assert hearth.library.get("org.example.ada").description == "Ada, updated description."
        assert hearth.store.turns("org.example.ada")[0].text == "Hello Ada"
        with pytest.raises(BundleRejected, match="already installed"):
            hearth.import_bundle(update)
    finally:
        hearth.close()


def test_an_expired_license_blocks_use_after_install_but_keeps_memories(tmp_path: Path,
                                                                        hearth_home) -> None:
    hearth = Hearth(hearth_home).open()
    try:
        hearth.import_bundle(bundle(tmp_path))
        installed = hearth_home.personas / "org.example.ada" / "persona.json"
        data = json.loads(installed.read_text())
        data["license"]["valid_until"] = "2020-01-31T00:00:00Z"
        installed.write_text(json.dumps(data))
        persona = hearth.library.get("org.example.ada")
        conversation = hearth.conversation(persona, Events())
        assert conversation.llm is None
        assert any(p.part == "license" and "expired on 2020-01-31" in p.text
                   for p in hearth.engines.problems)
    finally:
        hearth.close()


# -- the hostile corpus ---------------------------------------------------------------------------
def test_a_real_person_without_a_trusted_signature_chain_is_refused(tmp_path: Path,
                                                                     library: Path) -> None:
    rejected(bundle(tmp_path, license={"subject": "real_person"}), library, "real person")
    licensor_only = build_bundle(tmp_path / "l.persona",
                                 manifest(license={"subject": "real_person"}),
                                 {"portrait.png": PORTRAIT}, Signer.generate("Estate"), None)
    rejected(licensor_only, library, "real person")
    stranger = Signer.generate("Unknown Publisher")
    untrusted = build_bundle(tmp_path / "u.persona", manifest(license={"subject": "real_person"}),
                             {"portrait.png": PORTRAIT}, Signer.generate("Estate"),
                             ("Unknown Publisher", stranger))
    rejected(untrusted, library, "real person")


def test_a_bad_signature_and_a_changed_file_are_refused(tmp_path: Path, library: Path) -> None:
    path = bundle(tmp_path, signed=True)
    entries = members(path)
    signatures = json.loads(dict(entries)["signatures.json"])
    signatures[0]["signature"] = signatures[1]["signature"]  # someone else's signature
    rejected(rewrite(tmp_path / "bad-sig.persona",
                     [(n, json.dumps(signatures).encode() if n == "signatures.json" else d)
                      for n, d in entries]), library, "signature does not match")
    changed = bytearray(PORTRAIT)
    changed[-20] ^= 0xFF  # one byte in a file; the signed manifest is untouched
    rejected(rewrite(tmp_path / "changed.persona",
                     [(n, bytes(changed) if n == "portrait.png" else d) for n, d in entries]),
             library, "does not match its manifest")


def test_an_expired_or_not_yet_valid_license_is_refused(tmp_path: Path, library: Path) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    rejected(bundle(tmp_path, license={"valid_until": past}), library, "expired")
    rejected(bundle(tmp_path, "f.persona", license={"valid_from": future}), library,
             "only starts")


def test_a_license_limited_to_some_territories(tmp_path: Path, library: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """T17: a territory mismatch disables the persona with its reason (at import and at use);
    the user's region is theirs to set, or the system locale's, never looked up online."""
    from desktop.personas.license import license_problem
    from desktop.settings import Settings

    isles = {"territories": ["GB", "IE"]}
    assert license_problem(isles, region="gb") is None
    assert "does not cover your country or region (US); it covers GB, IE" in license_problem(
        isles, region="US")
    assert "Hearth does not know yours" in license_problem(isles)
    assert "unreadable" in license_problem({"territories": ["Britain"]}, region="GB")
    path = bundle(tmp_path, license=isles)
    before = sorted(p.name for p in library.iterdir())
    with pytest.raises(BundleRejected, match="does not cover your country"):
        import_bundle(path, library, TRUSTED, region="US")
    assert sorted(p.name for p in library.iterdir()) == before
    assert import_bundle(path, library, TRUSTED, region="IE").persona_id == "org.example.ada"
    # Where the region comes from: the setting, else the locale.
    monkeypatch.setenv("LC_ALL", "en_IE.UTF-8")
    assert Settings().effective_region() == "IE"
    assert Settings(region="GB").effective_region() == "GB"
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    assert Settings().effective_region() is None


@pytest.mark.parametrize("name, match", [
    ("../evil.txt", "parent segment"), ("/etc/passwd", "absolute"),
    ("a\\b.txt", "Windows path"), ("gnp.\u202etxt", "direction"), ("CON.txt", "reserved"),
    ("notes. ", "trailing"), ("__MACOSX/._portrait.png", "macOS"), ("a//b", "empty"),
])
def test_unsafe_member_names_are_refused(tmp_path: Path, library: Path, name: str,
                                         match: str) -> None:
    path = bundle(tmp_path)
    rejected(rewrite(tmp_path / "n.persona", [*members(path), (zipfile.ZipInfo(name), b"x")]),
             library, match)


def test_case_colliding_names_symlinks_and_extra_or_missing_files_are_refused(
    tmp_path: Path, library: Path
) -> None:
    entries = members(bundle(tmp_path))
    rejected(rewrite(tmp_path / "case.persona", [*entries, ("PORTRAIT.png", b"x")]), library,
             "twice")
    link = zipfile.ZipInfo("link.png")
    link.external_attr = (0o120777 << 16)
    rejected(rewrite(tmp_path / "link.persona", [*entries, (link, b"/etc/passwd")]), library,
             "link")
    rejected(rewrite(tmp_path / "extra.persona", [*entries, ("extra.txt", b"hi")]), library,
             "does not list")
    rejected(rewrite(tmp_path / "missing.persona",
                     [(n, d) for n, d in entries if n != "portrait.png"]), library, "lacks")


def test_a_zip_bomb_is_refused_before_extraction(tmp_path: Path, library: Path) -> None:
    bomb = b"\0" * (20 << 20)
    path = bundle(tmp_path, files={"portrait.png": PORTRAIT, "notes.txt": bomb})
    rejected(path, library, "zip bomb|larger than")


def test_overlapping_entries_prepended_and_trailing_data_are_refused(tmp_path: Path,
                                                                     library: Path) -> None:
    data = bundle(tmp_path).read_bytes()
    (tmp_path / "pre.persona").write_bytes(b"MZ" + b"\0" * 100 + data)
    rejected(tmp_path / "pre.persona", library, "before its first file|index")
    (tmp_path / "post.persona").write_bytes(data + b"trailing garbage")
    rejected(tmp_path / "post.persona", library, "after its end")
    # Point the second central-directory entry at the first entry's local header.
    central = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", central + 4)
    forged = bytearray(data)
    forged[second + 42:second + 46] = forged[central + 42:central + 46]
    (tmp_path / "overlap.persona").write_bytes(bytes(forged))
    rejected(tmp_path / "overlap.persona", library, "overlap|disagree")


def test_a_png_decompression_bomb_is_refused(tmp_path: Path, library: Path) -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    huge = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000,
                                                                8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    rejected(bundle(tmp_path, files={"portrait.png": huge}), library, "100000 x 100000")


def test_strict_json_refuses_duplicates_nan_and_deep_nesting() -> None:
    with pytest.raises(BundleRejected, match="repeats a key"):
        strict_json(b'{"id": "a", "id": "b"}', "manifest")
    with pytest.raises(BundleRejected, match="NaN"):
        strict_json(b'{"x": NaN}', "manifest")
    with pytest.raises(BundleRejected, match="nested too deeply"):
        strict_json(b"[" * 40 + b"]" * 40, "manifest")


def test_a_manifest_with_duplicate_keys_inside_a_bundle_is_refused(tmp_path: Path,
                                                                   library: Path) -> None:
    entries = members(bundle(tmp_path))
    text = dict(entries)["manifest.json"].decode()
    doubled = text.replace('"id":"org.example.ada"', '"id":"org.example.ada","id":"x.y.z"')
    rejected(rewrite(tmp_path / "dup.persona",
                     [(n, doubled.encode() if n == "manifest.json" else d) for n, d in entries]),
             library, "repeats a key")


def test_not_a_zip_is_refused(tmp_path: Path, library: Path) -> None:
    path = tmp_path / "x.persona"
    path.write_bytes(b"\x89PNG not a zip")
    rejected(path, library, "not a persona bundle")


def test_hearth_import_on_the_command_line(tmp_path: Path, empty_home) -> None:
    env = {**os.environ, "HEARTH_HOME": str(empty_home.root)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    done = run("import", str(bundle(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "Installed Ada Byron" in done.stdout and "unverified" in done.stdout
    assert "Example Estate" in done.stdout
    again = run("import", str(bundle(tmp_path, "ada3.persona", version=3)))
    assert again.returncode == 0 and "replaces version 1" in again.stdout
    bad = tmp_path / "bad.persona"
    bad.write_bytes(b"nope")
    refused = run("import", str(bad))
    assert refused.returncode == 1 and "not a persona bundle" in refused.stderr


def test_built_manifests_follow_the_published_schema(tmp_path: Path) -> None:
    import jsonschema

    schema = json.loads(asset("schemas", "persona-manifest.schema.json").read_text())
    for path in (bundle(tmp_path), bundle(tmp_path, "s.persona", signed=True,
                                          license={"subject": "real_person"})):
        manifest_data = json.loads(dict(members(path))["manifest.json"])
        jsonschema.validate(manifest_data, schema)
    broken = json.loads(dict(members(bundle(tmp_path, "b.persona")))["manifest.json"])
    broken["license"]["subject"] = "celebrity"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_a_bundle_carrying_an_unsafe_onnx_model_is_refused(tmp_path: Path, library: Path,
                                                           fixture_models: Path) -> None:
    import onnx

    voice = fixture_models / "voices" / "en_US-hearth-fixture.onnx"
    model = onnx.load(str(voice))
    model.graph.node[0].domain = "com.evil.ops"
    rejected(bundle(tmp_path, files={"portrait.png": PORTRAIT,
                                     "voice.onnx": model.SerializeToString()}),
             library, "custom operators")


def test_an_installed_persona_can_be_removed_and_its_memories_stay(tmp_path: Path,
                                                                   hearth_home) -> None:
    hearth = Hearth(hearth_home).open()
    try:
        hearth.import_bundle(bundle(tmp_path))
        hearth.store.append_turn("org.example.ada", "user", "keep me").result(timeout=5)
        hearth.remove_persona("org.example.ada")
        assert [p.id for p in hearth.library.list()] == ["org.hearth.wren"]
        assert [t.text for t in hearth.store.turns("org.example.ada")] == ["keep me"]
        with pytest.raises(Exception, match="not an installed persona"):
            hearth.remove_persona("org.hearth.wren")
    finally:
        hearth.close()


def test_mutated_bundles_are_refused_cleanly_or_import_identically(tmp_path: Path) -> None:
    """T08 in small: bit flips, truncations and chunk swaps of a valid signed bundle. Each
    mutant is refused with words (BundleRejected) or, if the change hit padding, imports the
    same persona; nothing else may happen."""
    import random

    rng = random.Random(11)
    original = bundle(tmp_path, signed=True).read_bytes()
    outcomes = {"refused": 0, "identical": 0}
    for number in range(int(os.environ.get("HEARTH_FUZZ_RUNS", "150"))):
        data = bytearray(original)
        kind = number % 3
        if kind == 0:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del data[rng.randrange(1, len(data)):]
        else:
            a, b = sorted(rng.sample(range(len(data)), 2))
            width = min(32, len(data) - b)
            data[a:a + width], data[b:b + width] = data[b:b + width], data[a:a + width]
        path = tmp_path / f"mutant-{number}.persona"
        path.write_bytes(bytes(data))
        library = tmp_path / f"lib-{number}"
        library.mkdir()
        try:
            done = import_bundle(path, library, TRUSTED)
        except BundleRejected:
            outcomes["refused"] += 1
            assert [p.name for p in library.iterdir()] == []
            continue
        assert done.persona_id == "org.example.ada"
        assert (library / done.persona_id / "portrait.png").is_file()
        outcomes["identical"] += 1
    assert outcomes["refused"] > 100


def test_malformed_keys_signatures_versions_and_entry_counts_are_refused_with_words(
    tmp_path: Path, library: Path
) -> None:
    entries = members(bundle(tmp_path, signed=True))
    manifest_text = dict(entries)["manifest.json"].decode()
    key = json.loads(manifest_text)["license"]["licensor_key"]
    for bad_key, name in (("not base64!!", "k1"), (key[:-8], "k2")):
        text = manifest_text.replace(key, bad_key)
        rejected(rewrite(tmp_path / f"{name}.persona",
                         [(n, text.encode() if n == "manifest.json" else d)
                          for n, d in entries]), library, "malformed|does not match")
    signatures = json.loads(dict(entries)["signatures.json"])
    signatures[0]["signature"] = signatures[0]["signature"][:-4]  # a 63-byte signature
    rejected(rewrite(tmp_path / "short.persona",
                     [(n, json.dumps(signatures).encode() if n == "signatures.json" else d)
                      for n, d in entries]), library, "signature does not match")
    rejected(bundle(tmp_path, "big.persona", version=2**63), library, "out of range")
    many = [*members(bundle(tmp_path, "m.persona")), *[(f"f{i}.txt", b"") for i in range(70)]]
    rejected(rewrite(tmp_path / "many.persona", many), library, "70|files")


def test_a_license_clause_hearth_does_not_know_is_a_denial(tmp_path: Path, library: Path
                                                           ) -> None:
    rejected(bundle(tmp_path, license={"broadcast_rights": ["radio"]}), library,
             "cannot honour .*broadcast_rights")


def test_a_bundle_can_bring_its_own_voice_and_face_renderer(tmp_path: Path, hearth_home,
                                                            fixture_models: Path) -> None:
    from desktop.face.loading import load_face_renderer

    voice = fixture_models / "voices" / "en_US-hearth-fixture.onnx"
    renderer = asset("renderer", "builtin-warp.onnx").read_bytes()
    path = bundle(tmp_path, files={
        "portrait.png": PORTRAIT, "voices/ada.onnx": voice.read_bytes(),
        "voices/ada.onnx.json": Path(f"{voice}.json").read_bytes(), "face.onnx": renderer},
        voice={"en": "voices/ada.onnx"}, renderer={"path": "face.onnx",
                                                    "contract": "hearth-face-v1"})
    hearth = Hearth(hearth_home).open()
    try:
        hearth.import_bundle(path)
        persona = hearth.library.get("org.example.ada")
        assert persona.bundled_voice() == persona.folder / "voices" / "ada.onnx"
        engines = hearth.load_engines(persona, want_voice=True)
        assert engines.tts is not None and hearth._voice_path == persona.bundled_voice()
        assert persona.renderer_path() == persona.folder / "face.onnx"
        frame = load_face_renderer(persona).render(__import__(
            "desktop.face.contract", fromlist=["FaceParams"]).FaceParams())
        assert frame.shape[:2] == (256, 256)
    finally:
        hearth.close()
    broken = bundle(tmp_path, "b.persona", files={
        "portrait.png": PORTRAIT, "voices/ada.onnx": voice.read_bytes()},
        voice={"en": "voices/ada.onnx"}, version=2)  # its settings file is missing
    rejected(broken, hearth_home.personas, "voices/ada.onnx.json.*not a file listed")
