"""``hearth likeness build``: a talking video in, a hearth-face-v2 face folder out.

    report = build_likeness(video, out_dir, LikenessOptions(), consent, progress)

Writes ``out_dir/face/`` (manifest.json, generator.onnx, idle.mp4, boxes.json, blend.png:
exactly what docs/face.md specifies and ``hearth create --face`` signs), and beside it
``consent.json`` (whose likeness, and the SHA-256 of the source video as evidence),
``report.json`` (what was found and how well the model does on held-out frames) and
``checkpoint.pt`` (training goes on from it after a stop).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from desktop.errors import HearthError
from desktop.face.drive import DriveTrack, MelExtractor
from desktop.face.generator import GeneratorShape, multiply_adds, write_generator
from desktop.face.manifest import new_face_manifest
from desktop.likeness.track import default_finder, display_frame, track_face

FACE_FOLDER = "face"
MIN_SECONDS = 20.0
RECOMMENDED_SECONDS = 180.0
MIN_IDLE_FRAMES = 50  # 2 s of the person silent: the loop shown between sentences
MAX_IDLE_FRAMES = 250
HELD_OUT = 0.15  # the last 15 % of the video is never trained on: it measures the model
CONSENT_BASES = ("own", "permission")


class LikenessRefused(HearthError):
    pass


@dataclass
class LikenessOptions:
    crop: int = 160
    width: int = 24
    steps: int = 6000
    batch: int = 16
    device: str = "cpu"
    threads: int = 0
    min_seconds: float = MIN_SECONDS
    seed: int = 0


@dataclass(frozen=True)
class Consent:
    basis: str  # "own": the face and voice are the user's; "permission": used with leave
    statement: str = ""

    def check(self) -> None:
        if self.basis not in CONSENT_BASES:
            raise LikenessRefused("Say whose face and voice these are: your own (--consent own) "
                                  "or someone's who gave you permission (--consent "
                                  "permission).")

    def record(self, evidence_sha256: list[str]) -> dict:
        self.check()
        statement = self.statement or (
            "The face and voice are my own." if self.basis == "own" else
            "The person shown gave me permission to make and use this likeness.")
        return {"basis": self.basis, "statement": statement,
                "evidence_sha256": evidence_sha256,
                "recorded_at": datetime.now(UTC).isoformat(timespec="seconds")}


@dataclass
class LikenessReport:
    seconds: float
    frames: int
    speech_share: float
    faces_found: str
    idle_loop: tuple[int, int]
    crop: int
    gmac_per_frame: float
    steps: int
    held_out_frames: int
    evaluation: dict = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def speech_frames(audio: np.ndarray, sample_rate: int, fps: int, count: int) -> np.ndarray:
    """Which video frames have the person's voice (loudness well above the room's), widened
    by three frames each side so the idle loop never starts mid-word."""
    step = sample_rate // fps
    rms = np.array([np.sqrt(np.mean(audio[i * step:(i + 1) * step] ** 2) + 1e-12)
                    for i in range(count)])
    floor = float(np.percentile(rms, 10))
    loud = float(np.percentile(rms, 95))
    voiced = rms > max(0.01, floor * 4, loud * 0.1)
    widened = np.convolve(voiced.astype(int), np.ones(7, int), mode="same") > 0
    return widened


def idle_segment(speech: np.ndarray) -> tuple[int, int]:
    best, start = (0, -1), None
    for index, voiced in enumerate([*speech.tolist(), True]):
        if not voiced and start is None:
            start = index
        elif voiced and start is not None:
            if index - start > best[1] - best[0] + 1:
                best = (start, index - 1)
            start = None
    first, last = best
    if last - first + 1 < MIN_IDLE_FRAMES:
        raise LikenessRefused(
            "The video has no stretch of at least 2 seconds where the person is silent.",
            "Record 10-20 seconds of the person listening quietly (at the start is best): "
            "that footage is what the call shows between sentences.")
    return first, min(last, first + MAX_IDLE_FRAMES - 1)


def build_likeness(video: Path, out_dir: Path, options: LikenessOptions, consent: Consent,
                   progress: Callable[[str, float, str], None] | None = None,
                   models_dir: Path | None = None,
                   resting_twin: Path | None = None) -> LikenessReport:
    """``resting_twin``: the self-test's second video, the same frames with the mouth at
    rest, for a held-out check at each frame's own head pose (desktop.likeness.evaluate)."""
    # Long: the builder's pipeline (read, track, loop, mask, train, export, verify) in the order a
    # user sees its progress; each step is its own function
    import cv2

    from desktop.likeness.model import TrainingSet, export_weights, train
    from desktop.likeness.video import read_sound, video_frames

    def say(stage: str, fraction: float, detail: str = "") -> None:
        if progress is not None:
            progress(stage, fraction, detail)

    consent.check()
    shape = GeneratorShape(crop=options.crop, width=options.width)
    shape.check()
    manifest_probe = new_face_manifest(shape, 2, (512, 512))
    recipe = manifest_probe.recipe
    say("read", 0.0, video.name)
    audio = read_sound(video, recipe.sample_rate)
    evidence = sha256_file(video)
    consent_record = consent.record([evidence])
    seconds = len(audio) / recipe.sample_rate
    if seconds < options.min_seconds:
        raise LikenessRefused(
            f"The video is {seconds:.0f} seconds long; the face needs at least "
            f"{options.min_seconds:.0f} (3-5 minutes is best).",
            "Record the person talking for 3-5 minutes, facing the camera.")
    expected_frames = int(seconds * recipe.fps)
    speech = speech_frames(audio, recipe.sample_rate, recipe.fps, expected_frames)
    if speech.mean() < 0.2:
        raise LikenessRefused(
            f"The person speaks in only {speech.mean():.0%} of the video.",
            "The face learns the mouth from the voice: record them talking most of the time, "
            "with clear sound and no music.")
    loop = idle_segment(speech)
    say("track", 0.05, f"about {expected_frames} frames")
    track = track_face(video_frames(video, recipe.fps), default_finder(models_dir),
                       on_frame=lambda i: say("track", 0.05 + 0.1 * i / expected_frames)
                       if i % 100 == 0 else None)
    count = min(len(track.boxes), expected_frames)
    speech = speech[:count]
    say("crops", 0.15)
    s = shape.crop
    crops = np.zeros((count, s, s, 3), np.uint8)
    display_loop = []
    for index, frame in enumerate(video_frames(video, recipe.fps)):
        if index >= count:
            break
        shown = display_frame(frame, track)
        x0, y0, x1, y1 = track.boxes[index]
        crops[index] = cv2.resize(shown[y0:y1, x0:x1], (s, s), interpolation=cv2.INTER_AREA)
        if loop[0] <= index <= loop[1]:
            display_loop.append(shown)
    if len(display_loop) < MIN_IDLE_FRAMES:
        raise LikenessRefused("The video's picture ends before its sound does.",
                              "Export the video again from the recording.")
    loop = (loop[0], loop[0] + len(display_loop) - 1)
    drive = DriveTrack(MelExtractor(recipe), manifest_probe.past, manifest_probe.future)
    drive.add_audio(audio, recipe.sample_rate, 0.0)
    drives = np.stack([drive.window(i / recipe.fps) for i in range(len(crops))])
    held_from = int(len(crops) * (1 - HELD_OUT))
    train_idx = np.arange(held_from)
    data = TrainingSet(crops, drives, train_idx, manifest_probe.inpaint)
    out_dir.mkdir(parents=True, exist_ok=True)

    def on_step(p) -> None:
        if p.step % 25 == 0 or p.step == p.steps:
            say("train", 0.2 + 0.7 * p.step / p.steps,
                f"step {p.step}/{p.steps} · loss {p.loss:.4f} · about {p.eta_s / 60:.0f} min "
                "left")

    module = train(shape, data, options.steps, out_dir / "checkpoint.pt", options.threads,
                   options.batch, seed=options.seed, device=options.device, progress=on_step)
    say("export", 0.92)
    face_dir = out_dir / FACE_FOLDER
    face_dir.mkdir(parents=True, exist_ok=True)
    write_generator(face_dir / "generator.onnx", shape, export_weights(module))
    _check_export(module, face_dir / "generator.onnx", data)
    write_face_folder(face_dir, shape, display_loop, track.boxes[loop[0]:loop[1] + 1])
    say("evaluate", 0.96)
    from desktop.likeness.evaluate import evaluate_heldout

    held_out = np.arange(held_from, len(crops))
    contexts = None
    if resting_twin is not None:
        contexts = np.zeros((len(held_out), s, s, 3), np.uint8)
        for index, frame in enumerate(video_frames(resting_twin, recipe.fps)):
            if index >= len(crops):
                break
            if index >= held_from:
                shown = display_frame(frame, track)
                x0, y0, x1, y1 = track.boxes[index]
                contexts[index - held_from] = cv2.resize(shown[y0:y1, x0:x1], (s, s),
                                                         interpolation=cv2.INTER_AREA)
    evaluation = evaluate_heldout(face_dir / "generator.onnx", crops, drives, held_out,
                                  loop[0], manifest_probe.inpaint, speech, audio,
                                  recipe.sample_rate, recipe.fps, contexts)
    report = LikenessReport(
        seconds=round(len(crops) / recipe.fps, 1), frames=len(crops),
        speech_share=round(float(speech.mean()), 3),
        faces_found=f"{track.detected} of {track.searched} frames searched",
        idle_loop=loop, crop=s, gmac_per_frame=round(multiply_adds(shape) / 1e9, 3),
        steps=options.steps, held_out_frames=len(crops) - held_from, evaluation=evaluation)
    (out_dir / "consent.json").write_text(json.dumps(consent_record, indent=1),
                                          encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(asdict(report), indent=1),
                                         encoding="utf-8")
    say("done", 1.0, str(face_dir))
    return report


def write_face_folder(face_dir: Path, shape: GeneratorShape, loop: list[np.ndarray],
                      boxes: np.ndarray) -> None:
    """The loop video, its boxes, the blend mask and the manifest (the generator is written
    first, by the caller)."""
    import cv2

    from desktop.face.neural import feathered_mask, write_loop_video

    height, width = loop[0].shape[:2]
    manifest = new_face_manifest(shape, len(loop), (width, height))
    write_loop_video(face_dir / manifest.video, loop, manifest.fps)
    (face_dir / manifest.boxes).write_text(json.dumps([[int(v) for v in box] for box in boxes]),
                                           encoding="utf-8")
    cv2.imwrite(str(face_dir / manifest.blend), feathered_mask(shape.crop, manifest.inpaint))
    (face_dir / "manifest.json").write_text(json.dumps(manifest.to_dict(), indent=1),
                                            encoding="utf-8")


def _check_export(module, path: Path, data) -> None:
    """The ONNX file must compute what the trained torch module computes."""
    import onnxruntime as ort
    import torch

    from desktop.likeness.model import _blank

    index = int(data.train[0])
    crop = data.crops[index]
    face = np.concatenate([crop, _blank(crop, data.inpaint)], axis=2)
    face = (face.transpose(2, 0, 1)[None] / 255.0).astype(np.float32)
    audio = data.drives[index][None].astype(np.float32)
    with torch.no_grad():
        expected = module(torch.from_numpy(face), torch.from_numpy(audio)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(["crop"], {"face": face, "audio": audio})
    if float(np.max(np.abs(got - expected))) > 1e-3:
        raise LikenessRefused("The exported face generator does not match the trained one.",
                              "Report this: it is a bug in Hearth's exporter.")
