"""What one streaming chunk costs on this machine, alone (not part of ``hearth bench``):

    python -m desktop.bench.settle_probe [FOLDER]

Builds the bilingual streaming Zipformer in its real shapes with random weights (int8 and
float32) and the same shapes exported with 16-frame chunks, into FOLDER (default: a
temporary folder), then feeds each 14 utterances of 1.5-1.8 s in 16 ms reads on one thread
and prints, as JSON, the median cost of a chunk decoded while the user speaks and of the
settle at the pause: the recognizer's share of the transcript's wait (docs/benchmarks.md,
session 14)."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from desktop.fixtures.streaming_asr import BILINGUAL_ZH_EN, write_streaming_zipformer
from desktop.voice.asr import SAMPLE_RATE
from desktop.voice.streaming_asr import StreamingRecognizer

READ = SAMPLE_RATE // 1000 * 16  # the listen thread's 16 ms read
UTTERANCES = 14
WARM_UP = 2  # settles not counted: the first ones include onnxruntime's own warm-up


def measure(folder: Path, threads: int = 1) -> dict[str, float]:
    recognizer = StreamingRecognizer.load(folder, threads)
    rng = np.random.default_rng(0)
    chunk_ms: list[float] = []
    settle_ms: list[float] = []
    for _ in range(UTTERANCES):
        stream = recognizer.open()
        audio = (rng.standard_normal(int(SAMPLE_RATE * (1.5 + 0.3 * rng.random()))) * 0.1
                 ).astype(np.float32)
        for start in range(0, len(audio), READ):
            began, before = time.perf_counter(), stream.chunks
            stream.accept(audio[start:start + READ])
            if stream.chunks > before:
                chunk_ms.append((time.perf_counter() - began) * 1000 / (stream.chunks - before))
        began = time.perf_counter()
        stream.settle()
        settle_ms.append((time.perf_counter() - began) * 1000)
    return {"chunk_s": recognizer.chunk_frames / 100,
            "chunk_ms_p50": round(statistics.median(chunk_ms), 1),
            "settle_ms_p50": round(statistics.median(settle_ms[WARM_UP:]), 1)}


def main(argv: list[str]) -> None:
    root = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="hearth-settle-"))
    variants = {"bilingual-int8": (BILINGUAL_ZH_EN, True),
                "bilingual-fp32": (BILINGUAL_ZH_EN, False),
                "bilingual-chunk16-int8": (replace(BILINGUAL_ZH_EN, decode_chunk_len=16), True)}
    figures = {}
    for name, (shape, quantize) in variants.items():
        folder = root / name
        if not (folder / "tokens.txt").is_file():
            write_streaming_zipformer(folder, shape, quantize=quantize)
        figures[name] = measure(folder)
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
