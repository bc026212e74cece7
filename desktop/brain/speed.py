"""llama.cpp's own speed on this machine, measured as llama-bench measures it: prefill of 128
tokens (pp128) and decode of 32 (tg32), with the threads the call would use. One measurement
for ``hearth bench``, the first-run self-test and ``hearth doctor``, so a latency figure from
any of them can be read against the same two rates (machines differ several-fold)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from desktop.brain.llm import LocalLLM
from desktop.budget import ThreadShare

PREFILL_TOKENS = 128
DECODE_TOKENS = 32


@dataclass(frozen=True)
class LlamaRates:
    prefill_tok_s: float  # pp128
    decode_tok_s: float  # tg32
    prefill_threads: int
    decode_threads: int

    def as_json(self) -> dict:
        return {"llama_pp128_tok_s": self.prefill_tok_s, "llama_tg32_tok_s": self.decode_tok_s,
                "threads": {"prefill": self.prefill_threads, "decode": self.decode_threads}}


def measure_rates(llm: LocalLLM, threads: ThreadShare, repeats: int = 3) -> LlamaRates:
    """Medians of ``repeats`` runs on random token ids (the rate does not depend on which).
    Empties the KV cache: warm the persona again afterwards."""
    import numpy as np

    with llm._entered(wait_s=30.0):
        model = llm.model
        vocab = model.n_vocab()
        # Ids well inside the vocabulary: an id out of range would abort llama.cpp.
        prompt = [int(t) for t in np.random.default_rng(0).integers(
            100, vocab - 100, size=PREFILL_TOKENS)]
        llm.set_threads(threads)
        prefill, decode = [], []
        for _ in range(repeats):
            model.reset()
            model._ctx.kv_cache_clear()
            started = time.perf_counter()
            model.eval(prompt)
            prefill.append(PREFILL_TOKENS / (time.perf_counter() - started))
            started = time.perf_counter()
            for token in prompt[:DECODE_TOKENS]:
                model.eval([token])
            decode.append(DECODE_TOKENS / (time.perf_counter() - started))
        model.reset()
        model._ctx.kv_cache_clear()
    return LlamaRates(round(statistics.median(prefill), 1), round(statistics.median(decode), 1),
                      threads.prefill, threads.decode)
