"""The hearth-face-v2 runtime: a recorded idle loop of the real person, with the lower face
regenerated from the voice while the persona speaks.

    face = NeuralFace.load(face_folder, threads=1)      # checks files against the manifest
    animator.attach_drive(face.drive)                   # TTS chunks feed the drive
    image = face.frame(moment)                          # uint8 RGB at the loop's resolution

Per frame: the loop clock picks loop frame k (ping-pong inside the segment of the current
state: idle, listening or speaking); while the persona is not speaking the frame is shown as
recorded and the model is not called. While it speaks, the box of frame k is cropped and
resized to the generator's size, the model makes the crop from the drive window around the
audio clock, and the result is resized back and alpha-blended with the soft mask at the
loop's own resolution. Speech eases in and out over a few frames (the blend weight follows an
envelope), so there is no pop between recorded and generated mouths.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.errors import HearthError, require
from desktop.face.drive import DriveTrack, MelExtractor
from desktop.face.manifest import (
    FaceManifest,
    FaceManifestInvalid,
    read_boxes,
    read_face_manifest,
)
from desktop.face.source import FaceMoment

RAW_CACHE_BYTES = 192 << 20  # loops larger than this are kept JPEG-compressed in memory
EASE_FRAMES = 5


class LoopFrames:
    """The idle loop's frames in memory (RGB), decoded once at load."""

    def __init__(self, frames: list, compressed: bool) -> None:
        self._frames = frames
        self.compressed = compressed

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, index: int) -> np.ndarray:
        frame = self._frames[index]
        if not self.compressed:
            return frame
        import cv2

        return cv2.cvtColor(cv2.imdecode(frame, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    @staticmethod
    def read(path: Path, manifest: FaceManifest) -> LoopFrames:
        cv2 = require("cv2", "opencv-python-headless", "The persona's face video")
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise FaceManifestInvalid(f"The face video {path.name} cannot be decoded.")
        width, height = manifest.size
        compressed = manifest.frames * width * height * 3 > RAW_CACHE_BYTES
        frames: list = []
        try:
            while len(frames) <= manifest.frames:
                ok, bgr = capture.read()
                if not ok:
                    break
                if bgr.shape[1] != width or bgr.shape[0] != height:
                    raise FaceManifestInvalid(
                        f"The face video is {bgr.shape[1]}x{bgr.shape[0]}; its manifest says "
                        f"{width}x{height}.")
                if compressed:
                    frames.append(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 94])[1])
                else:
                    frames.append(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
        finally:
            capture.release()
        if len(frames) != manifest.frames:
            raise FaceManifestInvalid(f"The face video has {len(frames)} frames or more; its "
                                      f"manifest says {manifest.frames}.")
        return LoopFrames(frames, compressed)


class LoopClock:
    """Which loop frame to show: ping-pong inside the current state's segment, and a walk
    through the footage (never a jump) when the state moves to another segment."""

    def __init__(self, segments: dict[str, tuple[int, int]], fps: int) -> None:
        self.segments = segments
        self.fps = fps
        self.index = segments["idle"][0]
        self.direction = 1
        self._last_step: int | None = None

    def at(self, wall_t: float, state: str) -> int:
        step = math.floor(wall_t * self.fps + 1e-6)
        if self._last_step is None:
            self._last_step = step
        for _ in range(min(step - self._last_step, 3 * self.fps)):
            self._advance(self.segments[state])
        self._last_step = step
        return self.index

    def _advance(self, segment: tuple[int, int]) -> None:
        first, last = segment
        if self.index < first:
            self.index += 1
            self.direction = 1
            return
        if self.index > last:
            self.index -= 1
            self.direction = -1
            return
        if not first <= self.index + self.direction <= last:
            self.direction = -self.direction
        self.index = min(last, max(first, self.index + self.direction))


@dataclass
class FaceTimings:
    model_ms: list[float] = field(default_factory=list)
    composite_ms: list[float] = field(default_factory=list)
    model_calls: int = 0
    frames: int = 0

    def keep_recent(self) -> None:
        for values in (self.model_ms, self.composite_ms):
            if len(values) > 2000:
                del values[:1000]


class NeuralFace:
    def __init__(self, manifest: FaceManifest, session: object, loop: LoopFrames,
                 boxes: list[tuple[int, int, int, int]], blend: np.ndarray) -> None:
        self.manifest = manifest
        self.session = session
        self.loop = loop
        self.boxes = boxes
        self.blend = blend  # float32 [S, S] in [0, 1]
        self.drive = DriveTrack(MelExtractor(manifest.recipe), manifest.past, manifest.future)
        self.clock = LoopClock(manifest.segments, manifest.fps)
        self.timings = FaceTimings()
        self._ease = 0  # frames into the ease between recorded and generated mouths
        self._lock = threading.Lock()  # one frame at a time (the bench and the loop share it)

    @property
    def size(self) -> tuple[int, int]:
        return self.manifest.size

    @staticmethod
    def load(folder: Path, threads: int | None = None) -> NeuralFace:
        cv2 = require("cv2", "opencv-python-headless", "The persona's face")
        manifest = read_face_manifest(folder)
        for name in manifest.files():
            if not (folder / name).is_file():
                raise FaceManifestInvalid(f"The face folder lacks {name}, which its manifest "
                                          "names.")
        session = open_generator(folder / manifest.generator, manifest,
                                 threads or manifest.threads)
        boxes = read_boxes(folder / manifest.boxes, manifest)
        raw = (folder / manifest.blend).read_bytes()
        # The header's size is checked before anything is decoded.
        fits = _png_size(raw) == (manifest.crop, manifest.crop)
        mask = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_GRAYSCALE) if fits else None
        if mask is None or mask.shape != (manifest.crop, manifest.crop):
            raise FaceManifestInvalid(f"The blend mask {manifest.blend} must be a "
                                      f"{manifest.crop}x{manifest.crop} grey image.")
        loop = LoopFrames.read(folder / manifest.video, manifest)
        return NeuralFace(manifest, session, loop, boxes, mask.astype(np.float32) / 255.0)

    def generator_inputs(self, frame: np.ndarray, index: int) -> np.ndarray:
        """The 6 x S x S input: the loop frame's crop and a copy with the lower face blanked."""
        import cv2

        x0, y0, x1, y1 = self.boxes[index]
        s = self.manifest.crop
        crop = cv2.resize(frame[y0:y1, x0:x1], (s, s), interpolation=cv2.INTER_AREA)
        ref = crop.astype(np.float32).transpose(2, 0, 1) / 255.0
        masked = ref.copy()
        a, b, c, d = self.manifest.inpaint
        masked[:, b:d, a:c] = 0.0
        return np.concatenate([ref, masked])[None]

    def frame(self, moment: FaceMoment) -> np.ndarray:
        with self._lock:
            return self._frame(moment)

    def _frame(self, moment: FaceMoment) -> np.ndarray:
        import cv2

        speaking = moment.speaking
        state = "speaking" if speaking else "listening" if moment.listening else "idle"
        index = self.clock.at(moment.wall_t, state)
        frame = self.loop[index]
        # Counted in whole frames, so the ease ends exactly (no model call at a weight of 1e-17).
        self._ease = min(EASE_FRAMES, self._ease + 1) if speaking else max(0, self._ease - 1)
        self.timings.frames += 1
        if self._ease == 0:
            return frame  # idle: the footage as recorded, no model call
        started = time.perf_counter()
        face = self.generator_inputs(frame, index)
        audio = self.drive.window(moment.speech_t)[None]
        (crop,) = self.session.run(["crop"], {"face": face, "audio": audio})
        model_done = time.perf_counter()
        x0, y0, x1, y1 = self.boxes[index]
        side = x1 - x0
        generated = np.clip(crop[0].transpose(1, 2, 0), 0.0, 1.0) * 255.0
        generated = cv2.resize(generated, (side, side), interpolation=cv2.INTER_LINEAR)
        alpha = cv2.resize(self.blend, (side, side), interpolation=cv2.INTER_LINEAR)
        alpha = (alpha * (self._ease / EASE_FRAMES))[..., None]
        out = frame.copy()
        region = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = (region + alpha * (generated - region) + 0.5).astype(np.uint8)
        done = time.perf_counter()
        self.timings.model_calls += 1
        self.timings.model_ms.append((model_done - started) * 1000.0)
        self.timings.composite_ms.append((done - model_done) * 1000.0)
        self.timings.keep_recent()
        return out


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def open_generator(path: Path, manifest: FaceManifest, threads: int) -> object:
    """An onnxruntime session on a generator checked for safety and against the manifest."""
    from desktop.trial import check_onnx

    ort = require("onnxruntime", "onnxruntime", "The persona's face")
    check_onnx(path)  # single file, standard operators only
    options = ort.SessionOptions()
    # The renderer shares the media core with TTS (desktop.budget): its own thread count.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        session = ort.InferenceSession(str(path), sess_options=options,
                                       providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own Fail/InvalidGraph types
        raise HearthError(f"The face generator {path.name} could not be loaded "
                          f"({str(error).splitlines()[0][:160]}).",
                          "Rebuild the face with hearth likeness build, or reinstall the "
                          "persona.") from error
    expected = {"face": [1, 6, manifest.crop, manifest.crop],
                "audio": [1, manifest.drive_mels, manifest.recipe.n_mels]}
    inputs = {i.name: i.shape for i in session.get_inputs()}
    outputs = {o.name: o.shape for o in session.get_outputs()}
    if inputs != expected or outputs.get("crop") != [1, 3, manifest.crop, manifest.crop]:
        raise FaceManifestInvalid(
            f"The face generator's tensors ({inputs} -> {outputs}) are not the ones its "
            f"manifest declares ({expected} -> crop [1, 3, {manifest.crop}, {manifest.crop}]).")
    return session


def feathered_mask(crop: int, inpaint: tuple[int, int, int, int], feather: float = 0.12
                   ) -> np.ndarray:
    """A soft u8 blend mask: 255 over the regenerated lower face, falling smoothly to 0 before
    the crop's edge, so the seam never shows (a Gaussian-feathered rectangle, as the CPU
    talking heads use; Poisson blending costs 35-170 ms a frame and is out)."""
    import cv2

    x0, y0, x1, y1 = inpaint
    margin = max(2, round(crop * feather))
    mask = np.zeros((crop, crop), np.float32)
    mask[max(y0, margin): min(y1, crop - margin), max(x0, margin): min(x1, crop - margin)] = 1.0
    sigma = margin / 2.0
    mask = cv2.GaussianBlur(mask, (0, 0), sigmaX=sigma, sigmaY=sigma)
    return np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8)


def write_loop_video(path: Path, frames_rgb: list[np.ndarray], fps: int) -> Path:
    """The idle loop as MPEG-4 video (OpenCV's bundled FFmpeg), read back by LoopFrames."""
    cv2 = require("cv2", "opencv-python-headless", "Writing the face video")
    height, width = frames_rgb[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise HearthError(f"The face video {path.name} cannot be written.",
                          "Check that the output folder is writable.")
    try:
        for rgb in frames_rgb:
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def trial_load_child(path: Path) -> None:
    """desktop.trial's one load of a v2 face folder, in its child process: one speaking
    frame, so the generator really runs."""
    NeuralFace.load(path).frame(FaceMoment(0.0, 0.0, True, False))
