"""A generated corpus of bundles whose claims lie (docs/persona-bundle.md, the manifest
schema): each is refused with a message that names the problem, leaves the library as it
was, and raises nothing but BundleRejected; the valid controls beside them still install.

Classes (issue "Trust that holds"): media types are the bundle's claim (1), paths inside the
manifest (3), license values are typed (4).
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest

from desktop.personas.archive import BundleRejected
from desktop.personas.bundle import import_bundle
from tests.test_bundle import PORTRAIT, TRUSTED, bundle

ONNX = (Path(__file__).resolve().parent.parent / "assets" / "renderer"
        / "builtin-warp.onnx").read_bytes()


def huge_png(width: int = 16000, height: int = 16000) -> bytes:
    """A PNG whose header claims a huge picture (tiny on disk): the decompression bomb of
    issue 'Trust that holds', class 1."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * width) * 8)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(
        b"IEND", b"")


def with_media_types(files: dict[str, bytes], declared: dict[str, str]):
    """Rewrite a built bundle's manifest so that the named members declare another type."""
    def patch(data: dict) -> dict:
        for entry in data["files"]:
            if entry["path"] in declared:
                entry["media_type"] = declared[entry["path"]]
        return data
    return patch


def build(tmp_path: Path, name: str, files: dict[str, bytes] | None = None,
          patch=None, **changes) -> Path:
    """A bundle; ``patch`` edits the manifest (files list included) before it is signed."""
    if patch is None:
        return bundle(tmp_path, name, files=files, **changes)
    import desktop.personas.bundle as module

    real = module.canonical

    def patched(data: dict) -> bytes:
        return real(patch(json.loads(real(data))))

    module.canonical = patched
    try:
        return bundle(tmp_path, name, files=files, **changes)
    finally:
        module.canonical = real


MEDIA_LIES = [
    ("portrait declared text", {"portrait.png": PORTRAIT}, {"portrait.png": "text/plain"},
     "declared as text/plain but is a PNG image"),
    ("portrait declared json", {"portrait.png": PORTRAIT}, {"portrait.png": "application/json"},
     "declared as application/json but is a PNG image"),
    ("portrait declared onnx", {"portrait.png": PORTRAIT}, {"portrait.png": "application/onnx"},
     "declared as application/onnx but is a PNG image"),
    ("portrait declared jpeg", {"portrait.png": PORTRAIT}, {"portrait.png": "image/jpeg"},
     "declared as image/jpeg but is a PNG image"),
    ("portrait declared video", {"portrait.png": PORTRAIT}, {"portrait.png": "video/mp4"},
     "declared as video/mp4 but is a PNG image"),
    ("bomb as text", {"portrait.png": PORTRAIT, "notes.txt": huge_png()}, {},
     "declared as text/plain but is a PNG image"),
    ("bomb as portrait", {"portrait.png": huge_png()}, {}, "claims 16000 x 16000 pixels"),
    ("model as text", {"portrait.png": PORTRAIT, "readme.txt": ONNX}, {},
     "declared as text/plain but is an ONNX model"),
    ("text as image", {"portrait.png": b"hello, I am not a picture"}, {},
     "declared as image/png but is text"),
    ("model as portrait", {"portrait.png": ONNX}, {"portrait.png": "application/onnx"},
     "uses 'portrait.png' as an image, but it is an ONNX model"),
    ("garbage as json", {"portrait.png": PORTRAIT, "lore.json": bytes(range(256))}, {},
     "declared as application/json but is unreadable data"),
]


@pytest.mark.parametrize("case, files, declared, match", MEDIA_LIES,
                         ids=[c[0] for c in MEDIA_LIES])
def test_a_members_kind_is_decided_by_its_bytes(tmp_path: Path, case: str, files, declared,
                                                match: str) -> None:
    refused(build(tmp_path, "x.persona", files, with_media_types(files, declared)
                  if declared else None), tmp_path, match)


PATH_VALUES = ["/etc/passwd", "../outside.png", "..\\\\outside.png", "C:/x.png",
               "portrait.png/../../x.png", "", "nested/../../x.png", "not-listed.png"]
PATH_FIELDS = {
    "portrait": lambda v: {"portrait": v},
    "renderer": lambda v: {"renderer": {"path": v, "contract": "hearth-face-v1"}},
    "voice": lambda v: {"voice": {"en": v + ".onnx" if v else ".onnx"}},
    "expression": lambda v: {"expressions": {"smile": v}},
}


@pytest.mark.parametrize("field", sorted(PATH_FIELDS))
@pytest.mark.parametrize("value", PATH_VALUES)
def test_a_path_in_the_manifest_is_confined_to_the_bundles_listed_files(
        tmp_path: Path, field: str, value: str) -> None:
    refused(bundle(tmp_path, "p.persona", **PATH_FIELDS[field](value)), tmp_path,
            "points at|not a file name|malformed")


WRONG_TYPES = {
    "romance_allowed": ["false", 0, 1, None, [], "no"],
    "forbidden_topics": [7, "war", [1], {"a": 1}, [None], True],
    "never_say": [7, "x", [2.5], {"x": 1}],
    "modes": ["text", ["fly"], 1, [None], {"text": True}],
    "subject": ["Real_Person", "real-person", 1, None, ["fictional"], "REAL_PERSON"],
    "valid_until": [5, "tomorrow", [], True],
    "valid_from": [5, "soon", {}],
    "territories": ["GB", [1], [None], 44],
    "content_rating_max": ["adult", 1, None, ["general"]],
    "refusal": [1, [], {"text": "no"}],
    "disclosure": [[], 1, None, {}, {"en": 5}, {"zh": ["x"]}],
    "licensor": [1, [], None],
    "revocation_id": [5, [], {}],
    "consent": ["yes", 1, []],
    "commercial_use": ["yes", 1],
}
LICENSE_CASES = [(clause, value) for clause, values in WRONG_TYPES.items() for value in values]


@pytest.mark.parametrize("clause, value", LICENSE_CASES,
                         ids=[f"{c}={json.dumps(v)}" for c, v in LICENSE_CASES])
def test_a_license_value_hearth_cannot_read_is_a_denial(tmp_path: Path, clause: str,
                                                        value) -> None:
    refused(bundle(tmp_path, "l.persona", license={clause: value}), tmp_path,
            f"license value for {clause} ")


def test_a_license_without_a_subject_is_refused(tmp_path: Path) -> None:
    refused(_without_subject(tmp_path), tmp_path,
            "does not say whether it portrays a real person")


def _without_subject(tmp_path: Path) -> Path:
    import desktop.personas.bundle as module

    real = module.canonical

    def patched(data: dict) -> bytes:
        data = json.loads(real(data))
        data["license"].pop("subject", None)
        return real(data)

    module.canonical = patched
    try:
        return bundle(tmp_path, "s.persona")
    finally:
        module.canonical = real


CONTROLS = [
    ("plain", {}, None),
    ("typed license", {"license": {"romance_allowed": False, "forbidden_topics": ["war"],
                                   "never_say": ["x"], "modes": ["text"],
                                   "content_rating_max": "teen", "territories": ["GB", "US"],
                                   "valid_until": "2999-01-01T00:00:00Z",
                                   "commercial_use": False,
                                   "disclosure": {"en": "An AI.", "zh": "一个 AI。"}}}, None),
    ("nested portrait", {"portrait": "images/portrait.png"},
     {"images/portrait.png": PORTRAIT}),
    ("an expression", {"expressions": {"smile": "smile.png"}},
     {"portrait.png": PORTRAIT, "smile.png": PORTRAIT}),
    ("json as text", {}, {"portrait.png": PORTRAIT, "notes.txt": b'{"a": 1}'}),
    ("a renderer", {"renderer": {"path": "face.onnx", "contract": "hearth-face-v1"}},
     {"portrait.png": PORTRAIT, "face.onnx": ONNX}),
]


@pytest.mark.parametrize("case, changes, files", CONTROLS, ids=[c[0] for c in CONTROLS])
def test_valid_controls_still_install(tmp_path: Path, case: str, changes: dict, files) -> None:
    library = tmp_path / "personas"
    done = import_bundle(bundle(tmp_path, "ok.persona", files=files, **changes), library,
                         TRUSTED, region="GB")
    assert (library / done.persona_id / "persona.json").is_file()


def refused(path: Path, tmp_path: Path, match: str) -> None:
    library = tmp_path / "personas"
    library.mkdir(exist_ok=True)
    outside = sorted(p.name for p in tmp_path.iterdir())
    try:
        import_bundle(path, library, TRUSTED, region="GB")
    except BundleRejected as error:
        assert __import__("re").search(match, str(error)), str(error)
    else:
        pytest.fail("the bundle was installed")
    assert list(library.iterdir()) == []  # nothing installed, no staging left
    assert sorted(p.name for p in tmp_path.iterdir()) == outside  # nothing written beside


def test_the_corpus_has_more_than_a_hundred_cases() -> None:
    total = (len(MEDIA_LIES) + len(PATH_VALUES) * len(PATH_FIELDS) + len(LICENSE_CASES) + 1
             + 3 * len(LOCAL_HEADER_LIES) + 1)
    assert total >= 100, total


# -- class 5: revocation at import, bounded lists ------------------------------------------------
def test_a_revoked_bundle_or_a_revoked_key_never_installs(tmp_path: Path, hearth_home) -> None:
    from desktop.app import Hearth
    from desktop.personas.revocation import sign_list
    from desktop.personas.signing import key_id
    from tests.test_bundle import PUBLISHER

    hearth = Hearth(hearth_home).open()
    try:
        hearth.trust_publisher("Test Publisher", __import__("base64").b64encode(
            PUBLISHER.public_key).decode())
        listing = tmp_path / "list.json"
        listing.write_text(json.dumps(sign_list("Test Publisher", PUBLISHER, 3, [
            {"revocation_id": "ada-2026", "since": "2026-11-01", "reason": "withdrawn"}])))
        hearth.import_file(listing)
        revoked = bundle(tmp_path, "r.persona", signed=True,
                         license={"revocation_id": "ada-2026"})
        with pytest.raises(BundleRejected, match="switched this persona off"):
            hearth.import_bundle(revoked)
        with pytest.raises(BundleRejected, match="switched this persona off"):
            hearth.inspect_bundle(revoked)  # the preview says so before Install is offered
        keys = tmp_path / "keys.json"
        keys.write_text(json.dumps(sign_list("Test Publisher", PUBLISHER, 4, [],
                                             revoked_keys=[key_id(PUBLISHER.public_key)])))
        hearth.import_file(keys)
        with pytest.raises(BundleRejected, match="revoked as compromised"):
            hearth.import_bundle(bundle(tmp_path, "k.persona", signed=True))
        assert not (hearth_home.personas / "org.example.ada").exists()
    finally:
        hearth.close()


@pytest.mark.parametrize("version, issued, match", [
    (2 ** 70, None, "out of range"), (True, None, "out of range"), (0, None, "out of range"),
    ("5", None, "out of range"), (5, "2999-01-01T00:00:00Z", "dated in the future"),
    (5, "yesterday", "date cannot be read"),
])
def test_a_revocation_list_out_of_bounds_is_refused(tmp_path: Path, version, issued,
                                                    match: str) -> None:
    from desktop.personas.archive import canonical
    from desktop.personas.revocation import Revocations, sign_list
    from tests.test_bundle import PUBLISHER

    data = sign_list("Test Publisher", PUBLISHER, 1, [])
    data["version"] = version
    if issued is not None:
        data["issued_at"] = issued
    body = {k: v for k, v in data.items() if k != "signature"}
    data["signature"] = PUBLISHER.sign(canonical(body))
    path = tmp_path / "list.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BundleRejected, match=match):
        Revocations(tmp_path).import_list(path, TRUSTED)
    assert not (tmp_path / "revocations.json").exists()


def test_doctor_reports_a_stale_revocation_list(tmp_path: Path) -> None:
    from desktop.doctor import WARN, check_revocations
    from desktop.paths import DataDirs
    from desktop.personas.revocation import Revocations, sign_list
    from tests.test_bundle import PUBLISHER

    dirs = DataDirs(tmp_path).ensure()
    path = tmp_path / "old.json"
    path.write_text(json.dumps(sign_list("Test Publisher", PUBLISHER, 1, [],
                                         issued_at="2026-01-01T00:00:00Z")))
    Revocations(dirs.root).import_list(path, TRUSTED)
    (check,) = check_revocations(dirs)
    assert check.status == WARN and "days old" in check.found


# -- class 6: parsing errors are errors --------------------------------------------------------
@pytest.mark.parametrize("raw, match", [
    (b'{"a": 1e999}', "too large to hold"), (b'{"a": 1' + b"0" * 5000 + b"}", "30 digits"),
    (b'{"a": "\\ud800"}', "not valid Unicode"), (b'{"a": NaN}', "not valid JSON"),
    (b'{"a": 1, "a": 2}', "repeats a key"), (b"[" * 100 + b"]" * 100, "nested too deeply"),
])
def test_strict_json_turns_every_oddity_into_a_refusal(raw: bytes, match: str) -> None:
    from desktop.personas.archive import strict_json

    with pytest.raises(BundleRejected, match=match):
        strict_json(raw, "manifest")


ODD_VALUES = [7, -1, 2.5, True, None, [], [1, 2], {}, {"x": 1}, "text"]
CARD_FIELDS = ["name", "description", "personality", "scenario", "first_mes", "mes_example",
               "creator", "character_book", "alternate_greetings", "tags", "extensions"]


@pytest.mark.parametrize("field", CARD_FIELDS)
def test_a_card_field_of_any_json_type_installs_or_is_refused_never_a_traceback(
        tmp_path: Path, field: str) -> None:
    from desktop.personas.cards import import_card
    from tests.test_cards import v2_card

    placeholder = (PORTRAIT, {"left_eye": [-0.2, -0.1], "right_eye": [0.2, -0.1],
                              "mouth_center": [0, 0.2], "mouth_size": [0.3, 0.1],
                              "face_center": [0, 0], "face_size": [0.8, 1]})
    outcomes = []
    for index, value in enumerate([*ODD_VALUES, {"entries": [{"keys": 5, "content": 3}]},
                                   {"entries": "x"}, {"entries": [7]}]):
        card = v2_card()
        card["data"][field] = value
        path = tmp_path / f"{field}-{index}.json"
        path.write_text(json.dumps(card))
        try:
            import_card(path, tmp_path / "personas", placeholder)
            outcomes.append("installed")
        except BundleRejected as error:
            assert error.problem  # a sentence, never a class name alone
            outcomes.append("refused")
    assert len(outcomes) == len(ODD_VALUES) + 3


@pytest.mark.parametrize("data", [[], 5, "x", {"assets": 7}, {"assets": [5, "x"]}])
def test_a_charx_whose_data_or_assets_are_not_objects_is_handled(tmp_path: Path,
                                                                  data) -> None:
    import zipfile

    from desktop.personas.cards import import_card

    path = tmp_path / "odd.charx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("card.json", json.dumps({"spec": "chara_card_v3",
                                                  "spec_version": "3.0", "data": data}))
    try:
        import_card(path, tmp_path / "personas", (PORTRAIT, {}))
    except BundleRejected as error:
        assert error.problem


# -- class 2: updates keep their signer ---------------------------------------------------------
def _signed(tmp_path: Path, name: str, licensor, version: int, publisher: bool = True,
            **changes) -> Path:
    from desktop.personas.bundle import build_bundle
    from tests.test_bundle import PUBLISHER, manifest

    return build_bundle(tmp_path / name, manifest(version=version, **changes),
                        {"portrait.png": PORTRAIT}, licensor,
                        ("Test Publisher", PUBLISHER) if publisher else None)


def test_an_update_must_come_from_the_licensor_and_publisher_of_the_installed_one(
        tmp_path: Path) -> None:
    from desktop.personas.signing import Signer

    library = tmp_path / "personas"
    estate, impostor = Signer.generate("Example Estate"), Signer.generate("Someone Else")
    assert import_bundle(_signed(tmp_path, "v5.persona", estate, 5), library,
                         TRUSTED).verification.verified
    installed = (library / "org.example.ada" / "manifest.json").read_bytes()
    for name, bundle_path, match in [
        ("unsigned", bundle(tmp_path, "v6.persona", version=6), "not signed by the same"),
        ("other licensor", _signed(tmp_path, "v7.persona", impostor, 7),
         "not signed by the same"),
        ("no publisher", _signed(tmp_path, "v8.persona", estate, 8, publisher=False),
         "verified by a trusted publisher; this update is not"),
    ]:
        with pytest.raises(BundleRejected, match=match):
            import_bundle(bundle_path, library, TRUSTED)
        assert (library / "org.example.ada" / "manifest.json").read_bytes() == installed, name
    done = import_bundle(_signed(tmp_path, "v9.persona", estate, 9), library, TRUSTED)
    assert done.replaced_version == 5 and done.verification.verified


def test_the_apps_own_ids_cannot_be_taken(tmp_path: Path) -> None:
    refused(bundle(tmp_path, "h.persona", id="org.hearth.wren"), tmp_path,
            "belongs to the Hearth project")
    refused(bundle(tmp_path, "h2.persona", id="org.hearth.helper"), tmp_path,
            "belongs to the Hearth project")


# -- class 6: a zip whose local headers disagree with its central directory ---------------------

# (field, offset in the local header, struct format, how the value is changed)
LOCAL_HEADER_LIES = [
    ("method", 8, "<H", lambda v: 0 if v == 8 else 8),
    ("crc", 14, "<I", lambda v: v ^ 0x5A5A5A5A),
    ("packed size", 18, "<I", lambda v: v + 1),
    ("size", 22, "<I", lambda v: v + 7),
    ("descriptor flag", 6, "<H", lambda v: v | 0x8),
    ("name encoding flag", 6, "<H", lambda v: v ^ 0x800),
    ("name", 30, "<B", lambda v: v ^ 0x20),  # the first letter's case
]


def _local_headers(data: bytes) -> list[int]:
    offsets, at = [], data.find(b"PK\x01\x02")
    while at >= 0:
        offsets.append(struct.unpack("<I", data[at + 42:at + 46])[0])
        at = data.find(b"PK\x01\x02", at + 4)
    return offsets


@pytest.mark.parametrize("member", range(3))
@pytest.mark.parametrize("field, offset, form, change", LOCAL_HEADER_LIES,
                         ids=[lie[0] for lie in LOCAL_HEADER_LIES])
def test_a_local_header_that_disagrees_with_the_central_directory_is_refused(
        tmp_path: Path, member: int, field: str, offset: int, form: str, change) -> None:
    data = bytearray(bundle(tmp_path, "ok.persona", files={"portrait.png": PORTRAIT})
                     .read_bytes())
    start = _local_headers(bytes(data))[member] + offset
    width = struct.calcsize(form)
    (value,) = struct.unpack(form, data[start:start + width])
    data[start:start + width] = struct.pack(form, change(value))
    forged = tmp_path / "forged.persona"
    forged.write_bytes(bytes(data))
    (tmp_path / "ok.persona").unlink()
    refused(forged, tmp_path, "index and its data disagree")


def test_a_charx_whose_local_header_disagrees_is_refused(tmp_path: Path) -> None:
    import io
    import zipfile

    from desktop.personas.cards import read_card

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("card.json", json.dumps({"spec": "chara_card_v3", "data": {
            "name": "Ada", "description": "A test."}}))
    data = bytearray(buffer.getvalue())
    data[14:18] = bytes(b ^ 0xFF for b in data[14:18])  # the local CRC
    path = tmp_path / "ada.charx"
    path.write_bytes(bytes(data))
    with pytest.raises(BundleRejected, match="index and its data disagree"):
        read_card(path)
