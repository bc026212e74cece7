"""The ``face/manifest.json`` of a hearth-face-v2 bundle: every shape the runtime uses.

The manifest, not the code, declares the crop size, the drive (its recipe and window), the
generator's file and tensors, the idle loop video, its per-frame face boxes, the blend mask and
the frame rate (docs/face.md; JSON Schema in
``assets/schemas/face-manifest.schema.json``). Everything it says is a claim: this
module reads it with types and ranges checked, confines every path to the face folder, and
says what is wrong in words; the runtime then checks the files against it (the generator's
real tensor shapes, the video's real size and length).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from desktop.errors import HearthError
from desktop.face.drive import MelRecipe
from desktop.face.generator import CONTRACT_V2, GeneratorShape

MAX_LOOP_FRAMES = 1500  # a minute at 25 fps
MAX_LOOP_SIDE = 1280
MAX_MANIFEST_BYTES = 256 << 10
STATES = ("idle", "listening", "speaking")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a plain name in the face folder


class FaceManifestInvalid(HearthError):
    def __init__(self, problem: str, fix: str = "Ask the persona's publisher for a new copy, "
                 "or rebuild the face with hearth likeness build.") -> None:
        super().__init__(problem, fix)


@dataclass(frozen=True)
class FaceManifest:
    fps: int
    crop: int
    inpaint: tuple[int, int, int, int]  # x0, y0, x1, y1 in crop pixels, blanked in the copy
    recipe: MelRecipe
    past: int
    future: int
    generator: str
    threads: int
    video: str
    frames: int
    size: tuple[int, int]  # width, height of the loop video
    boxes: str
    blend: str
    segments: dict[str, tuple[int, int]]

    @property
    def drive_mels(self) -> int:
        return (self.past + 1 + self.future) * self.recipe.mels_per_frame

    @property
    def lookahead_s(self) -> float:
        """Audio a frame needs after its own time: part of the A/V budget."""
        return self.future / self.fps

    def files(self) -> list[str]:
        return [self.generator, self.video, self.boxes, self.blend]

    def to_dict(self) -> dict:
        r = self.recipe
        return {
            "contract": CONTRACT_V2, "fps": self.fps,
            "crop": {"size": self.crop, "inpaint": list(self.inpaint)},
            "drive": {"kind": "log_mel", "sample_rate": r.sample_rate,
                      "mels_per_frame": r.mels_per_frame, "n_fft": r.n_fft,
                      "win_length": r.win_length, "n_mels": r.n_mels, "fmin": r.fmin,
                      "fmax": r.fmax, "window": {"past": self.past, "future": self.future},
                      "neutral": "silence"},
            "generator": {"model": self.generator, "threads": self.threads,
                          "inputs": {"face": [1, 6, self.crop, self.crop],
                                     "audio": [1, self.drive_mels, r.n_mels]},
                          "outputs": {"crop": [1, 3, self.crop, self.crop]}},
            "loop": {"video": self.video, "frames": self.frames, "size": list(self.size),
                     "order": "pingpong", "boxes": self.boxes, "blend": self.blend,
                     "segments": {k: list(v) for k, v in self.segments.items()}},
        }


def lower_face_rect(crop: int) -> tuple[int, int, int, int]:
    """The lower face in a crop whose mouth sits 55 % of the way down (as the likeness
    builder cuts it), from below the nose to the crop's bottom and nearly its full width:
    blanked in the generator's second input, solid in the blend mask. It is that large so
    that nothing of the target's own mouth shows in the input (a moving jaw also moves the
    cheeks and the chin): the model must draw the mouth from the sound."""
    return (round(crop * 0.04), round(crop * 0.32), round(crop * 0.96), crop)


def new_face_manifest(shape: GeneratorShape, frames: int, size: tuple[int, int],
                      segments: dict[str, tuple[int, int]] | None = None, past: int = 4,
                      future: int = 3, threads: int = 1) -> FaceManifest:
    """The manifest of a face made by Hearth's own builder (or its test fixture)."""
    recipe = MelRecipe()
    if shape.drive_mels != (past + 1 + future) * recipe.mels_per_frame:
        raise ValueError("the generator's drive window does not match past/future")
    whole = (0, frames - 1)
    return FaceManifest(
        fps=recipe.fps, crop=shape.crop, inpaint=lower_face_rect(shape.crop), recipe=recipe,
        past=past, future=future, generator="generator.onnx", threads=threads,
        video="idle.mp4", frames=frames, size=size, boxes="boxes.json", blend="blend.png",
        segments={state: (segments or {}).get(state, whole) for state in STATES})


def _int(data: dict, key: str, low: int, high: int, where: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FaceManifestInvalid(f"The face manifest's {where}{key} must be a whole number "
                                  f"from {low} to {high}, not {value!r}.")
    return value


def _number(data: dict, key: str, low: float, high: float, where: str) -> float:
    value = data.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not (
            low <= value <= high):
        raise FaceManifestInvalid(f"The face manifest's {where}{key} must be a number from "
                                  f"{low} to {high}, not {value!r}.")
    return float(value)


def _object(data: dict, key: str) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        raise FaceManifestInvalid(f"The face manifest has no valid {key!r} section.")
    return value


def _file(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not _FILE.match(value) or value in (".", ".."):
        raise FaceManifestInvalid(f"The face manifest's {where}{key} must name a file in the "
                                  f"face folder, not {value!r}.")
    return value


def _shape(data: dict, key: str, expected: list[int], where: str) -> None:
    if data.get(key) != expected:
        raise FaceManifestInvalid(f"The face manifest declares {where}{key} as "
                                  f"{data.get(key)!r}; the rest of it needs {expected}.")


def parse_face_manifest(raw: bytes) -> FaceManifest:
    # Long: every field of the face manifest checked in the order docs/face.md lists them
    if len(raw) > MAX_MANIFEST_BYTES:
        raise FaceManifestInvalid("The face manifest is larger than a manifest may be.")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise FaceManifestInvalid(f"The face manifest is not valid JSON ({error}).") from error
    if not isinstance(data, dict) or data.get("contract") != CONTRACT_V2:
        raise FaceManifestInvalid(f"The face manifest does not declare the {CONTRACT_V2} "
                                  "contract.", "Use a face made for this version of Hearth.")
    fps = _int(data, "fps", 10, 60, "")
    crop_part, drive, gen, loop = (_object(data, k) for k in ("crop", "drive", "generator",
                                                              "loop"))
    crop = _int(crop_part, "size", 32, 512, "crop.")
    inpaint = crop_part.get("inpaint")
    if not (isinstance(inpaint, list) and len(inpaint) == 4 and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= crop for v in inpaint)
            and inpaint[0] < inpaint[2] and inpaint[1] < inpaint[3]):
        raise FaceManifestInvalid("The face manifest's crop.inpaint must be [x0, y0, x1, y1] "
                                  f"inside the {crop}-pixel crop, not {inpaint!r}.")
    if drive.get("kind") != "log_mel" or drive.get("neutral", "silence") != "silence":
        raise FaceManifestInvalid(f"The face manifest's drive kind {drive.get('kind')!r} is "
                                  "not one Hearth computes (it computes log_mel).",
                                  "Use a face made for this version of Hearth.")
    try:
        recipe = MelRecipe(
            sample_rate=_int(drive, "sample_rate", 8000, 48000, "drive."), fps=fps,
            mels_per_frame=_int(drive, "mels_per_frame", 1, 8, "drive."),
            n_fft=_int(drive, "n_fft", 64, 4096, "drive."),
            win_length=_int(drive, "win_length", 32, 4096, "drive."),
            n_mels=_int(drive, "n_mels", 8, 128, "drive."),
            fmin=_number(drive, "fmin", 0, 1000, "drive."),
            fmax=_number(drive, "fmax", 1000, 24000, "drive."))
        recipe.check()
    except ValueError as error:
        raise FaceManifestInvalid(f"The face manifest's drive recipe is inconsistent "
                                  f"({error}).") from error
    window = _object(drive, "window")
    past = _int(window, "past", 0, 25, "drive.window.")
    future = _int(window, "future", 0, 4, "drive.window.")  # each frame is 40 ms of delay
    drive_mels = (past + 1 + future) * recipe.mels_per_frame
    _shape(_object(gen, "inputs"), "face", [1, 6, crop, crop], "generator.inputs.")
    _shape(_object(gen, "inputs"), "audio", [1, drive_mels, recipe.n_mels], "generator.inputs.")
    _shape(_object(gen, "outputs"), "crop", [1, 3, crop, crop], "generator.outputs.")
    threads = _int(gen, "threads", 1, 4, "generator.") if "threads" in gen else 1
    if loop.get("order", "pingpong") != "pingpong":
        raise FaceManifestInvalid("The face manifest's loop.order must be pingpong.")
    frames = _int(loop, "frames", 2, MAX_LOOP_FRAMES, "loop.")
    size = loop.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and crop <= v <= MAX_LOOP_SIDE
            for v in size)):
        raise FaceManifestInvalid(f"The face manifest's loop.size must be [width, height] "
                                  f"from {crop} to {MAX_LOOP_SIDE} pixels, not {size!r}.")
    segments = {state: (0, frames - 1) for state in STATES}
    for state, value in (loop.get("segments") or {}).items():
        if state not in STATES or not (isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value)
                and 0 <= value[0] < value[1] < frames):
            raise FaceManifestInvalid(f"The face manifest's loop segment {state!r} must be "
                                      f"[first, last] frames within 0..{frames - 1}.")
        segments[state] = (value[0], value[1])
    manifest = FaceManifest(
        fps=fps, crop=crop, inpaint=tuple(inpaint), recipe=recipe, past=past, future=future,
        generator=_file(gen, "model", "generator."), threads=threads,
        video=_file(loop, "video", "loop."), frames=frames, size=(size[0], size[1]),
        boxes=_file(loop, "boxes", "loop."), blend=_file(loop, "blend", "loop."),
        segments=segments)
    if len(set(manifest.files())) != len(manifest.files()):
        raise FaceManifestInvalid("The face manifest names one file for two purposes.")
    return manifest


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def read_face_manifest(folder: Path) -> FaceManifest:
    path = folder / "manifest.json"
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FaceManifestInvalid(f"The face manifest {path} cannot be read ({error.strerror})."
                                  ) from error
    return parse_face_manifest(raw)


def read_boxes(path: Path, manifest: FaceManifest) -> list[tuple[int, int, int, int]]:
    """The square crop box of every loop frame: checked to lie inside the frame."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise FaceManifestInvalid(f"The face boxes file {path.name} cannot be read.") from error
    width, height = manifest.size
    if not isinstance(data, list) or len(data) != manifest.frames:
        raise FaceManifestInvalid(f"The face boxes file must hold {manifest.frames} boxes, one "
                                  "per loop frame.")
    boxes = []
    for index, box in enumerate(data):
        if not (isinstance(box, list) and len(box) == 4 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in box)):
            raise FaceManifestInvalid(f"Face box {index} is not four whole numbers.")
        x0, y0, x1, y1 = box
        if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height and x1 - x0 == y1 - y0
                and x1 - x0 >= 16):
            raise FaceManifestInvalid(f"Face box {index} ({box}) is not a square inside the "
                                      f"{width}x{height} loop frame.")
        boxes.append((x0, y0, x1, y1))
    return boxes
