"""``hearth bench --parts face``: the hearth-face-v2 runtime beside a decoding LLM.

A random-weight mouth generator with the real architecture's shapes (desktop.face.generator,
the Duix/Ultralight-class U-Net) renders under the real runtime (idle loop video decoded,
crop, generator, resize, alpha blend at the loop's 512 px) at 25 fps while llama.cpp decodes
on the LLM's threads. Per crop size: frames delivered per second, the frame's p99, the model
and compositing time, the same with two renderer threads, and the LLM's decode rate beside
it. The LLM's rate beside today's v1 warp renderer (256 px) is measured in the same run, and
the A/V offset is taken from the real face loop following a real speaker's clock.

Also ``llama_rates``: llama.cpp's own prefill (pp128) and decode (tg32) rates for a model on
this machine, so every latency figure can be read against the machine's speed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from desktop.bench.common import percentile, speakable_bias
from desktop.brain.llm import LocalLLM, Sampling
from desktop.brain.prompt import Message
from desktop.budget import CpuBudget

CROPS = (128, 160, 192, 256)
RECOMMENDED_CROP = 160
FPS = 25


class _Decoder:
    """Keeps the LLM decoding on its own thread and counts the tokens per second."""

    def __init__(self, llm: LocalLLM, persona) -> None:

        self.llm, self.persona = llm, persona
        self.bias = speakable_bias(llm, allow_stop=False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.tokens = 0
        self._since = 0.0

    def __enter__(self) -> _Decoder:
        self._thread = threading.Thread(target=self._run, name="bench-decode", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 120
        while self.tokens < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # the prompt is prefilled before the measured window opens
        self.tokens, self._since = 0, time.perf_counter()
        return self

    def rate(self) -> float:
        return round(self.tokens / max(1e-6, time.perf_counter() - self._since), 1)

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            for _ in self.llm.stream(self.persona, [Message("user", "Go on.")],
                                     should_stop=self._stop.is_set,
                                     sampling=Sampling(max_tokens=200, logit_bias=self.bias)):
                self.tokens += 1


def _speech(seconds: float, rate: int = 22050) -> np.ndarray:
    """Syllable-like bursts of voiced sound (the drive's cost does not depend on the words)."""
    t = np.arange(int(seconds * rate)) / rate
    envelope = np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None) ** 0.5
    voiced = np.sin(2 * np.pi * 140 * t) + 0.4 * np.sin(2 * np.pi * 280 * t)
    return (0.3 * envelope * voiced).astype(np.float32)


def _paced_frames(draw, frames: int) -> tuple[list[float], float]:
    """Calls ``draw(number)`` at 25 fps; returns each frame's ms and frames per second
    delivered (below 25 when frames overrun their 40 ms slot)."""
    times = []
    period = 1 / FPS
    started = next_time = time.perf_counter()
    for number in range(frames):
        t0 = time.perf_counter()
        draw(number)
        times.append((time.perf_counter() - t0) * 1000)
        next_time += period
        delay = next_time - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        else:
            next_time = time.perf_counter()
    return times, round(frames / (time.perf_counter() - started), 1)


def measure_face(cache: Path, budget: CpuBudget, llm_path: Path | None, persona,
                 quick: bool) -> dict:
    # Long: one measured sequence (the face alone, then beside the LLM) read top to bottom
    from desktop.face.animator import FaceAnimator
    from desktop.face.generator import GeneratorShape, multiply_adds
    from desktop.face.loading import load_builtin_renderer
    from desktop.face.neural import NeuralFace
    from desktop.face.source import FaceMoment
    from desktop.fixtures.face_v2 import write_face_folder

    frames = 75 if quick else 250
    llm = LocalLLM.load(llm_path, budget.llm) if llm_path is not None else None
    prompt = persona.prompt()
    out: dict = {"fps_target": FPS, "recommended_crop": RECOMMENDED_CROP, "by_crop": {}}
    if llm is not None:
        with _Decoder(llm, prompt) as decoder:
            time.sleep(3.0 if quick else 6.0)
            out["llm_decode_tok_s_alone"] = decoder.rate()
        v1 = load_builtin_renderer(persona, 256, budget.render_threads)
        animator = FaceAnimator()
        with _Decoder(llm, prompt) as decoder:
            _paced_frames(lambda n: v1.render(animator.params_at(n / FPS, n / FPS)), frames)
            out["llm_decode_tok_s_beside_v1_warp_256"] = decoder.rate()
    for crop in CROPS:
        shape = GeneratorShape(crop=crop)
        folder = cache / f"face-v2-{crop}"
        if not (folder / "manifest.json").is_file():
            write_face_folder(folder, shape, frames=100)
        figures: dict = {"gmac_per_frame": round(multiply_adds(shape) / 1e9, 3)}
        for threads in (1, 2):
            face = NeuralFace.load(folder, threads)
            face.drive.add_audio(_speech(frames / FPS + 2), 22050, 0.0)

            def draw(number: int, face=face) -> None:
                face.frame(FaceMoment(number / FPS, number / FPS, True, False))

            draw(0)
            label = f"{threads}_thread" + ("s" if threads > 1 else "")
            times, _fps = _paced_frames(draw, frames // 2)
            figures[f"model_ms_p50_{label}_alone"] = percentile(face.timings.model_ms, 50)
            if threads == 1:
                face.timings.model_ms.clear()
                face.timings.composite_ms.clear()
                if llm is not None:
                    with _Decoder(llm, prompt) as decoder:
                        times, fps = _paced_frames(draw, frames)
                        figures["llm_decode_tok_s_beside"] = decoder.rate()
                else:
                    times, fps = _paced_frames(draw, frames)
                figures.update({
                    "fps_while_llm_decodes": fps, "render_ms_p50": percentile(times, 50),
                    "render_ms_p99": percentile(times, 99),
                    "model_ms_p50": percentile(face.timings.model_ms, 50),
                    "composite_ms_p50": percentile(face.timings.composite_ms, 50),
                    "model_calls": face.timings.model_calls})
        figures["fits_one_thread"] = bool(
            figures["fps_while_llm_decodes"] >= FPS - 0.5
            and (figures["render_ms_p99"] or 1e9) <= 40.0)
        out["by_crop"][str(crop)] = figures
    recommended = out["by_crop"][str(RECOMMENDED_CROP)]
    for key in ("fps_while_llm_decodes", "render_ms_p99", "composite_ms_p50",
                "llm_decode_tok_s_beside"):
        if key in recommended:
            out[key] = recommended[key]
    out.update(measure_face_av_offset(cache / f"face-v2-{RECOMMENDED_CROP}", budget, quick))
    out["idle_model_calls"] = measure_idle_calls(cache / f"face-v2-{RECOMMENDED_CROP}")
    return out


def measure_idle_calls(folder: Path) -> int:
    """Model calls in 100 frames with nobody speaking: must be 0."""
    from desktop.face.neural import NeuralFace
    from desktop.face.source import FaceMoment

    face = NeuralFace.load(folder, 1)
    for number in range(100):
        face.frame(FaceMoment(0.0, number / FPS, False, number % 50 > 25))
    return face.timings.model_calls


def measure_face_av_offset(folder: Path, budget: CpuBudget, quick: bool) -> dict:
    """The real face loop follows a real speaker's clock (PulseAudio null sink, or the
    machine's device): the frame on screen vs the audio heard at that moment."""
    from desktop.call.video import FaceLoop, FrameMailbox, av_offset_ms
    from desktop.errors import HearthError
    from desktop.face.animator import FaceAnimator
    from desktop.face.neural import NeuralFace
    from desktop.voice.audio_out import AudioOutput

    try:
        output = AudioOutput().open()
    except HearthError as error:
        return {"av_offset_ms_p95": None, "av_offset": f"skipped: {error.problem}"}
    face = NeuralFace.load(folder, budget.render_threads)
    animator = FaceAnimator()
    animator.attach_drive(face.drive)
    mailbox = FrameMailbox()
    loop = FaceLoop(face, animator, output, mailbox).start()
    offsets: list[float] = []
    try:
        time.sleep(2.5)  # a null sink needs ~2 s to run at full rate after waking
        for _ in range(2 if quick else 4):
            audio = _speech(3.0)
            segment = output.enqueue(audio, 22050, 1)
            animator.add_chunk(audio, 22050, [], output.seconds(segment.start))
            deadline = time.monotonic() + 6
            while output.is_idle() and time.monotonic() < deadline:
                time.sleep(0.005)
            until = time.monotonic() + 2.0
            while time.monotonic() < until:
                frame = mailbox.latest()
                if frame is not None and not output.is_idle():
                    offsets.append(av_offset_ms(frame, output.seconds(output.played_frames())))
                time.sleep(1 / 60)
            while not output.is_idle():
                time.sleep(0.02)
    finally:
        loop.stop()
        output.close()
    return {"av_offset_ms_p95": percentile(offsets, 95),
            "lookahead_ms": round(face.manifest.lookahead_s * 1000)}
