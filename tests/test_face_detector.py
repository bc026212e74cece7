"""The face detector the persona creator uses: OpenCV's FaceDetectorYN on a YuNet-format
model the fixture script makes (a bright square is "the face"), through the real loading and
decoding code."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.app import Hearth
from desktop.errors import HearthError
from desktop.face.detector import FaceDetector
from desktop.fixtures.build import FACE
from desktop.fixtures.face_detector import LANDMARKS


def photo_with_a_face_at(column: int, row: int, side: int = 512) -> np.ndarray:
    """A dark square photo with a bright 32/320 cell ("the face") at grid cell (column, row)."""
    image = np.full((320, 320, 3), 25, np.uint8)
    image[row * 32:(row + 1) * 32, column * 32:(column + 1) * 32] = 250
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_NEAREST)


def expected(column: int, row: int) -> dict[str, tuple[float, float]]:
    def grid(point: tuple[float, float]) -> tuple[float, float]:
        return ((column + point[0]) * 32 / 160 - 1, (row + point[1]) * 32 / 160 - 1)

    right_eye, left_eye, _nose, mouth_right, mouth_left = (grid(p) for p in LANDMARKS)
    mouth = ((mouth_right[0] + mouth_left[0]) / 2, (mouth_right[1] + mouth_left[1]) / 2)
    return {"left_eye": right_eye, "right_eye": left_eye, "mouth": mouth}


def test_the_detector_finds_the_face_and_gives_the_creators_points(fixture_models: Path
                                                                   ) -> None:
    detector = FaceDetector.load(fixture_models / FACE)
    for column, row in ((4, 3), (7, 6)):
        found = detector.find(photo_with_a_face_at(column, row))
        assert found is not None
        for name, point in expected(column, row).items():
            assert found[name] == pytest.approx(point, abs=0.02), name
    assert detector.find(np.full((512, 512, 3), 25, np.uint8)) is None  # no face


def test_the_app_uses_an_installed_detector_and_explains_a_broken_one(hearth_home) -> None:
    hearth = Hearth(hearth_home)
    assert hearth.find_face(photo_with_a_face_at(4, 3))["mouth"] == pytest.approx(
        expected(4, 3)["mouth"], abs=0.02)
    installed = hearth_home.models / FACE
    installed.write_bytes(installed.read_bytes()[:500])  # a truncated download
    with pytest.raises(HearthError, match=r"face_detection_yunet_fixture\.onnx"):
        hearth.find_face(photo_with_a_face_at(4, 3))
    installed.unlink()
    assert hearth.find_face(photo_with_a_face_at(4, 3)) is None  # none: place points by hand


def test_hearth_create_places_the_face_it_finds(tmp_path: Path, hearth_home) -> None:
    from tests.test_creator import hearth_create

    photo = cv2.imencode(".png", photo_with_a_face_at(5, 4, side=900))[1].tobytes()
    done = hearth_create(hearth_home, photo, tmp_path, "Lu",
                         "Lu is a calm lighthouse keeper who likes tea.")
    assert done.returncode == 0, done.stderr
    rig = json.loads((hearth_home.personas / "user.lu" / "persona.json").read_text())["face_rig"]
    assert rig["mouth_center"] == pytest.approx(list(expected(5, 4)["mouth"]), abs=0.02)
