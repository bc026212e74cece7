"""What the face loop draws from: one verb, ``frame(moment)``, for every kind of face.

- ``WarpFace``: the hearth-face-v1 path for personas that only have a photo (the warp graph
  over the portrait, driven by visemes from piper's phoneme timings).
- ``desktop.face.neural.NeuralFace``: the hearth-face-v2 path (a recorded idle loop with the
  mouth regenerated from the voice's audio features).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from desktop.face.animator import FaceAnimator
from desktop.face.renderer import FaceRenderer


@dataclass(frozen=True)
class FaceMoment:
    speech_t: float  # the audio clock: seconds of reply audio heard, plus the paint lead
    wall_t: float  # a steady clock that never stops, for idle motion and the loop
    speaking: bool  # reply audio is playing
    listening: bool  # the user is talking


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
