"""``hearth call --persona ID``: the window's hands-free call, in a terminal.

The same Hearth.conversation + Hearth.listen pipeline as the call view; this module only
prints what the call tells it: the user's words as they are heard, the persona's words as
they are spoken, and the latency line of every turn. Ctrl+C (or --seconds) hangs up.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import TextIO

from desktop.call.events import (
    Caption,
    Hearing,
    ListeningState,
    Notice,
    ReplyFinished,
    ReplyStarted,
)


class TerminalPrinter:
    """Turns call events into lines. Partial captions overwrite one line on a terminal."""

    def __init__(self, persona_name: str, out: TextIO = sys.stdout) -> None:
        self.persona_name = persona_name
        self.out = out
        self.tty = out.isatty()
        self._lock = threading.Lock()
        self._partial = False

    def __call__(self, event: object) -> None:
        with self._lock:
            if isinstance(event, Hearing):
                if not event.final:
                    if self.tty:
                        self._write(f"\r\033[K(hearing) {event.text}", newline=False)
                        self._partial = True
                    return
                if event.text:
                    self._line(f"you: {event.text}")
            elif isinstance(event, ReplyStarted):
                pass
            elif isinstance(event, ReplyFinished):
                if event.heard_text:
                    cut = " [interrupted]" if event.interrupted else ""
                    self._line(f"{self.persona_name}: {event.heard_text}{cut}")
                if event.times.speech_ended is not None:
                    self._line(f"latency: {event.times.latency_line()}")
            elif isinstance(event, Notice):
                self._line(f"[{event.level}] {event.text}")
            elif isinstance(event, ListeningState) and event.state in ("no-microphone", "off"):
                self._line(f"[{event.state}]")
            elif isinstance(event, Caption):
                pass  # the reply is printed whole when it ends: a terminal cannot unsay words

    def _line(self, text: str) -> None:
        if self._partial and self.tty:
            self._write("\r\033[K", newline=False)
        self._partial = False
        self._write(text)

    def _write(self, text: str, newline: bool = True) -> None:
        self.out.write(text + ("\n" if newline else ""))
        self.out.flush()


def run_call(persona_id: str, seconds: float | None = None, echo_cancel: bool = True,
             input_device: str | None = None, output_device: str | None = None) -> int:
    from desktop.app import Hearth
    from desktop.errors import HearthError
    from desktop.paths import DataDirs

    def device(text: str | None) -> int | str | None:
        return int(text) if text and text.isdigit() else text

    hearth = Hearth(DataDirs.default(), input_device=device(input_device),
                    output_device=device(output_device))
    try:
        hearth.open()
        persona = hearth.library.get(persona_id)
    except (HearthError, KeyError) as error:
        print(f"hearth: {error}", file=sys.stderr)
        hearth.close()
        return 1
    printer = TerminalPrinter(persona.name())
    conversation = hearth.conversation(persona, printer)
    for problem in [*hearth.store_problems(), *hearth.engines.problems]:
        if problem.part not in ("asr", "vad"):
            printer(Notice("warning", problem.text))
    conversation.start()
    hang_up = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: hang_up.set())
    signal.signal(signal.SIGTERM, lambda *_: hang_up.set())
    try:
        call = hearth.listen(conversation, printer, echo_cancel=echo_cancel)
    except HearthError as error:
        print(f"hearth: {error}", file=sys.stderr)
        conversation.close()
        hearth.close()
        return 1
    print(f"In a call with {persona.name()}. Talk; Ctrl+C hangs up.", file=sys.stderr)
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while not hang_up.wait(0.1):
            if deadline is not None and time.monotonic() >= deadline:
                break
    finally:
        signal.signal(signal.SIGINT, previous)
        call.hang_up()
        conversation.set_spoken(False)
        conversation.close()
        hearth.close()
        s = call.stats
        print(f"Call ended: {s.turns} turns, {s.barge_ins} interruptions.", file=sys.stderr)
    return 0
