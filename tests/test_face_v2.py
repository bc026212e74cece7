"""The hearth-face-v2 runtime on real files: the drive, the manifest, the generator, the loop,
the blend, and faces that arrive in .persona bundles."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop.face.drive import DriveTrack, MelExtractor, MelRecipe
from desktop.face.generator import (
    GeneratorShape,
    multiply_adds,
    onnx_generator,
    random_weights,
    write_generator,
)
from desktop.face.manifest import FaceManifestInvalid, parse_face_manifest, read_face_manifest
from desktop.face.neural import LoopClock, NeuralFace
from desktop.face.source import FaceMoment
from desktop.fixtures.face_v2 import write_face_folder
from desktop.paths import asset, shipped

SMALL = GeneratorShape(crop=64, width=8, levels=3)


@pytest.fixture(scope="module")
def face_folder(tmp_path_factory) -> Path:
    return write_face_folder(tmp_path_factory.mktemp("face") / "face", SMALL, frames=30,
                             side=256)


def copy_of(face_folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "face"
    shutil.copytree(face_folder, target)
    return target


def edit_manifest(folder: Path, change) -> None:
    data = json.loads((folder / "manifest.json").read_text())
    change(data)
    (folder / "manifest.json").write_text(json.dumps(data))


def speaking(t: float) -> FaceMoment:
    return FaceMoment(t, t, True, False)


# -- the drive ---------------------------------------------------------------------------------
def test_silence_is_the_neutral_drive_and_a_tone_lights_its_own_band() -> None:
    extractor = MelExtractor(MelRecipe())
    silence = extractor.features(np.zeros(16000, np.float32))
    assert silence.shape == (50, 40) and np.all(silence == 0.0)
    t = np.arange(16000) / 16000
    low = extractor.features(0.5 * np.sin(2 * np.pi * 200 * t).astype(np.float32))
    high = extractor.features(0.5 * np.sin(2 * np.pi * 3000 * t).astype(np.float32))
    assert np.argmax(low[25]) < 8 < np.argmax(high[25])
    assert low[25].max() > 0.8


def test_features_are_resampled_from_the_voice_rate_and_placed_on_the_speech_clock() -> None:
    track = DriveTrack(MelExtractor(MelRecipe()), past=4, future=3)
    tone = (0.5 * np.sin(2 * np.pi * 300 * np.arange(22050) / 22050)).astype(np.float32)
    track.add_audio(tone, 22050, start_s=2.0)  # one second of sound from t = 2 s
    assert track.window_mels == 16
    assert np.all(track.window(1.0) == 0)  # long before: silence
    before = track.window(1.9)  # its future frames reach into the sound (lookahead)
    assert np.all(before[:8] == 0) and before[-2:].max() > 0.5
    assert track.window(2.5).max(axis=1).min() > 0.3  # inside: every frame is sound
    track.cut_after(2.4)  # barge-in: what was not heard is never shown
    assert np.all(track.window(2.7) == 0)
    assert track.window(2.2).max() > 0.5
    track.clear()
    assert np.all(track.window(2.2) == 0)


# -- the generator -----------------------------------------------------------------------------
def test_the_generator_follows_the_contract_over_250_frames_with_a_random_drive() -> None:
    import onnxruntime as ort

    model = onnx_generator(SMALL, random_weights(SMALL))
    props = {p.key: p.value for p in model.metadata_props}
    assert props["hearth.renderer_contract"] == "hearth-face-v2"
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    assert {i.name: i.shape for i in session.get_inputs()} == {
        "face": [1, 6, 64, 64], "audio": [1, 16, 40]}
    rng = np.random.default_rng(1)
    face = rng.random((1, 6, 64, 64), np.float32)
    outputs = []
    for _ in range(250):
        (crop,) = session.run(["crop"], {"face": face,
                                         "audio": rng.random((1, 16, 40), np.float32)})
        assert crop.dtype == np.float32 and crop.shape == (1, 3, 64, 64)
        assert crop.min() >= 0.0 and crop.max() <= 1.0
        outputs.append(crop)
    assert np.std([o.mean() for o in outputs]) > 0  # the drive changes what is drawn


def test_multiply_adds_grow_with_the_crop_as_the_architecture_says() -> None:
    small, large = GeneratorShape(crop=160), GeneratorShape(crop=256)
    assert 0.3e9 < multiply_adds(small) < 0.45e9  # Duix-class: ~0.4 GMAC at 160 px
    assert multiply_adds(large) / multiply_adds(small) == pytest.approx((256 / 160) ** 2, 0.05)
    with pytest.raises(ValueError, match="multiple of 16"):
        GeneratorShape(crop=150).check()


# -- the manifest ------------------------------------------------------------------------------
def test_the_fixture_manifest_is_valid_against_the_json_schema(face_folder: Path) -> None:
    import jsonschema

    schema = json.loads(asset("schemas", "face-manifest.schema.json").read_text())
    data = json.loads((face_folder / "manifest.json").read_text())
    jsonschema.validate(data, schema)
    manifest = read_face_manifest(face_folder)
    assert manifest.lookahead_s == pytest.approx(0.12) and manifest.drive_mels == 16
    assert manifest.to_dict() == data


@pytest.mark.parametrize("change, match", [
    (lambda d: d.update(contract="hearth-face-v9"), "does not declare the hearth-face-v2"),
    (lambda d: d["crop"].update(inpaint=[10, 10, 200, 20]), "inpaint must be"),
    (lambda d: d["drive"]["window"].update(future=9), "future must be a whole number"),
    (lambda d: d["drive"].update(n_mels="40"), "n_mels must be a whole number"),
    (lambda d: d["drive"].update(kind="hubert"), "not one Hearth computes"),
    (lambda d: d["generator"].update(model="../../etc/passwd"), "must name a file in the face"),
    (lambda d: d["loop"].update(video="/tmp/x.mp4"), "must name a file in the face"),
    (lambda d: d["loop"].update(boxes="idle.mp4"), "one file for two purposes"),
    (lambda d: d["generator"]["inputs"].update(audio=[1, 20, 40]), "the rest of it needs"),
    (lambda d: d["loop"].update(frames=10 ** 30), "frames must be a whole number"),
    (lambda d: d["loop"].update(size=[100000, 512]), "loop.size must be"),
    (lambda d: d["loop"]["segments"].update(speaking=[5, 900]), "segment 'speaking'"),
    (lambda d: d["loop"]["segments"].update(dancing=[0, 3]), "segment 'dancing'"),
    (lambda d: d.update(fps=True), "fps must be a whole number"),
])
def test_every_bad_manifest_value_is_refused_with_its_name(face_folder: Path, change,
                                                           match: str) -> None:
    data = json.loads((face_folder / "manifest.json").read_text())
    change(data)
    with pytest.raises(FaceManifestInvalid, match=match):
        parse_face_manifest(json.dumps(data).encode())


def test_non_json_numbers_and_broken_bytes_are_refused() -> None:
    for raw in (b'{"contract": "hearth-face-v2", "fps": NaN}', b"\xff\xfe", b"[" * 100000):
        with pytest.raises(FaceManifestInvalid):
            parse_face_manifest(raw)


@pytest.mark.parametrize("boxes, match", [
    ([[0, 0, 100, 100]], "must hold 30 boxes"),
    ([[0, 0, 100, 90]] * 30, "not a square"),
    ([[200, 200, 300, 300]] * 30, "not a square inside"),
    ([[0, 0, 100, 100.5]] * 30, "not four whole numbers"),
])
def test_boxes_outside_the_frame_or_of_the_wrong_count_are_refused(face_folder: Path,
                                                                   tmp_path: Path, boxes,
                                                                   match: str) -> None:
    folder = copy_of(face_folder, tmp_path)
    (folder / "boxes.json").write_text(json.dumps(boxes))
    with pytest.raises(FaceManifestInvalid, match=match):
        NeuralFace.load(folder)


def test_a_generator_whose_tensors_disagree_with_the_manifest_is_refused(face_folder: Path,
                                                                         tmp_path: Path) -> None:
    folder = copy_of(face_folder, tmp_path)
    other = GeneratorShape(crop=96, width=8, levels=3)
    write_generator(folder / "generator.onnx", other, random_weights(other))
    with pytest.raises(FaceManifestInvalid, match="not the ones its manifest declares"):
        NeuralFace.load(folder)


def test_a_video_shorter_than_its_manifest_or_a_wrong_mask_is_refused(face_folder: Path,
                                                                       tmp_path: Path) -> None:
    folder = copy_of(face_folder, tmp_path)
    edit_manifest(folder, lambda d: d["loop"].update(frames=40))
    (folder / "boxes.json").write_text(json.dumps([[64, 64, 164, 164]] * 40))
    with pytest.raises(FaceManifestInvalid, match="30 frames or more; its manifest says 40"):
        NeuralFace.load(folder)
    folder = copy_of(face_folder, tmp_path / "b")
    (folder / "blend.png").write_bytes((shipped("personas", "wren", "portrait.png")).read_bytes())
    with pytest.raises(FaceManifestInvalid, match="must be a 64x64 grey image"):
        NeuralFace.load(folder)


# -- the runtime -------------------------------------------------------------------------------
def test_idle_frames_are_the_footage_as_recorded_and_never_call_the_model(
        face_folder: Path) -> None:
    face = NeuralFace.load(face_folder)
    for number in range(60):
        listening = 20 <= number < 40
        frame = face.frame(FaceMoment(0.0, number / 25, False, listening))
        assert frame is face.loop[face.clock.index] or np.array_equal(
            frame, face.loop[face.clock.index])
    assert face.timings.model_calls == 0 and face.timings.frames == 60
    assert frame.shape == (256, 256, 3)


def test_speech_eases_the_generated_mouth_in_and_out_inside_the_box(face_folder: Path) -> None:
    face = NeuralFace.load(face_folder)
    face.drive.add_audio(np.random.default_rng(0).normal(0, 0.2, 16000).astype(np.float32),
                         16000, 0.0)
    changes = []
    for number in range(12):
        t = number / 25
        recorded = face.loop[face.clock.at(t, "speaking")].astype(np.int16)
        face.clock = LoopClock(face.manifest.segments, 25)  # the same loop frame again
        shown = face.frame(speaking(t)).astype(np.int16)
        face.clock = LoopClock(face.manifest.segments, 25)
        x0, y0, x1, y1 = face.boxes[face.clock.index]
        outside = np.ones(shown.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(shown[outside], recorded[outside])  # only the box is touched
        changes.append(float(np.abs(shown - recorded)[y0:y1, x0:x1].mean()))
    # The envelope rises over five frames, then the generated mouth is shown in full.
    assert changes[0] < changes[2] < changes[4] and changes[4] == pytest.approx(changes[8], 0.5)
    assert face.timings.model_calls == 12
    after = [face.frame(FaceMoment(0.5, 0.5 + n / 25, False, False)) for n in range(8)]
    assert face.timings.model_calls == 12 + 4  # four frames easing out, then none
    assert after[-1] is not None


def test_the_loop_plays_ping_pong_in_its_segment_and_walks_to_another() -> None:
    clock = LoopClock({"idle": (0, 9), "listening": (20, 29), "speaking": (0, 29)}, 25)
    idle = [clock.at(n / 25, "idle") for n in range(40)]
    assert min(idle) == 0 and max(idle) == 9
    assert all(abs(a - b) <= 1 for a, b in itertools.pairwise(idle))
    walk = [clock.at((40 + n) / 25, "listening") for n in range(40)]
    assert all(abs(a - b) <= 1 for a, b in itertools.pairwise([idle[-1], *walk]))
    assert 20 <= walk[-1] <= 29 and min(walk[20:]) >= 20  # arrived and stays


def test_a_stalled_clock_catches_up_without_racing_through_the_loop() -> None:
    clock = LoopClock({s: (0, 99) for s in ("idle", "listening", "speaking")}, 25)
    clock.at(0.0, "idle")
    clock.at(100.0, "idle")  # 100 s later (a suspended laptop): at most 3 s of steps
    assert clock.index <= 75


# -- faces in bundles --------------------------------------------------------------------------
def face_bundle(tmp_path: Path, face_folder: Path, name: str = "ada.persona",
                drop: tuple[str, ...] = (), extra: dict | None = None, **changes) -> Path:
    from tests.test_bundle import PORTRAIT, bundle

    files = {"portrait.png": PORTRAIT}
    for path in sorted(face_folder.iterdir()):
        if path.name not in drop and path.is_file() and not path.name.startswith("."):
            files[f"face/{path.name}"] = path.read_bytes()
    files.update(extra or {})
    changes.setdefault("face", {"contract": "hearth-face-v2"})
    return bundle(tmp_path, name, files=files, **changes)


def test_a_bundle_with_a_v2_face_installs_and_its_call_shows_the_footage(
        tmp_path: Path, hearth_home, face_folder: Path) -> None:
    from desktop.app import Hearth
    from desktop.face.animator import FaceAnimator
    from desktop.face.loading import load_face_source

    hearth = Hearth(hearth_home).open()
    try:
        hearth.import_bundle(face_bundle(tmp_path, face_folder))
        persona = hearth.library.get("org.example.ada")
        assert persona.face_folder() == persona.folder / "face"
        animator = FaceAnimator()
        source = load_face_source(persona, animator)
        assert isinstance(source, NeuralFace)
        # Spoken audio reaches the face's drive through the animator, as the call feeds it.
        tone = (0.3 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 220)).astype(np.float32)
        animator.add_chunk(tone, 16000, [], 1.0, animator.drive_features(tone, 16000))
        assert source.drive.window(1.5).max() > 0.3
        assert source.frame(speaking(1.5)).shape == (256, 256, 3)
        animator.cut_speech(1.2)
        assert np.all(source.drive.window(1.5) == 0)
    finally:
        hearth.close()


@pytest.mark.parametrize("kind, match", [
    ("unnamed file", "holds files its manifest does not name: face/notes.txt"),
    ("missing file", "names files the bundle does not list: face/blend.png"),
    ("no manifest", "has no face/manifest.json"),
    ("undeclared", "has a face folder but its manifest declares no face"),
    ("other contract", "is not a hearth-face-v2 face"),
    ("broken video", "face was refused|was rejected"),
    ("escaping path", "must name a file in the face folder"),
])
def test_a_face_that_lies_about_itself_is_refused(tmp_path: Path, face_folder: Path, kind: str,
                                                  match: str) -> None:
    from tests.test_bundle import rejected

    library = tmp_path / "personas"
    library.mkdir()
    folder = copy_of(face_folder, tmp_path / "src")
    options: dict = {}
    if kind == "unnamed file":
        options["extra"] = {"face/notes.txt": b"hello"}
    elif kind == "missing file":
        options["drop"] = ("blend.png",)
    elif kind == "no manifest":
        options["drop"] = ("manifest.json",)
    elif kind == "undeclared":
        options["face"] = None
    elif kind == "other contract":
        options["face"] = {"contract": "hearth-face-v1"}
    elif kind == "broken video":
        (folder / "idle.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(4000))
    elif kind == "escaping path":
        edit_manifest(folder, lambda d: d["loop"].update(boxes="../persona.json"))
    path = face_bundle(tmp_path, folder, **options)
    if kind == "undeclared":
        data = json.loads(zip_manifest(path))
        assert "face" not in data or data["face"] is None
    rejected(path, library, match)


def zip_manifest(path: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.read("manifest.json")


def test_a_generator_with_external_data_is_refused_before_it_is_loaded(
        tmp_path: Path, face_folder: Path) -> None:
    import onnx

    from tests.test_bundle import rejected

    library = tmp_path / "personas"
    library.mkdir()
    folder = copy_of(face_folder, tmp_path / "src")
    model = onnx.load(str(folder / "generator.onnx"))
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../../../../etc/passwd"
    (folder / "generator.onnx").write_bytes(model.SerializeToString())
    rejected(face_bundle(tmp_path, folder), library, "refers to data in other files")
