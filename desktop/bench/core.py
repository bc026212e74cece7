"""``hearth bench --json``: speed of the real engines on random-weight models of real shapes.

Speed does not depend on weight values, so Qwen2.5-0.5B/1.5B-Instruct-shaped GGUFs (random
weights, quantized to Q4_K_M by llama.cpp's own quantizer) and a piper "medium" voice
(piper's VITS generator, random weights) measure what users will feel. Models are built once
into ``<data>/cache/bench``. All figures are medians or percentiles from this one run.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

from desktop.bench.common import USER_LINES, median, percentile, speakable_bias
from desktop.brain.llm import LocalLLM, Sampling
from desktop.brain.prompt import Message
from desktop.budget import CpuBudget
from desktop.machine import OtherLoad
from desktop.paths import DataDirs


def measure_llm(path: Path, budget: CpuBudget, persona, cache: Path, quick: bool) -> dict:
    runs = 2 if quick else 5
    started = time.perf_counter()
    llm = LocalLLM.load(path, budget.llm)
    load_ms = (time.perf_counter() - started) * 1000
    state_dir = cache / f"state-{path.stem}"
    cold, warm = [], []
    for index in range(runs):
        llm.model.reset()  # cold: nothing of the prompt is in the KV cache
        started = time.perf_counter()
        # A first token that is a stop or whitespace yields nothing: still a first token.
        next(iter(llm.stream(persona, [Message("user", USER_LINES[index])],
                             sampling=Sampling(max_tokens=1))), None)
        cold.append((time.perf_counter() - started) * 1000)
    llm.model.reset()
    llm.warm(persona, state_dir)  # computes and saves the persona prefix
    fresh = LocalLLM.load(path, budget.llm)
    started = time.perf_counter()
    source = fresh.warm(persona, state_dir)
    state_load_ms = (time.perf_counter() - started) * 1000
    for index in range(runs):
        fresh.warm(persona, state_dir)
        started = time.perf_counter()
        next(iter(fresh.stream(persona, [Message("user", USER_LINES[index + 1])],
                               sampling=Sampling(max_tokens=1))), None)
        warm.append((time.perf_counter() - started) * 1000)
    words = speakable_bias(fresh, allow_stop=False)
    tokens = 0
    first = None
    for _ in fresh.stream(persona, [Message("user", "Tell me a long story.")],
                          sampling=Sampling(max_tokens=96, logit_bias=words)):
        tokens += 1  # one whole-word token per piece under this bias
        if first is None:
            first = time.perf_counter()
    decode = (tokens - 1) / (time.perf_counter() - first) if tokens > 1 and first else 0.0
    prefix_tokens = len(fresh.format.persona_prefix(persona))
    return {
        "llm_load_ms": round(load_ms, 1), "persona_prefix_tokens": prefix_tokens,
        "llm_first_token_cold_ms": median(cold), "llm_first_token_warm_ms": median(warm),
        "llm_state_load_ms": round(state_load_ms, 1), "llm_state_source": source,
        "llm_decode_tok_s": round(decode, 1),
    }


def measure_tts(voice_path: Path, budget: CpuBudget, quick: bool) -> dict:
    from desktop.voice.tts import PiperTTS

    tts = PiperTTS.load(voice_path, threads=budget.tts_threads)
    list(tts.synthesize("Warm up."))
    firsts, rtfs = [], []
    for _ in range(3 if quick else 7):
        started = time.perf_counter()
        next(iter(tts.synthesize("Well, after the storm passed,")))
        firsts.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        chunks = list(tts.synthesize("The lamp kept burning through the night, and by "
                                     "morning the sea was calm again."))
        elapsed = time.perf_counter() - started
        rtfs.append(elapsed / sum(c.duration_s for c in chunks))
    return {"tts_first_chunk_ms": median(firsts), "tts_rtf": round(statistics.median(rtfs), 3)}


def measure_render(persona, budget: CpuBudget, llm_path: Path | None, quick: bool) -> dict:
    from desktop.face.animator import FaceAnimator
    from desktop.face.loading import load_builtin_renderer

    animator = FaceAnimator()
    out: dict = {}
    frames = 60 if quick else 200
    llm = LocalLLM.load(llm_path, budget.llm) if llm_path is not None else None

    def decode(stop: threading.Event) -> None:
        no_stop = speakable_bias(llm, allow_stop=False)
        while not stop.is_set():
            for _ in llm.stream(persona.prompt(), [Message("user", "Go on.")],
                                should_stop=stop.is_set,
                                sampling=Sampling(max_tokens=256, logit_bias=no_stop)):
                pass

    for size in (256, 512):
        renderer = load_builtin_renderer(persona, size, budget.render_threads)
        for label, with_llm in (("alone", False), ("llm", True)):
            stop = threading.Event()
            thread = None
            if with_llm and llm is not None:
                thread = threading.Thread(target=decode, args=(stop,), daemon=True)
                thread.start()
                time.sleep(1.0)
            times = []
            period = 1 / 25
            next_time = time.perf_counter()
            started = next_time
            for number in range(frames):
                t0 = time.perf_counter()
                renderer.render(animator.params_at(number * period, number * period))
                times.append((time.perf_counter() - t0) * 1000)
                next_time += period
                time.sleep(max(0.0, next_time - time.perf_counter()))
            wall = time.perf_counter() - started
            stop.set()
            if thread is not None:
                thread.join(timeout=30)
            # fps: frames delivered per second when paced at 25 fps (below 25 when frames
            # overrun their 40 ms slot); max_fps: 1000 / median render time.
            out[f"render_{size}_{label}_fps"] = round(frames / wall, 1)
            out[f"render_{size}_{label}_max_fps"] = round(1000 / statistics.median(times), 1)
            out[f"render_{size}_{label}_p99_ms"] = percentile(times, 99)
    return out


def measure_turns(hearth_dirs: DataDirs, llm_path: Path, voice_path: Path, budget: CpuBudget,
                  turns: int) -> dict:
    # Long: one measured sequence of typed turns; a benchmark reads best top to bottom
    from desktop.call.session import Conversation
    from desktop.call.video import FaceLoop, FrameMailbox, av_offset_ms
    from desktop.face.animator import FaceAnimator
    from desktop.personas.library import PersonaLibrary
    from desktop.voice.audio_out import AudioOutput
    from desktop.voice.tts import PiperTTS

    persona = PersonaLibrary(hearth_dirs).list()[0]
    llm = LocalLLM.load(llm_path, budget.llm)
    tts = PiperTTS.load(voice_path, threads=budget.tts_threads)
    output = AudioOutput().open()  # as the app opens it
    animator = FaceAnimator()
    events: list = []
    conversation = Conversation(persona, None, llm, events.append, tts=tts, output=output,
                                animator=animator, cache_dir=hearth_dirs.cache, budget=budget,
                                sampling=Sampling(max_tokens=48,
                                                  logit_bias=speakable_bias(llm)),
                                load=OtherLoad())  # as the app re-budgets under load
    conversation.start()
    conversation.set_spoken(True)
    from desktop.face.loading import load_builtin_renderer
    from desktop.face.source import WarpFace

    renderer = load_builtin_renderer(persona, 256, budget.render_threads)
    mailbox = FrameMailbox()
    face = FaceLoop(WarpFace(renderer, animator), animator, output, mailbox).start()
    llm.warm(persona.prompt(), hearth_dirs.cache)
    time.sleep(2.5)  # a null sink needs ~2 s to run at full rate after waking
    first_audio, offsets = [], []
    meter: dict[str, list[float]] = {}
    gaps: list[float] = []
    prompt_tokens: list[int] = []  # what each reply read that the cache did not hold
    for index in range(turns):
        line = USER_LINES[index % len(USER_LINES)]
        # The user types: the draft is prefilled on the brain's worker while they do, as the
        # window does on every pause in typing; "submitted" is the Enter key.
        conversation.typing(line)
        time.sleep(1.5)
        turn = conversation.say(line)
        times = conversation.control.times[turn]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and times.first_audio_played is None:
            time.sleep(0.005)
        # Sample the painter's view for a second of speech: the frame on screen vs the clock.
        # Over the same second, what was not speech is a gap between the first pieces.
        played_at_start, sample_start = output.played_frames(), time.monotonic()
        sample_until = sample_start + 1.0
        while time.monotonic() < sample_until:
            frame = mailbox.latest()
            if frame is not None and not output.is_idle():
                offsets.append(av_offset_ms(frame, output.seconds(output.played_frames())))
            time.sleep(1 / 60)
        if times.first_audio_played is not None:
            first_audio.append((times.first_audio_played - times.submitted) * 1000)
            for name in ("reading", "first_token", "first_sentence", "first_audio_queued"):
                meter.setdefault(name, []).append(times.ms(name))
            prompt_tokens.append(times.prompt_tokens or 0)
        reply = conversation.reply_of(turn)
        if times.first_audio_played is not None and reply is not None and not reply.finished:
            played = output.seconds(output.played_frames() - played_at_start)
            gaps.append(max(0.0, (time.monotonic() - sample_start - played) * 1000.0))
        conversation.stop_speaking()
        time.sleep(0.3)
    face.stop()
    conversation.close()
    output.close()
    return {
        "text_to_first_audio_ms_p50": percentile(first_audio, 50),
        "text_to_first_audio_ms_p90": percentile(first_audio, 90),
        "turns_measured": len(first_audio),
        "typed_meter_ms_p50": {name: median(values) for name, values in meter.items()},
        "reply_prompt_tokens_p50": percentile(prompt_tokens, 50),
        "av_offset_ms_p95": percentile(offsets, 95),
        "audio_underflows": output.underflows,
        # Silence in the first second of speech (the reply still going): gaps between pieces.
        "silence_in_first_second_ms_p50": percentile(gaps, 50),
        "silence_in_first_second_ms_p90": percentile(gaps, 90),
    }


