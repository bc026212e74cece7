"""Finding the face in every frame, steadying it, and choosing what the call shows.

The detector is the creator's YuNet (``cv2.FaceDetectorYN``, a catalog model) when it is
installed, else OpenCV's LBP frontal-face cascade that scikit-image's wheel ships (run by
``skimage.feature.Cascade``). Faces are found on every other frame at a reduced size; the
centre and size are median-filtered and smoothed, so the crop box does not jitter, and frames
where the detector blinked are filled from their neighbours. A video where no face is found,
or where two faces are seen often, is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.errors import HearthError, require

DETECT_SIDE = 480  # frames are searched at this longer side
DISPLAY_SIDE = 512  # the loop shown in the call: at least 512 px of face and shoulders


class NoUsableFace(HearthError):
    pass


@dataclass(frozen=True)
class Face:
    x: float  # box centre, source pixels
    y: float
    size: float  # box width
    mouth_y: float  # the mouth's height in the frame


class CascadeFinder:
    """OpenCV's LBP frontal-face cascade (from scikit-image's wheel)."""

    MOUTH_AT = 0.78  # the mouth sits this far down the cascade's face box

    def __init__(self) -> None:
        feature = require("skimage.feature", "scikit-image",
                          "Finding the face (pip install 'hearth[likeness]')")
        import skimage

        path = Path(skimage.__file__).parent / "data" / "lbpcascade_frontalface_opencv.xml"
        self._cascade = feature.Cascade(str(path))

    def faces(self, gray: np.ndarray) -> list[Face]:
        side = min(gray.shape)
        found = self._cascade.detect_multi_scale(
            img=gray, scale_factor=1.15, step_ratio=1, min_size=(side // 8, side // 8),
            max_size=(side, side))
        return [Face(d["c"] + d["width"] / 2, d["r"] + d["height"] / 2, d["width"],
                     d["r"] + self.MOUTH_AT * d["height"]) for d in _merge(found)]


class YunetFinder:
    """The creator's face detector (desktop.face.detector), with its mouth landmarks."""

    def __init__(self, path: Path) -> None:
        cv2 = require("cv2", "opencv-python-headless", "Finding the face")
        self._detector = cv2.FaceDetectorYN.create(str(path), "", (320, 320), 0.8, 0.3, 5)

    def faces(self, gray: np.ndarray) -> list[Face]:
        import cv2

        bgr = np.ascontiguousarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
        self._detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _count, found = self._detector.detect(bgr)
        if found is None:
            return []
        return [Face(f[0] + f[2] / 2, f[1] + f[3] / 2, f[2], (f[11] + f[13]) / 2)
                for f in found]


def _merge(found: list[dict]) -> list[dict]:
    """The cascade reports one face several times at nearby scales: keep the largest of
    each overlapping group."""
    kept: list[dict] = []
    for d in sorted(found, key=lambda d: -d["width"]):
        cx, cy = d["c"] + d["width"] / 2, d["r"] + d["height"] / 2
        if all(abs(cx - (k["c"] + k["width"] / 2)) > k["width"] / 2
               or abs(cy - (k["r"] + k["height"] / 2)) > k["height"] / 2 for k in kept):
            kept.append(d)
    return kept


def default_finder(models_dir: Path | None = None):
    if models_dir is not None:
        candidates = sorted((models_dir / "face").glob("face_detection_yunet*.onnx"))
        real = [p for p in candidates if "fixture" not in p.name]
        if real:
            return YunetFinder(real[0])
    return CascadeFinder()


@dataclass
class FaceTrack:
    display: tuple[int, int, int]  # x0, y0, side: the square of each source frame shown
    boxes: np.ndarray  # int [N, 4]: the lower-face box of each frame, display pixels
    detected: int  # frames where the detector found the face
    searched: int


def _smooth(values: np.ndarray, width: int = 7) -> np.ndarray:
    padded = np.pad(values, width // 2, mode="edge")
    medians = np.array([np.median(padded[i:i + width]) for i in range(len(values))])
    kernel = np.ones(width) / width
    return np.convolve(np.pad(medians, width // 2, mode="edge"), kernel, mode="valid")


def track_face(frames: Iterable[np.ndarray], finder, crop_scale: float = 0.9,
               on_frame: Callable[[int], None] | None = None) -> FaceTrack:
    """Boxes for the generator's crop in every frame, in the display square's pixels. Reads
    ``frames`` once (a generator is fine) and searches every other one."""
    cv2 = require("cv2", "opencv-python-headless", "Finding the face")
    found: dict[int, Face] = {}
    several = 0
    searched: list[int] = []
    count, height, width, scale = 0, 0, 0, 1.0
    for index, frame in enumerate(frames):
        count = index + 1
        if on_frame is not None:
            on_frame(index)
        if index == 0:
            height, width = frame.shape[:2]
            scale = min(1.0, DETECT_SIDE / max(height, width))
        if index % 2:
            continue
        searched.append(index)
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if scale < 1:
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        faces = finder.faces(gray)
        big = [f for f in faces if f.size >= 0.5 * max((g.size for g in faces), default=0)]
        if len(big) > 1:
            several += 1
        if faces:
            best = max(faces, key=lambda f: f.size)
            found[index] = Face(best.x / scale, best.y / scale, best.size / scale,
                                best.mouth_y / scale)
    if count == 0:
        raise NoUsableFace("The video has no frames.", "Give a video of the person talking.")
    if len(found) < 0.5 * len(searched):
        raise NoUsableFace(
            f"No face was found in {len(searched) - len(found)} of {len(searched)} frames "
            "searched.", "Film the person facing the camera, their whole face in view and "
            "well lit, in every frame.")
    if several > 0.2 * len(searched):
        raise NoUsableFace(f"Two or more faces are in view in {several} of {len(searched)} "
                           "frames searched.", "Film one person alone, or cut the video to "
                           "the parts where only they are in view.")
    known = np.array(sorted(found))
    every = np.arange(count)
    track = {key: np.interp(every, known, [getattr(found[i], key) for i in known])
             for key in ("x", "y", "size", "mouth_y")}
    cx, size, mouth_y = _smooth(track["x"]), float(np.median(track["size"])), _smooth(
        track["mouth_y"])
    side = int(min(width, height, round(3.0 * size)))
    x0 = int(np.clip(np.median(cx) - side / 2, 0, width - side))
    y0 = int(np.clip(np.median(track["y"]) + 0.35 * size - side / 2, 0, height - side))
    to_display = DISPLAY_SIDE / side
    box_side = round(crop_scale * size * to_display)
    boxes = np.zeros((count, 4), np.int64)
    for index in range(count):
        bx = round((cx[index] - x0) * to_display - box_side / 2)
        by = round((mouth_y[index] - y0) * to_display - 0.55 * box_side)
        bx = int(np.clip(bx, 0, DISPLAY_SIDE - box_side))
        by = int(np.clip(by, 0, DISPLAY_SIDE - box_side))
        boxes[index] = (bx, by, bx + box_side, by + box_side)
    return FaceTrack((x0, y0, side), boxes, len(found), len(searched))


def display_frame(frame: np.ndarray, track: FaceTrack) -> np.ndarray:
    import cv2

    x0, y0, side = track.display
    square = frame[y0:y0 + side, x0:x0 + side]
    interpolation = cv2.INTER_AREA if side > DISPLAY_SIDE else cv2.INTER_CUBIC
    return cv2.resize(square, (DISPLAY_SIDE, DISPLAY_SIDE), interpolation=interpolation)
