"""Framing a card's or a photo's picture as a face: a head-and-shoulders square around the
face when one is found, never a squashed or cut-off picture, and no mouth animated where
there is no face.

    square_bgr, rig = frame_portrait(bgr, find_face)

``find_face`` is the creator's detector (``Hearth.find_face``: YuNet, checked in a child
first) or None when it is not installed. A face found: the square is cut around it (4.6 eye
distances wide, the eyes 38 % down) and the rig placed from the detector's points. No face
found: the whole picture is letterboxed on a blurred copy of itself and ``rig`` is None (the
call then shows the still portrait with a speaking indicator). No detector: a roughly square
picture keeps the centred guess (``DEFAULT_RIG``); any other shape is letterboxed, still.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SIDE = 512
FindFace = Callable[[np.ndarray], dict | None]


def letterbox(bgr: np.ndarray, side: int = SIDE) -> np.ndarray:
    """The whole picture inside a square, on a blurred and darkened copy of itself."""
    import cv2

    height, width = bgr.shape[:2]
    backdrop = cv2.resize(bgr, (side, side), interpolation=cv2.INTER_AREA)
    backdrop = (cv2.GaussianBlur(backdrop, (0, 0), side / 24) * 0.55).astype(np.uint8)
    scale = side / max(height, width)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    fitted = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else
                        cv2.INTER_CUBIC)
    x0, y0 = (side - w) // 2, (side - h) // 2
    backdrop[y0:y0 + h, x0:x0 + w] = fitted
    return backdrop


def _to_pixels(point: tuple[float, float], side: int) -> tuple[float, float]:
    return ((point[0] + 1) / 2 * side, (point[1] + 1) / 2 * side)


def frame_portrait(bgr: np.ndarray, find_face: FindFace | None, side: int = SIDE
                   ) -> tuple[np.ndarray, dict | None]:
    import cv2

    from desktop.face.contract import DEFAULT_RIG, rig_from_points

    height, width = bgr.shape[:2]
    if find_face is None:
        if 0.9 <= width / height <= 1.1:
            top, left = (height - min(height, width)) // 2, (width - min(height, width)) // 2
            crop = bgr[top:top + min(height, width), left:left + min(height, width)]
            return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA), DEFAULT_RIG
        return letterbox(bgr, side), None
    boxed = letterbox(bgr, side)  # the detector sees the whole picture, unsquashed
    points = find_face(boxed)
    if points is None:
        return boxed, None
    # Back from the letterboxed square to the picture's own pixels.
    scale = side / max(height, width)
    x0, y0 = (side - width * scale) / 2, (side - height * scale) / 2

    def original(point: tuple[float, float]) -> tuple[float, float]:
        x, y = _to_pixels(point, side)
        return ((x - x0) / scale, (y - y0) / scale)

    left, right, mouth = (original(points[k]) for k in ("left_eye", "right_eye", "mouth"))
    eyes = max(4.0, float(np.hypot(right[0] - left[0], right[1] - left[1])))
    cut = min(max(height, width), round(4.6 * eyes))
    centre_x = (left[0] + right[0]) / 2
    top = (left[1] + right[1]) / 2 - 0.38 * cut
    cx0, cy0 = round(centre_x - cut / 2), round(top)
    # Where the square runs past the picture, the blurred backdrop fills in.
    padded = cv2.copyMakeBorder(bgr, cut, cut, cut, cut, cv2.BORDER_REFLECT_101)
    square = cv2.resize(padded[cy0 + cut:cy0 + 2 * cut, cx0 + cut:cx0 + 2 * cut], (side, side),
                        interpolation=cv2.INTER_AREA if cut > side else cv2.INTER_CUBIC)

    def grid(point: tuple[float, float]) -> tuple[float, float]:
        return ((point[0] - cx0) / cut * 2 - 1, (point[1] - cy0) / cut * 2 - 1)

    return square, rig_from_points(grid(left), grid(right), grid(mouth))
