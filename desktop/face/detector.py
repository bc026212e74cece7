"""Finding the face in a photo, so the persona creator places the eyes and mouth itself.

OpenCV's ``FaceDetectorYN`` runs YuNet (opencv_zoo, MIT, 0.23 MB), a catalog model the user
downloads like the others (``hearth models download yunet-face``); the headless OpenCV wheel
ships no detector of its own. Without it, the points start where a centred portrait's
features usually are and the user drags them.

    detector = FaceDetector.load(path)
    points = detector.find(bgr_square)   # {"left_eye": (x, y), ...} in [-1, 1], or None
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.errors import HearthError, require

INPUT_SIZE = 320  # YuNet's usual input; the square portrait is resized to it
SCORE_THRESHOLD = 0.8


class FaceDetector:
    def __init__(self, path: Path, score_threshold: float = SCORE_THRESHOLD) -> None:
        self.path = path
        self.score_threshold = score_threshold
        self._detector = None

    @classmethod
    def load(cls, path: Path, score_threshold: float = SCORE_THRESHOLD) -> FaceDetector:
        detector = cls(path, score_threshold)
        detector._open()
        return detector

    def _open(self) -> None:
        cv2 = require("cv2", "opencv-python-headless", "Finding the face in a photo")
        try:
            self._detector = cv2.FaceDetectorYN.create(
                str(self.path), "", (INPUT_SIZE, INPUT_SIZE), self.score_threshold, 0.3, 5)
        except cv2.error as error:
            raise HearthError(f"The face detector {self.path.name} could not be loaded "
                              f"({str(error).strip().splitlines()[-1]}).",
                              "Download it again: hearth models download yunet-face.") from error

    def find(self, bgr: np.ndarray) -> dict[str, tuple[float, float]] | None:
        """The most confident face's eyes and mouth in a square image, as the creator's
        points (grid coordinates, [-1, 1], y down; "left" is the image's left), or None."""
        import cv2

        image = cv2.resize(bgr, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
        _count, faces = self._detector.detect(np.ascontiguousarray(image))
        if faces is None or not len(faces):
            return None
        best = faces[int(np.argmax(faces[:, 14]))]

        def grid(x: float, y: float) -> tuple[float, float]:
            scale = 2.0 / INPUT_SIZE
            return (round(float(np.clip(x * scale - 1, -1, 1)), 4),
                    round(float(np.clip(y * scale - 1, -1, 1)), 4))

        # YuNet's landmarks: the subject's right eye (image left), left eye, nose tip, the
        # mouth's right and left corners.
        right_eye, left_eye = grid(best[4], best[5]), grid(best[6], best[7])
        mouth = grid((best[10] + best[12]) / 2, (best[11] + best[13]) / 2)
        return {"left_eye": right_eye, "right_eye": left_eye, "mouth": mouth}


def trial_load_child(path: Path) -> None:
    """desktop.trial's one load of a face detector, in its child process."""
    import numpy as np

    FaceDetector.load(path).find(np.zeros((64, 64, 3), np.uint8))
