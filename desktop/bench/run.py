"""``hearth bench``: runs the chosen parts and prints one JSON object (docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager

from desktop.bench.common import bench_models, bench_voice, cpu_name, loaded_figures
from desktop.bench.core import measure_llm, measure_render, measure_tts, measure_turns
from desktop.bench.machine_load import BusyCore, SlowerCpu
from desktop.budget import CpuBudget
from desktop.paths import DataDirs

TURN_FIGURES = ("text_to_first_audio_ms_p50", "text_to_first_audio_ms_p90", "typed_meter_ms_p50")
VOICE_FIGURES = ("voice_to_first_words_ms_p50", "voice_to_first_words_ms_p90",
                 "voice_to_first_audio_ms_p50", "voice_to_first_audio_ms_p90",
                 "transcript_ready_after_speech_ms_p50", "transcript_ready_after_speech_ms_p90",
                 "backchannel_share", "barge_in_stop_ms_p90", "voice_meter_ms_p50")
RECOGNIZER_FIGURES = ("questions_heard_whole", "final_decode_wait_ms_p50",
                      "pause_heard_after_speech_ms_p50", "final_decode_ms_p50", "recognizer")


@contextmanager
def timed(seconds: dict[str, float], part: str) -> Iterator[None]:
    """Adds the wall time of the block to ``seconds[part]``: what each part costs a run."""
    started = time.monotonic()
    try:
        yield
    finally:
        seconds[part] = round(seconds.get(part, 0.0) + time.monotonic() - started, 1)


def run_bench(args) -> int:
    """The bench, on a CPU ``--cpu-share`` times as fast as this one (1: this one)."""
    with SlowerCpu(args.cpu_share):
        return _run_bench(args)


def _run_bench(args) -> int:
    # Long: the bench's one command: which parts run and where their figures go, in the order of the
    # JSON it prints
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
    # Typed and spoken turns are measured twice: as the machine is, then beside one busy core.
    loaded = not args.no_loaded and bool(parts & {"turns", "voice"})
    seconds: dict[str, float] = {}  # wall time of each part, the last key of the JSON
    result: dict = {
        "machine": {"cores": budget.cores, "cpu": cpu_name(), "python": platform.python_version(),
                    "llm_threads": {"decode": budget.llm.decode, "prefill": budget.llm.prefill},
                    "tts_threads": budget.tts_threads, "render_threads": budget.render_threads,
                    "cpu_share": args.cpu_share},
    }
    if args.cpu_share < 1.0:
        result["machine"]["emulated"] = (
            f"every thread of the bench ran {args.cpu_share:g} of the time (desktop/bench/"
            "machine_load.py): a CPU about {:.1f}x slower; llama rates below are measured so"
            .format(1 / args.cpu_share))
    if parts - {"tts", "memory"}:
        # The machine's own llama.cpp speed, to read every latency figure against.
        from desktop.bench.common import llama_rates

        with timed(seconds, "llama"):
            result["machine"]["llama"] = {
                f"qwen2.5-{name}-instruct-q4_k_m": llama_rates(path, budget)
                for name, path in models.items()}
        if loaded:
            with timed(seconds, "llama_loaded"), BusyCore():
                result["machine"]["llama_loaded"] = {
                    f"qwen2.5-{name}-instruct-q4_k_m": llama_rates(path, budget)
                    for name, path in models.items()}
    if parts & {"tts", "turns"}:
        voice = bench_voice(cache)
        result["voice"] = "piper medium architecture, random weights, 22.05 kHz"
    if "tts" in parts:
        with timed(seconds, "tts"):
            result.update(measure_tts(voice, budget, args.quick))
    if "render" in parts:
        with timed(seconds, "render"):
            result.update(measure_render(persona, budget,
                                         models.get("1.5b") or next(iter(models.values())),
                                         args.quick))
    if "face" in parts:
        from desktop.bench.face import measure_face

        with timed(seconds, "face"):
            result["face_v2"] = measure_face(
                cache, budget, models.get("1.5b") or next(iter(models.values()), None),
                persona, args.quick)
    if parts & {"llm", "turns"}:
        result["models"] = {}
    for name, path in models.items():
        if not parts & {"llm", "turns"}:
            break
        figures = {}
        if "llm" in parts:
            with timed(seconds, "llm"):
                figures.update(measure_llm(path, budget, persona.prompt(), cache, args.quick))
        if "turns" in parts:
            with timed(seconds, "turns"):
                idle = measure_turns(dirs, path, voice, budget, 3 if args.quick else args.turns)
            figures.update(idle)
            if loaded:
                with timed(seconds, "turns_loaded"), BusyCore():
                    busy = measure_turns(dirs, path, voice, budget,
                                         3 if args.quick else args.turns)
                figures.update(loaded_figures(idle, busy, TURN_FIGURES))
        result["models"][f"qwen2.5-{name}-instruct-q4_k_m (random weights)"] = figures
    if "selftest" in parts:
        # What the first-run screen measures and concludes, on the same real-shape models.
        from dataclasses import asdict

        from desktop.models.setup import self_test

        voice_path = bench_voice(cache)
        with timed(seconds, "selftest"):
            result["selftest"] = {
                name: asdict(self_test(path, voice_path, budget, 10 if args.quick else 20,
                                       persona))
                for name, path in models.items()}
    if "memory" in parts:
        from desktop.memory.benchmark import measure_memory

        tokenizer = models.get("1.5b") or next(iter(models.values()), None)
        with timed(seconds, "memory"):
            result.update(measure_memory(cache, tokenizer, persona.prompt(), args.quick))
    if "voice" in parts:
        if pulse is None:
            result["voice"] = "skipped: needs PulseAudio (pulseaudio, pulseaudio-utils)"
        else:
            from desktop.bench.voice import measure_voice

            voice_path = bench_voice(cache)
            turns = 3 if args.quick else args.voice_turns
            for name, path in models.items():
                # False barge-ins depend on the audio path, not the model: counted once.
                replies = args.voice_replies if name == next(iter(models)) else 0
                figures = result.setdefault("models", {}).setdefault(
                    f"qwen2.5-{name}-instruct-q4_k_m (random weights)", {})
                first, *others = args.recognizers
                with timed(seconds, "voice"):
                    idle = measure_voice(dirs, path, voice_path, budget, pulse, turns,
                                         5 if args.quick else replies, first)
                figures.update(idle)
                if loaded:
                    with timed(seconds, "voice_loaded"), BusyCore():
                        busy = measure_voice(dirs, path, voice_path, budget, pulse, turns, 0,
                                             first)
                    figures.update(loaded_figures(idle, busy, VOICE_FIGURES))
                for kind in others:  # the same turns with another recognizer, to compare
                    with timed(seconds, f"voice_{kind}"):
                        other = measure_voice(dirs, path, voice_path, budget, pulse, turns, 0,
                                              kind)
                    figures.setdefault("by_recognizer", {})[kind] = {
                        key: other[key] for key in (*VOICE_FIGURES, *RECOGNIZER_FIGURES)
                        if key in other}
    if pulse is not None:
        pulse.stop()
    result["seconds"] = seconds
    print(json.dumps(result, indent=None if args.json else 2))
    return 0
