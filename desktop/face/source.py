"""What the face loop draws from: one verb, ``frame(moment)``, for every kind of face.

- ``WarpFace``: the hearth-face-v1 path for personas that only have a photo (the warp graph
  over the portrait, driven by visemes from piper's phoneme timings).
- ``desktop.face.neural.NeuralFace``: the hearth-face-v2 path (a recorded idle loop with the
  mouth regenerated from the voice's audio features).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from desktop.face.animator import FaceAnimator
from desktop.face.renderer import FaceRenderer


@dataclass(frozen=True)
class FaceMoment:
    speech_t: float  # the audio clock: seconds of reply audio heard, plus the paint lead
    wall_t: float  # a steady clock that never stops, for idle motion and the loop
    speaking: bool  # reply audio is playing
    listening: bool  # the user is talking


@runtime_checkable
class FaceSource(Protocol):
    def frame(self, moment: FaceMoment) -> np.ndarray:
        """uint8 RGB [H, W, 3] for that moment."""
        ...


class WarpFace:
    def __init__(self, renderer: FaceRenderer, animator: FaceAnimator) -> None:
        self.renderer = renderer
        self.animator = animator

    def frame(self, moment: FaceMoment) -> np.ndarray:
        return self.renderer.render(self.animator.params_at(moment.speech_t, moment.wall_t))


class StillFace:
    """A portrait where no face was found: shown as it is (never a mouth on a dress), with a
    small speaking indicator under it that follows the voice while the persona speaks."""

    def __init__(self, portrait_rgb: np.ndarray, animator: FaceAnimator, size: int = 512
                 ) -> None:
        import cv2

        self.animator = animator
        height, width = portrait_rgb.shape[:2]
        if (height, width) != (size, size):
            portrait_rgb = cv2.resize(portrait_rgb, (size, size), interpolation=cv2.INTER_AREA)
        self.portrait = np.ascontiguousarray(portrait_rgb)

    def frame(self, moment: FaceMoment) -> np.ndarray:
        if not moment.speaking:
            return self.portrait
        import cv2

        level = self.animator.params_at(moment.speech_t, moment.wall_t)["jaw_open"]
        image = self.portrait.copy()
        size = image.shape[0]
        base_y, step = int(size * 0.93), max(6, size // 40)
        for index in range(5):
            # Five bars, the middle tallest, swaying with the voice.
            wave = 0.35 + 0.65 * abs(np.sin(moment.wall_t * 7 + index * 1.3))
            height = int(step * (0.8 + 3.2 * level * wave * (1 - abs(index - 2) * 0.2)))
            x = size // 2 + (index - 2) * step * 2
            cv2.line(image, (x, base_y - height // 2), (x, base_y + height // 2),
                     (255, 255, 255), max(3, step // 2), cv2.LINE_AA)
        return image
