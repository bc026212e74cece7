"""``hearth bench --json``: speed of the real engines on random-weight models of real shapes.

Speed does not depend on weight values, so Qwen2.5-0.5B/1.5B-Instruct-shaped GGUFs (random
weights, quantized to Q4_K_M by llama.cpp's own quantizer) and a piper "medium" voice
(piper's VITS generator, random weights) measure what users will feel. Models are built once
into ``<data>/cache/bench``. All figures are medians or percentiles from this one run.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import threading
import time
from pathlib import Path

import numpy as np

from desktop.brain.llm import LocalLLM, Sampling
from desktop.brain.prompt import Message
from desktop.budget import CpuBudget
from desktop.paths import DataDirs

USER_LINES = [
    "Hi Wren, how was your day?", "What did you plant this spring?",
    "Tell me about the lighthouse.", "Do you like storms?", "What should I cook tonight?",
    "I had a long day at work.", "Any advice for sleeping better?", "What is your favourite tea?",
    "Tell me something that made you laugh.", "How do you stay calm?",
    "What was the hardest winter?", "Do you miss the sea?",
]


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def speakable_bias(llm: LocalLLM, allow_stop: bool = True) -> dict[int, float]:
    """Random weights emit random bytes, which stream badly (partial UTF-8 is held back) and
    cannot be spoken. Steer sampling to the whole-word tokens the benchmark vocabulary spells
    (desktop.fixtures.gguf_model.FIXTURE_WORDS): one token per word, as a real model's
    English mostly is. The cost of sampling does not change with the bias."""
    from desktop.fixtures.gguf_model import FIXTURE_WORDS

    bias: dict[int, float] = {}
    for word in [*FIXTURE_WORDS, ".", ","]:
        tokens = llm._tokenize(f" {word}".encode() if word.isalpha() else word.encode(), False)
        if len(tokens) == 1:
            bias[tokens[0]] = 40.0
    for token in llm.stop_token_ids():
        bias[token] = 36.0 if allow_stop else -100.0
    return bias


def bench_models(cache: Path, names: list[str]) -> dict[str, Path]:
    from desktop.fixtures.gguf_model import (
        QWEN25_0_5B,
        QWEN25_1_5B,
        quantize_gguf,
        write_qwen2_gguf,
    )

    shapes = {"0.5b": QWEN25_0_5B, "1.5b": QWEN25_1_5B}
    out = {}
    for name in names:
        shape = shapes[name]
        target = cache / f"{shape.name}-random-q4_k_m.gguf"
        if not target.is_file():
            f16 = cache / f"{shape.name}-random-f16.gguf"
            write_qwen2_gguf(f16, shape, float_type="f16")
            quantize_gguf(f16, target, "Q4_K_M")
            f16.unlink()
        out[name] = target
    return out


def bench_voice(cache: Path) -> Path:
    from desktop.fixtures.piper_medium import write_medium_voice

    target = cache / "en_US-random-medium.onnx"
    if not target.is_file():
        write_medium_voice(target)
    return target


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
        next(iter(llm.stream(persona, [Message("user", USER_LINES[index])],
                             sampling=Sampling(max_tokens=1))))
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
                               sampling=Sampling(max_tokens=1))))
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
        "llm_first_token_cold_ms": _median(cold), "llm_first_token_warm_ms": _median(warm),
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
    return {"tts_first_chunk_ms": _median(firsts), "tts_rtf": round(statistics.median(rtfs), 3)}


def measure_render(persona, budget: CpuBudget, llm_path: Path | None, quick: bool) -> dict:
    from desktop.app import load_builtin_renderer
    from desktop.face.animator import FaceAnimator

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
            out[f"render_{size}_{label}_p99_ms"] = _percentile(times, 99)
    return out


def measure_turns(hearth_dirs: DataDirs, llm_path: Path, voice_path: Path, budget: CpuBudget,
                  turns: int) -> dict:
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
                                                  logit_bias=speakable_bias(llm)))
    conversation.start()
    conversation.set_spoken(True)
    from desktop.app import load_builtin_renderer
    from desktop.face.source import WarpFace

    renderer = load_builtin_renderer(persona, 256, budget.render_threads)
    mailbox = FrameMailbox()
    face = FaceLoop(WarpFace(renderer, animator), animator, output, mailbox).start()
    llm.warm(persona.prompt(), hearth_dirs.cache)
    time.sleep(2.5)  # a null sink needs ~2 s to run at full rate after waking
    first_audio, offsets = [], []
    meter: dict[str, list[float]] = {}
    gaps: list[float] = []
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
            for name in ("first_token", "first_sentence", "first_audio_queued"):
                meter.setdefault(name, []).append(times.ms(name))
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
        "text_to_first_audio_ms_p50": _percentile(first_audio, 50),
        "text_to_first_audio_ms_p90": _percentile(first_audio, 90),
        "turns_measured": len(first_audio),
        "meter_ms_p50": {name: _median(values) for name, values in meter.items()},
        "av_offset_ms_p95": _percentile(offsets, 95),
        "audio_underflows": output.underflows,
        # Silence in the first second of speech (the reply still going): gaps between pieces.
        "silence_in_first_second_ms_p50": _percentile(gaps, 50),
        "silence_in_first_second_ms_p90": _percentile(gaps, 90),
    }


def run_bench(args) -> int:
    dirs = DataDirs.default().ensure()
    cache = dirs.cache / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    budget = CpuBudget.for_machine()
    pulse = None
    if os.environ.get("HEARTH_BENCH_PULSE", "auto") != "off":
        from desktop.fixtures.pulse import PulseServer

        try:
            pulse = PulseServer().start()
            pulse.apply_to_environment()
        except RuntimeError:
            pulse = None  # use the machine's own default device
    from desktop.personas.library import PersonaLibrary

    persona = PersonaLibrary(dirs).list()[0]
    parts = set(args.parts)
    models = bench_models(cache, args.models)
    result: dict = {
        "machine": {"cores": budget.cores, "cpu": _cpu_name(), "python": platform.python_version(),
                    "llm_threads": {"decode": budget.llm.decode, "prefill": budget.llm.prefill},
                    "tts_threads": budget.tts_threads, "render_threads": budget.render_threads},
    }
    if parts - {"tts", "memory"}:
        # The machine's own llama.cpp speed, to read every latency figure against.
        from desktop.bench_face import llama_rates

        result["machine"]["llama"] = {
            f"qwen2.5-{name}-instruct-q4_k_m": llama_rates(path, budget)
            for name, path in models.items()}
    if parts & {"tts", "turns"}:
        voice = bench_voice(cache)
        result["voice"] = "piper medium architecture, random weights, 22.05 kHz"
    if "tts" in parts:
        result.update(measure_tts(voice, budget, args.quick))
    if "render" in parts:
        result.update(measure_render(persona, budget,
                                     models.get("1.5b") or next(iter(models.values())),
                                     args.quick))
    if "face" in parts:
        from desktop.bench_face import measure_face

        result["face_v2"] = measure_face(cache, budget,
                                         models.get("1.5b") or next(iter(models.values()), None),
                                         persona, args.quick)
    if parts & {"llm", "turns"}:
        result["models"] = {}
    for name, path in models.items():
        if not parts & {"llm", "turns"}:
            break
        figures = {}
        if "llm" in parts:
            figures.update(measure_llm(path, budget, persona.prompt(), cache, args.quick))
        if "turns" in parts:
            figures.update(measure_turns(dirs, path, voice, budget,
                                         3 if args.quick else args.turns))
        result["models"][f"qwen2.5-{name}-instruct-q4_k_m (random weights)"] = figures
    if "selftest" in parts:
        # What the first-run screen measures and concludes, on the same real-shape models.
        from dataclasses import asdict

        from desktop.models.setup import self_test

        voice_path = bench_voice(cache)
        result["selftest"] = {
            name: asdict(self_test(path, voice_path, budget, 10 if args.quick else 20, persona))
            for name, path in models.items()}
    if "memory" in parts:
        from desktop.memory.benchmark import measure_memory

        tokenizer = models.get("1.5b") or next(iter(models.values()), None)
        result.update(measure_memory(cache, tokenizer, persona.prompt(), args.quick))
    if "voice" in parts:
        if pulse is None:
            result["voice"] = "skipped: needs PulseAudio (pulseaudio, pulseaudio-utils)"
        else:
            from desktop.bench_voice import measure_voice

            voice_path = bench_voice(cache)
            for name, path in models.items():
                # False barge-ins depend on the audio path, not the model: counted once.
                replies = args.voice_replies if name == next(iter(models)) else 0
                result.setdefault("models", {}).setdefault(
                    f"qwen2.5-{name}-instruct-q4_k_m (random weights)", {}).update(
                    measure_voice(dirs, path, voice_path, budget, pulse,
                                  3 if args.quick else args.voice_turns,
                                  5 if args.quick else replies))
    if pulse is not None:
        pulse.stop()
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
