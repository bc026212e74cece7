"""The renderer contract every face model follows, so trained models can replace the built-in one.

A renderer is an ONNX graph with three inputs and one output:

- ``portrait``: float32 [1, 3, H, W], RGB in [0, 1]; the neutral portrait.
- ``rig``: float32 [1, 12], where the face is in that portrait, in grid coordinates
  (x and y in [-1, 1], y down): left eye x,y; right eye x,y; mouth centre x,y;
  mouth width, height; face centre x,y; face width, height.
- ``params``: float32 [1, 9], the expression of this frame, each in the range given by
  ``PARAM_NAMES`` below.
- output ``frame``: float32 [1, 3, H, W], RGB in [0, 1].

The graph declares ``hearth.renderer_contract = "hearth-face-v1"`` in its metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CONTRACT = "hearth-face-v1"

PARAM_NAMES: tuple[str, ...] = (
    "jaw_open",  # 0 closed .. 1 wide open
    "mouth_wide",  # 0 .. 1, lips spread (ee, s)
    "mouth_round",  # 0 .. 1, lips rounded (oo, w)
    "blink_left",  # 0 open .. 1 closed
    "blink_right",
    "head_yaw",  # radians, about -0.3 .. 0.3
    "head_pitch",
    "head_roll",
    "brow_raise",  # 0 .. 1
)
PARAM_INDEX = {name: index for index, name in enumerate(PARAM_NAMES)}


@dataclass
class FaceRig:
    """Where the features of a portrait are, in grid coordinates ([-1, 1], y down)."""

    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    mouth_center: tuple[float, float]
    mouth_size: tuple[float, float]
    face_center: tuple[float, float]
    face_size: tuple[float, float]

    def to_array(self) -> np.ndarray:
        values = [
            *self.left_eye, *self.right_eye, *self.mouth_center,
            *self.mouth_size, *self.face_center, *self.face_size,
        ]
        return np.asarray(values, dtype=np.float32).reshape(1, 12)

    @classmethod
    def from_dict(cls, data: dict) -> FaceRig:
        def pair(key: str) -> tuple[float, float]:
            value = data[key]
            if not (isinstance(value, list | tuple) and len(value) == 2):
                raise ValueError(f"face rig field '{key}' must be two numbers")
            x, y = float(value[0]), float(value[1])
            if not (-1.5 <= x <= 1.5 and -1.5 <= y <= 1.5):
                raise ValueError(f"face rig field '{key}' is outside the portrait")
            return (x, y)

        return cls(
            left_eye=pair("left_eye"), right_eye=pair("right_eye"),
            mouth_center=pair("mouth_center"), mouth_size=pair("mouth_size"),
            face_center=pair("face_center"), face_size=pair("face_size"),
        )

    def to_dict(self) -> dict:
        return {
            "left_eye": list(self.left_eye), "right_eye": list(self.right_eye),
            "mouth_center": list(self.mouth_center), "mouth_size": list(self.mouth_size),
            "face_center": list(self.face_center), "face_size": list(self.face_size),
        }


@dataclass
class FaceParams:
    """One frame's expression. Unset fields are neutral."""

    values: np.ndarray = field(default_factory=lambda: np.zeros(len(PARAM_NAMES), np.float32))

    def __getitem__(self, name: str) -> float:
        return float(self.values[PARAM_INDEX[name]])

    def __setitem__(self, name: str, value: float) -> None:
        self.values[PARAM_INDEX[name]] = value

    def to_array(self) -> np.ndarray:
        return self.values.astype(np.float32).reshape(1, len(PARAM_NAMES))


# Where the face usually sits in a card's portrait (centred, head and shoulders). A card has no
# face landmarks; the persona creator lets the user move these points onto the real face.
DEFAULT_RIG = {"left_eye": [-0.15, -0.13], "right_eye": [0.15, -0.13],
               "mouth_center": [0.0, 0.14], "mouth_size": [0.26, 0.06],
               "face_center": [0.0, -0.08], "face_size": [0.75, 1.0]}


def rig_from_points(left_eye: tuple[float, float], right_eye: tuple[float, float],
                    mouth: tuple[float, float]) -> dict:
    """A full face rig from the three points the user places on the photo (grid coordinates,
    [-1, 1], y down), in the proportions of a typical face: the mouth's width and the face's
    extent follow from the distance between the eyes."""
    eyes = ((right_eye[0] - left_eye[0]) ** 2 + (right_eye[1] - left_eye[1]) ** 2) ** 0.5
    eyes = max(eyes, 0.05)
    middle = ((left_eye[0] + right_eye[0]) / 2, (left_eye[1] + right_eye[1]) / 2)

    def clip(value: float) -> float:
        return round(max(-1.5, min(1.5, value)), 4)

    return {
        "left_eye": [clip(left_eye[0]), clip(left_eye[1])],
        "right_eye": [clip(right_eye[0]), clip(right_eye[1])],
        "mouth_center": [clip(mouth[0]), clip(mouth[1])],
        "mouth_size": [clip(0.85 * eyes), clip(0.2 * eyes)],
        "face_center": [clip(middle[0]), clip(middle[1] + 0.15 * eyes)],
        "face_size": [clip(2.43 * eyes), clip(3.2 * eyes)],
    }
