"""``hearth likeness build`` and ``hearth likeness selftest`` (see desktop.likeness)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub) -> argparse.ArgumentParser:
    likeness = sub.add_parser("likeness", help="build a photoreal face (hearth-face-v2) from a "
                              "talking video of a real person")
    verbs = likeness.add_subparsers(dest="likeness_command", required=True)
    build = verbs.add_parser("build", help="train the person's face from 3-5 minutes of them "
                             "talking")
    build.add_argument("--video", required=True, help="the person talking, facing the camera, "
                       "with a quiet stretch of them listening (MP4, MOV, MKV, WebM)")
    build.add_argument("--out", required=True, help="folder for face/, consent.json, "
                       "report.json and the training checkpoint")
    build.add_argument("--consent", choices=["own", "permission"],
                       help="own: the face and voice are yours; permission: the person gave "
                            "you leave (asked if not given)")
    build.add_argument("--statement", default="", help="the consent in your own words")
    build.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                       help="where to train: cpu, or cuda on a machine with an NVIDIA GPU")
    build.add_argument("--crop", type=int, default=160, help="generated square in pixels "
                       "(160 fits one laptop thread; docs/face.md)")
    build.add_argument("--steps", type=int, default=6000, help="training steps")
    build.add_argument("--threads", type=int, default=0, help="torch threads (0: all)")
    selftest = verbs.add_parser("selftest", help="prove the builder learns, on a synthetic "
                                "talking video of a public-domain photograph")
    selftest.add_argument("--json", action="store_true", help="print one JSON object")
    selftest.add_argument("--seconds", type=float, default=60.0,
                          help="length of the synthetic talking video")
    selftest.add_argument("--steps", type=int, default=1500, help="training steps")
    selftest.add_argument("--crop", type=int, default=96, help="generated square in pixels")
    selftest.add_argument("--work", help="folder to keep the video and the face in")
    return likeness


def _progress(stage: str, fraction: float, detail: str) -> None:
    bar = "#" * int(fraction * 30)
    line = f"\r[{bar:<30}] {fraction:4.0%} {stage}: {detail}"[:120]
    end = "\n" if stage == "done" or not sys.stderr.isatty() else ""
    print(line.ljust(120) if sys.stderr.isatty() else line.lstrip("\r"), end=end,
          file=sys.stderr, flush=True)


def _ask_consent() -> str | None:
    if not sys.stdin.isatty():
        return None
    print("Whose face and voice are in this video?\n  1) mine\n  2) someone who gave me "
          "permission to make this likeness", file=sys.stderr)
    answer = input("1 or 2: ").strip()
    return {"1": "own", "2": "permission"}.get(answer)


def run(args: argparse.Namespace) -> int:
    from desktop.errors import HearthError

    try:
        if args.likeness_command == "selftest":
            import tempfile

            from desktop.likeness.synthetic import run_selftest

            if args.work:
                figures = run_selftest(Path(args.work), args.seconds, args.steps, args.crop,
                                       progress=_progress)
            else:
                with tempfile.TemporaryDirectory() as work:
                    figures = run_selftest(Path(work), args.seconds, args.steps, args.crop,
                                           progress=_progress)
                    figures.pop("face_folder")
            print(json.dumps(figures, indent=None if args.json else 1))
            return 0
        from desktop.likeness.build import Consent, LikenessOptions, build_likeness
        from desktop.paths import DataDirs

        basis = args.consent or _ask_consent()
        if basis is None:
            print("hearth: say whose likeness this is: --consent own (your face and voice) or "
                  "--consent permission (the person gave you leave).", file=sys.stderr)
            return 2
        report = build_likeness(
            Path(args.video), Path(args.out),
            LikenessOptions(crop=args.crop, steps=args.steps, device=args.device,
                            threads=args.threads),
            Consent(basis, args.statement), _progress, DataDirs.default().models)
    except HearthError as error:
        print(f"\nhearth: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {Path(args.out) / 'face'}: held-out lower face "
          f"{report.evaluation['heldout_psnr_db']} dB (a still mouth: "
          f"{report.evaluation['baseline_psnr_db']} dB). Sign it into a persona with: "
          f"hearth create --face {Path(args.out) / 'face'} …")
    return 0
