"""The likeness builder on real footage it made itself: a synthetic talking video of a real
photograph whose mouth follows real piper audio. It must learn (beat a still mouth on frames
it never saw), export exactly what it trained, go on after a stop, and refuse videos it
cannot use with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from desktop.face.generator import GeneratorShape, onnx_generator
from desktop.likeness.build import Consent, LikenessOptions, LikenessRefused, build_likeness
from desktop.likeness.track import NoUsableFace
from desktop.likeness.video import VideoUnusable, write_talking_video

OWN = Consent("own", "A synthetic test video.")


def test_the_builder_learns_a_mouth_that_follows_the_voice(synthetic: dict,
                                                           tmp_path: Path) -> None:
    from desktop.face.neural import NeuralFace

    report = build_likeness(synthetic["video"], tmp_path / "out",
                            LikenessOptions(crop=96, width=16, steps=900, min_seconds=20),
                            OWN)
    figures = report.evaluation
    # Held-out frames (the last 15 %, never trained on), drawn as the app draws them (on a
    # loop frame, from the sound alone): the learned mouth beats pasting the neutral crop by
    # a clear margin, and opens when the true mouth opens.
    assert figures["heldout_psnr_db"] >= figures["baseline_psnr_db"] + 1.5, figures
    assert figures["sync_corr"] >= 0.5, figures
    assert figures["sync_corr_audio"] > 0.3, figures
    face_dir = tmp_path / "out" / "face"
    face = NeuralFace.load(face_dir)  # the folder is a valid hearth-face-v2 face
    assert face.manifest.crop == 96 and len(face.loop) == report.idle_loop[1] + 1 - \
        report.idle_loop[0]
    assert report.idle_loop[0] == 0  # the silent opening seconds became the idle loop
    consent = json.loads((tmp_path / "out" / "consent.json").read_text())
    from desktop.likeness.build import sha256_file

    assert consent["basis"] == "own" and consent["evidence_sha256"] == [
        sha256_file(synthetic["video"])]
    assert json.loads((tmp_path / "out" / "report.json").read_text())["evaluation"] == figures


def test_the_torch_module_and_its_onnx_export_compute_the_same(tmp_path: Path) -> None:
    import onnxruntime as ort
    import torch

    from desktop.likeness.model import build_module, export_weights

    shape = GeneratorShape(crop=64, width=8, levels=3)
    module = build_module(shape).eval()
    session = ort.InferenceSession(onnx_generator(shape, export_weights(module))
                                   .SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    face = rng.random((1, 6, 64, 64), np.float32)
    audio = rng.random((1, 16, 40), np.float32)
    with torch.no_grad():
        expected = module(torch.from_numpy(face), torch.from_numpy(audio)).numpy()
    (got,) = session.run(["crop"], {"face": face, "audio": audio})
    assert np.max(np.abs(got - expected)) < 1e-5


def test_training_goes_on_from_its_checkpoint_after_a_stop(tmp_path: Path) -> None:
    from desktop.likeness.model import TrainingSet, train

    shape = GeneratorShape(crop=32, width=4, levels=2)
    rng = np.random.default_rng(0)
    data = TrainingSet(rng.integers(0, 255, (20, 32, 32, 3), dtype=np.uint8),
                       rng.random((20, 16, 40), np.float32), np.arange(20), (4, 12, 28, 30))
    seen: list[int] = []

    def stop_at_25(progress) -> None:
        seen.append(progress.step)
        if progress.step == 25:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(shape, data, 40, tmp_path / "checkpoint.pt", batch=2, checkpoint_every=10,
              progress=stop_at_25)
    seen.clear()
    train(shape, data, 40, tmp_path / "checkpoint.pt", batch=2, checkpoint_every=10,
          progress=lambda p: seen.append(p.step))
    assert seen[0] == 21 and seen[-1] == 40  # from the last checkpoint (step 20), not from 0


def _video(path: Path, frames: list[np.ndarray], audio: np.ndarray | None) -> Path:
    return write_talking_video(path, frames, audio if audio is not None else
                               np.zeros(16000 * len(frames) // 25, np.float32), 25, 16000)


def test_a_video_with_no_face_is_refused_with_the_reason(synthetic: dict,
                                                         tmp_path: Path) -> None:
    from desktop.likeness.video import read_sound

    audio = read_sound(synthetic["video"])
    wall = [np.full((256, 256, 3), 120 + (i % 5), np.uint8) for i in range(1000)]
    video = _video(tmp_path / "wall.mp4", wall, audio[: 40 * 16000])
    with pytest.raises(NoUsableFace, match="No face was found"):
        build_likeness(video, tmp_path / "out", LikenessOptions(steps=1), OWN)


def test_a_video_with_two_people_is_refused(synthetic: dict, tmp_path: Path) -> None:
    from desktop.likeness.video import read_sound, video_frames

    frames = [np.concatenate([f, f], axis=1) for f in video_frames(synthetic["video"])]
    video = _video(tmp_path / "two.mp4", frames, read_sound(synthetic["video"]))
    with pytest.raises(NoUsableFace, match="Two or more faces"):
        build_likeness(video, tmp_path / "out", LikenessOptions(steps=1), OWN)


def test_short_silent_or_soundless_videos_are_refused(synthetic: dict, tmp_path: Path) -> None:
    from desktop.likeness.video import read_sound, video_frames

    frames = list(video_frames(synthetic["video"]))
    audio = read_sound(synthetic["video"])
    short = _video(tmp_path / "short.mp4", frames[:250], audio[: 10 * 16000])
    with pytest.raises(LikenessRefused, match="10 seconds long; the face needs at least 20"):
        build_likeness(short, tmp_path / "a", LikenessOptions(steps=1), OWN)
    silent = _video(tmp_path / "silent.mp4", frames, None)
    with pytest.raises(LikenessRefused, match="speaks in only 0%"):
        build_likeness(silent, tmp_path / "b", LikenessOptions(steps=1), OWN)
    import av

    soundless = tmp_path / "soundless.mp4"
    with av.open(str(soundless), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
        for frame in frames[:50]:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(VideoUnusable, match="has no sound"):
        build_likeness(soundless, tmp_path / "c", LikenessOptions(steps=1), OWN)
    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 5000)
    with pytest.raises(VideoUnusable, match="not a video Hearth can read"):
        build_likeness(tmp_path / "junk.mp4", tmp_path / "d", LikenessOptions(steps=1), OWN)
    with pytest.raises(LikenessRefused, match="whose face and voice"):
        build_likeness(short, tmp_path / "e", LikenessOptions(steps=1), Consent("maybe"))


def test_hearth_likeness_selftest_prints_its_figures(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "likeness", "selftest", "--json", "--seconds",
         "30", "--steps", "300", "--work", str(tmp_path)], cwd=root, capture_output=True,
        text=True, timeout=900, env={**os.environ, "HEARTH_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    for key in ("heldout_psnr_db", "baseline_psnr_db", "sync_corr", "sync_corr_audio"):
        assert key in figures
    assert figures["posed_psnr_db"] and figures["posed_resting_psnr_db"]
    assert (tmp_path / "likeness" / "face" / "manifest.json").is_file()
