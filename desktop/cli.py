"""The ``hearth`` command: the window by default, plus ``bench``."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hearth", description="Offline calls with personas.")
    parser.add_argument("--lang", help="UI language (en, zh); default: the system's")
    parser.add_argument("--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command")
    bench = sub.add_parser("bench", help="measure speed on random-weight models of real shapes")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--models", nargs="*", default=["0.5b", "1.5b"],
                       help="which model shapes to measure (0.5b, 1.5b)")
    bench.add_argument("--turns", type=int, default=10)
    bench.add_argument("--quick", action="store_true", help="fewer samples (smoke test)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if args.command == "bench":
        from desktop.bench import run_bench

        return run_bench(args)
    from desktop.ui.run import run_gui

    return run_gui(args.lang)


def gui_main() -> int:
    return main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
