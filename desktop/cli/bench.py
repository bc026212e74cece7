"""``hearth bench``: the speed of the real engines (docs/benchmarks.md)."""

from __future__ import annotations

import argparse


def add_parsers(sub) -> None:
    bench = sub.add_parser("bench", help="measure speed on random-weight models of real shapes")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--models", nargs="*", default=["0.5b", "1.5b"],
                       help="which model shapes to measure (0.5b, 1.5b)")
    bench.add_argument("--turns", type=int, default=10, help="typed turns per model shape")
    bench.add_argument("--quick", action="store_true", help="fewer samples (smoke test)")
    bench.add_argument("--parts", nargs="*",
                       default=["tts", "render", "face", "llm", "turns", "memory", "selftest",
                                "voice"],
                       choices=["tts", "render", "face", "llm", "turns", "memory", "selftest",
                                "voice"],
                       help="which measurements to run (default: all)")
    bench.add_argument("--voice-turns", type=int, default=20,
                       help="spoken questions (each also talked over) per model")
    bench.add_argument("--voice-replies", type=int, default=100,
                       help="replies played with their echo in the microphone, counting "
                            "false barge-ins")
    bench.add_argument("--recognizers", nargs="+", default=["streaming"],
                       choices=["streaming", "sense-voice"],
                       help="the spoken turns' recognizer (the streaming Zipformer, which the "
                            "app uses for English and Chinese); more than one: the others "
                            "measured too, in the same run (idle only)")
    bench.add_argument("--no-loaded", action="store_true",
                       help="measure typed and spoken turns only as the machine is, not again "
                            "beside one busy core")
    bench.add_argument("--cpu-share", type=float, default=1.0,
                       help="run the bench on a slower CPU: every thread runs this share of "
                            "the time (0.45 stands for a CPU about twice as slow)")
    bench.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from desktop.bench.run import run_bench

    return run_bench(args)
