"""``hearth call``: a hands-free call in the terminal."""

from __future__ import annotations

import argparse


def add_parsers(sub) -> None:
    call = sub.add_parser("call", help="a hands-free call in the terminal: talk, and the "
                                       "persona answers; Ctrl+C hangs up")
    call.add_argument("--persona", required=True, help="persona id, e.g. org.hearth.wren")
    call.add_argument("--seconds", type=float, help="hang up after this long")
    call.add_argument("--input", help="microphone (PortAudio device name or index)")
    call.add_argument("--output", help="speaker (PortAudio device name or index)")
    call.add_argument("--no-echo-cancel", action="store_true",
                      help="for headsets: skip echo cancellation")
    call.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from desktop.cli.terminal import run_call

    return run_call(args.persona, args.seconds, not args.no_echo_cancel, args.input,
                    args.output)
