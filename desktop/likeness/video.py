"""Reading a talking video (frames at the face's frame rate, and its sound at the drive's
sample rate) and writing one, through PyAV (FFmpeg's libraries in a wheel)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from desktop.errors import HearthError, require

MAX_SECONDS = 20 * 60
MAX_SIDE = 4096


class VideoUnusable(HearthError):
    pass


def _open(path: Path):
    av = require("av", "av", "Reading the talking video (pip install 'hearth[likeness]')")
    if not path.is_file():
        raise VideoUnusable(f"{path} is not a file.", "Give the path of a video of the person "
                            "talking (MP4, MOV, MKV or WebM).")
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as error:
        raise VideoUnusable(f"{path.name} is not a video Hearth can read ({error}).",
                            "Convert it to MP4 (H.264 with AAC sound) and try again.") from error
    if not container.streams.video:
        container.close()
        raise VideoUnusable(f"{path.name} has no picture.", "Give a video of the person.")
    if not container.streams.audio:
        container.close()
        raise VideoUnusable(f"{path.name} has no sound.",
                            "The face learns from the person's voice: record with sound.")
    return av, container


def read_sound(path: Path, sample_rate: int = 16000) -> np.ndarray:
    """The first audio stream mixed to mono float32 at ``sample_rate``."""
    av, container = _open(path)
    chunks: list[np.ndarray] = []
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    with container:
        try:
            for decoded in container.decode(container.streams.audio[0]):
                if float(decoded.time or 0.0) > MAX_SECONDS:
                    raise VideoUnusable(f"{path.name} is longer than {MAX_SECONDS // 60} "
                                        "minutes.", "Cut it to the best 3-5 minutes.")
                chunks.extend(m.to_ndarray().reshape(-1) for m in resampler.resample(decoded))
            chunks.extend(m.to_ndarray().reshape(-1) for m in resampler.resample(None))
        except av.error.FFmpegError as error:
            raise VideoUnusable(f"The sound of {path.name} is damaged ({error}).",
                                "Export it again from the recording.") from error
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def video_frames(path: Path, fps: int = 25, max_side: int = 1280) -> Iterator[np.ndarray]:
    """RGB frames, one per 1/``fps`` (the nearest source frame; a slower source repeats),
    scaled so the longer side is at most ``max_side``. A generator: a five-minute video is
    never all in memory."""
    import cv2

    av, container = _open(path)
    next_time = 0.0
    with container:
        try:
            for decoded in container.decode(container.streams.video[0]):
                t = float(decoded.time or 0.0)
                if t > MAX_SECONDS:
                    raise VideoUnusable(f"{path.name} is longer than {MAX_SECONDS // 60} "
                                        "minutes.", "Cut it to the best 3-5 minutes.")
                if decoded.width > MAX_SIDE or decoded.height > MAX_SIDE:
                    raise VideoUnusable(f"{path.name} is larger than {MAX_SIDE} pixels.",
                                        "Export it at 1080p or less.")
                if t + 0.5 / fps < next_time:
                    continue
                rgb = decoded.to_ndarray(format="rgb24")
                scale = max_side / max(rgb.shape[:2])
                if scale < 1:
                    rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                while next_time <= t + 0.5 / fps:
                    yield rgb
                    next_time += 1.0 / fps
        except av.error.FFmpegError as error:
            raise VideoUnusable(f"The picture of {path.name} is damaged ({error}).",
                                "Export it again from the recording.") from error


def write_talking_video(path: Path, frames: list[np.ndarray], audio: np.ndarray, fps: int,
                        sample_rate: int) -> Path:
    """H.264 (or MPEG-4 part 2) picture with AAC sound in an MP4."""
    av = require("av", "av", "Writing a video (pip install 'hearth[likeness]')")
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        video = container.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            video.options = {"crf": "16", "preset": "veryfast"}
        else:
            video.bit_rate = 8_000_000
        sound = container.add_stream("aac", rate=sample_rate, layout="mono")
        for rgb in frames:
            for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        samples = np.clip(audio, -1, 1).astype(np.float32).reshape(1, -1)
        block = 1024
        for start in range(0, samples.shape[1], block):
            part = np.ascontiguousarray(samples[:, start:start + block])
            frame = av.AudioFrame.from_ndarray(part, format="flt", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = start
            for packet in sound.encode(frame):
                container.mux(packet)
        for packet in sound.encode():
            container.mux(packet)
    return path
