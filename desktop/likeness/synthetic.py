"""``hearth likeness selftest``: proof that the builder learns, with no footage of anyone.

A synthetic talking video is made from a real photograph (the public-domain NASA portrait of
astronaut Eileen Collins that scikit-image's wheel ships): piper speaks a few dozen sentences
(the voice given, or the project's articulated fixture voice, whose sound follows the
mouth as real speech does), and the photograph's mouth is moved by
visemes from piper's own phoneme timings, with blinks and small head motion, by Hearth's
hearth-face-v1 warp graph. The mouth therefore follows the real audio. The whole builder runs
on that video (read, track, loop, mask, train, export), and the exported generator is judged
on held-out frames it never trained on:

- ``heldout_psnr_db``: the generated lower face vs the true one;
- ``baseline_psnr_db``: the neutral crop pasted instead (what a face that never moves shows);
- ``sync_corr``: correlation of the generated mouth's opening with the true opening, and
  ``sync_corr_audio`` with the loudness of the audio itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.errors import require

FPS = 25
# The astronaut's face in a 256-pixel square cut at (96, 10) of the 512-pixel photograph, in
# grid coordinates ([-1, 1], y down), placed by eye for the warp graph.
ASTRONAUT_CUT = (96, 10, 352, 266)
ASTRONAUT_RIG = {
    "left_eye": [-0.19, -0.235], "right_eye": [0.185, -0.235],
    "mouth_center": [0.0, 0.062], "mouth_size": [0.31, 0.1],
    "face_center": [0.0, -0.16], "face_size": [0.7, 1.0],
}
SENTENCES = [
    "Good morning, it is lovely to see you again.", "The launch went better than we hoped.",
    "From up there the oceans look like polished glass.", "What would you like to talk about?",
    "I trained for years before my first flight.", "Storms look tiny from orbit.",
    "Do you remember the first time you saw the stars?", "Tea tastes strange without gravity.",
    "We practised every step until it felt like breathing.", "Tell me about your week.",
    "The hardest part is coming home and walking again.", "Sunrise comes every ninety minutes.",
]


def astronaut_portrait(side: int = 512) -> np.ndarray:
    data = require("skimage.data", "scikit-image",
                   "The likeness self-test's photograph (pip install 'hearth[likeness]')")
    cv2 = require("cv2", "opencv-python-headless", "The likeness self-test")
    x0, y0, x1, y1 = ASTRONAUT_CUT
    photo = data.astronaut()[y0:y1, x0:x1]
    return cv2.resize(photo, (side, side), interpolation=cv2.INTER_CUBIC)


def make_synthetic_video(path: Path, voice_path: Path, seconds: float = 60.0,
                         side: int = 512, seed: int = 0, twin: Path | None = None) -> dict:
    """Writes the talking video; returns the truth (per-frame jaw opening). ``twin``: also
    write the same video with the mouth at rest (same blinks and head motion), which the
    held-out check uses as the footage the app would have at that pose."""
    from desktop.face.animator import FaceAnimator
    from desktop.face.contract import FaceRig
    from desktop.face.idle import IdleMotion
    from desktop.face.renderer import FaceRenderer
    from desktop.likeness.video import write_talking_video
    from desktop.paths import asset_path
    from desktop.voice.tts import PiperTTS

    rng = np.random.default_rng(seed)
    tts = PiperTTS.load(voice_path)
    rate = tts.sample_rate
    renderer = FaceRenderer.load(asset_path("renderer", "builtin-warp.onnx"),
                                 astronaut_portrait(side), FaceRig.from_dict(ASTRONAUT_RIG),
                                 size=side)
    animator = FaceAnimator(IdleMotion(seed=seed + 3))
    total = int(seconds * rate)
    audio = np.zeros(total, np.float32)
    at = int(4.0 * rate)  # the first seconds are silent: the idle loop's footage
    index = 0
    while at < total:
        for chunk in tts.synthesize(SENTENCES[index % len(SENTENCES)]):
            end = min(total, at + len(chunk.audio))
            audio[at:end] = chunk.audio[: end - at]
            animator.add_chunk(chunk.audio, rate, chunk.phonemes, at / rate)
            at = end + int(rng.uniform(0.15, 0.3) * rate)
        at += int(rng.uniform(0.3, 0.9) * rate)
        index += 1
    count = int(seconds * FPS)
    frames, resting, jaw = [], [], []
    for number in range(count):
        t = number / FPS
        params = animator.params_at(t, t)
        jaw.append(params["jaw_open"])
        frames.append(renderer.render(params))
        if twin is not None:
            for name in ("jaw_open", "mouth_wide", "mouth_round"):
                params[name] = 0.0
            resting.append(renderer.render(params))
    write_talking_video(path, frames, audio, FPS, rate)
    if twin is not None:
        write_talking_video(twin, resting, audio, FPS, rate)
    return {"jaw_open": np.asarray(jaw, np.float32), "frames": count}


def run_selftest(work: Path, seconds: float = 60.0, steps: int = 1500, crop: int = 96,
                 width: int = 16, voice: Path | None = None, progress=None) -> dict:
    """Synthetic video -> the whole builder -> the exported generator judged on held-out
    frames. Returns the figures (see the module docstring)."""
    import time

    from desktop.likeness.build import Consent, LikenessOptions, build_likeness

    work.mkdir(parents=True, exist_ok=True)
    if voice is None:
        from desktop.fixtures.piper_voice import write_piper_voice

        voice = work / "en_US-hearth-articulated.onnx"
        if not voice.is_file():
            write_piper_voice(voice, sample_rate=16000, language="en-us", articulated=True)
    started = time.monotonic()
    video, twin = work / "talking.mp4", work / "talking-mouth-at-rest.mp4"
    truth = make_synthetic_video(video, voice, seconds, twin=twin)
    made_s = time.monotonic() - started
    report = build_likeness(video, work / "likeness",
                            LikenessOptions(crop=crop, width=width, steps=steps,
                                            min_seconds=min(20.0, seconds / 2)),
                            Consent("own", "A synthetic self-test video of a public-domain "
                                           "photograph."), progress, resting_twin=twin)
    evaluation = report.evaluation
    return {
        **evaluation,
        "psnr_gain_db": round(evaluation["heldout_psnr_db"] - evaluation["baseline_psnr_db"], 2),
        "video_seconds": seconds, "frames": truth["frames"], "steps": steps, "crop": crop,
        "width": width, "gmac_per_frame": report.gmac_per_frame,
        "idle_loop": list(report.idle_loop), "faces_found": report.faces_found,
        "make_video_s": round(made_s, 1),
        "build_s": round(time.monotonic() - started - made_s, 1),
        "face_folder": str(work / "likeness" / "face"),
    }
