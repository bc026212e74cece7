"""What every benchmark shares: the user lines of a turn, percentiles, a logit bias that keeps
random-weight models speaking words, the benchmark models (built once into the cache), the
machine's own llama.cpp prefill and decode rates, the CPU's name, and how figures measured
beside a busy core are named."""

from __future__ import annotations

import platform
import statistics
from pathlib import Path

import numpy as np

from desktop.brain.llm import LocalLLM
from desktop.budget import CpuBudget

USER_LINES = [
    "Hi Wren, how was your day?", "What did you plant this spring?",
    "Tell me about the lighthouse.", "Do you like storms?", "What should I cook tonight?",
    "I had a long day at work.", "Any advice for sleeping better?", "What is your favourite tea?",
    "Tell me something that made you laugh.", "How do you stay calm?",
    "What was the hardest winter?", "Do you miss the sea?",
]
# What the hands-free bench says (desktop/fixtures/speech: user-question.wav, user-interrupt.wav)
SPOKEN_QUESTION = "Tell me about the lighthouse"
SPOKEN_INTERRUPT = "Wait, stop, I have a question."
# The benchmark models' vocabulary holds each word the bench's user says as one token, as a
# real vocabulary holds common words (desktop.fixtures.gguf_model.write_qwen2_gguf), and the
# chat template's role names, one token each in Qwen's (spelled, "assistant" was 4 tokens: 3
# more read after every transcript). "v3" names models built so; older ones are rebuilt once.
BENCH_VOCABULARY = "v3"
CHAT_ROLES = ("system", "user", "assistant")


def bench_words() -> list[str]:
    """Every word of the bench's typed and spoken lines, and the words its models write
    (read back as history), once each."""
    import re

    from desktop.fixtures.gguf_model import FIXTURE_WORDS

    words = [w for line in [*USER_LINES, SPOKEN_QUESTION, SPOKEN_INTERRUPT]
             for w in re.findall(r"[A-Za-z']+", line)]
    return list(dict.fromkeys([*words, *FIXTURE_WORDS, *CHAT_ROLES]))


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def median(values: list[float]) -> float | None:
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
        target = cache / f"{shape.name}-random-{BENCH_VOCABULARY}-q4_k_m.gguf"
        if not target.is_file():
            (cache / f"{shape.name}-random-q4_k_m.gguf").unlink(missing_ok=True)  # v1
            f16 = cache / f"{shape.name}-random-f16.gguf"
            write_qwen2_gguf(f16, shape, float_type="f16", words=bench_words())
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


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def llama_rates(path: Path, budget: CpuBudget) -> dict:
    """llama.cpp's pp128 and tg32 on this machine (desktop.brain.speed, as the self-test)."""
    from desktop.brain.speed import measure_rates

    return measure_rates(LocalLLM.load(path, budget.llm), budget.llm).as_json()


def loaded_figures(idle: dict, loaded: dict, keys: tuple[str, ...]) -> dict:
    """The ``keys`` of a pass measured beside a busy core, named as issue 14 names them
    (``text_to_first_audio_ms_p50`` -> ``text_to_first_audio_loaded_ms_p50``,
    ``backchannel_share`` -> ``backchannel_share_loaded``), and for each p50 the ratio to the
    idle pass of the same run (``text_to_first_audio_loaded_ratio``)."""
    out: dict = {}
    for key in keys:
        if key not in loaded:
            continue
        if "_ms_" in key:
            out[key.replace("_ms_", "_loaded_ms_", 1)] = loaded[key]
        else:
            out[f"{key}_loaded"] = loaded[key]
        if (key.endswith("_ms_p50") and isinstance(idle.get(key), float | int)
                and idle[key] and isinstance(loaded[key], float | int)):
            out[key.replace("_ms_p50", "_loaded_ratio")] = round(loaded[key] / idle[key], 2)
    return out
