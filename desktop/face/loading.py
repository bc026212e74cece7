"""A persona's face, loaded for a call: its v2 face (idle loop and generator) when it brings
one, else the v1 warp renderer over its portrait, else the still portrait."""

from __future__ import annotations

import numpy as np

from desktop.errors import HearthError
from desktop.face.animator import FaceAnimator
from desktop.face.contract import FaceRig
from desktop.face.renderer import FaceRenderer
from desktop.face.source import FaceSource, StillFace, WarpFace
from desktop.paths import asset_path
from desktop.personas.library import Persona


def load_face_source(persona: Persona, animator: FaceAnimator, size: int = 512,
                     threads: int = 1) -> FaceSource:
    """A hearth-face-v2 face when the persona brings one (its idle loop and generator,
    checked against its manifest), else the v1 warp over its portrait. The animator feeds a v2
    face's drive from then on."""
    folder = persona.face_folder()
    if folder is not None:
        from desktop.face.neural import NeuralFace

        face = NeuralFace.load(folder, threads)
        animator.attach_drive(face.drive)
        return face
    animator.attach_drive(None)
    if persona.rig is None and persona.renderer_path() is None:
        return StillFace(load_portrait(persona), animator, size)
    return WarpFace(load_face_renderer(persona, size, threads), animator)


def load_face_renderer(persona: Persona, size: int = 256, threads: int = 1) -> FaceRenderer:
    """The persona's own renderer if its bundle brings one (checked against the contract when
    loaded), else the built-in one."""
    own = persona.renderer_path()
    if own is None:
        return load_builtin_renderer(persona, size, threads)
    return FaceRenderer.load(own, load_portrait(persona), persona.rig, size=size,
                             threads=threads)


def load_builtin_renderer(persona: Persona, size: int = 256, threads: int = 1) -> FaceRenderer:
    """The built-in warp renderer on this persona's portrait and face rig (a persona with no
    face found gets the centred guess here; calls show it still, load_face_source)."""
    from desktop.face.contract import DEFAULT_RIG

    return FaceRenderer.load(asset_path("renderer", "builtin-warp.onnx"), load_portrait(persona),
                             persona.rig or FaceRig.from_dict(DEFAULT_RIG), size=size,
                             threads=threads)


def load_portrait(persona: Persona) -> np.ndarray:
    """The persona's portrait as RGB, decoded with a pixel cap."""
    import cv2

    data = np.frombuffer(persona.portrait_path.read_bytes(), np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None or image.shape[0] * image.shape[1] > 4096 * 4096:
        raise HearthError(f"The portrait of {persona.name()} cannot be read.",
                          "Reinstall the persona.")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
