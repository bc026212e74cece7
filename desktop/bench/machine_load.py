"""The machines a benchmark pretends to be: one with a background program keeping a core busy
(BusyCore), and a slower CPU (SlowerCpu).

BusyCore is what every laptop has: another program spinning on one core. It is a separate
process (a Python thread would hold the GIL and slow the bench's own Python, which no other
program does), and it is not slowed by SlowerCpu: on a slow machine a busy program still keeps
a whole core busy.

SlowerCpu makes every thread of this process run ``share`` of the time: a small pacing process
stops it (SIGSTOP) and continues it (SIGCONT) every PERIOD_S, so single-threaded stages (one
decode thread) slow down as much as the multi-threaded ones, which a cgroup CPU quota does not
do (its quota is shared by all cores). A process cannot tell it was stopped, only that its
wall time grew: it stands for a CPU ``1 / share`` times slower, and the bench records the
llama.cpp rates it then measures, so the figures can be read against them. What plays the
user's voice and records the room (PulseAudio and its players) runs at full speed: they are
the world, not the machine under test. POSIX only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from types import TracebackType

from desktop.child import child_command

PERIOD_S = 0.01  # short next to every latency measured (hundreds of ms), long next to a switch


class BusyCore:
    """``with BusyCore():`` one core kept busy by another process, until the block ends."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> BusyCore:
        self._process = subprocess.Popen(child_command("desktop.bench.machine_load", "spin"))
        time.sleep(0.5)  # let the scheduler see it before anything is measured
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


class SlowerCpu:
    """``with SlowerCpu(0.45):`` this process runs 45 % of the time, until the block ends."""

    def __init__(self, share: float) -> None:
        if not 0.05 <= share <= 1.0:
            raise ValueError(f"--cpu-share {share}: give a share of the CPU between 0.05 and 1 "
                             "(0.45 stands for a CPU about twice as slow as this one).")
        if os.name != "posix":
            raise RuntimeError("--cpu-share needs a POSIX system (it stops and continues the "
                               "benchmark with signals); run without it here.")
        self.share = share
        self._pacer: subprocess.Popen | None = None

    def __enter__(self) -> SlowerCpu:
        if self.share < 1.0:
            self._pacer = subprocess.Popen(child_command(
                "desktop.bench.machine_load", "pace", str(os.getpid()), str(self.share)))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._pacer is not None:
            self._pacer.terminate()  # it continues this process before it ends
            self._pacer.wait(timeout=10)
            self._pacer = None


def pace(pid: int, share: float) -> None:
    """Stop ``pid`` for (1 - share) of every PERIOD_S until told to end or ``pid`` is gone;
    whatever ends this loop, ``pid`` is left running."""
    running = True

    def end(_signal: int, _frame: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, end)
    parent = os.getppid()
    next_switch = time.perf_counter()
    try:
        while running and os.getppid() == parent:
            next_switch += PERIOD_S * share
            time.sleep(max(0.0, next_switch - time.perf_counter()))
            os.kill(pid, signal.SIGSTOP)
            next_switch += PERIOD_S * (1.0 - share)
            time.sleep(max(0.0, next_switch - time.perf_counter()))
            os.kill(pid, signal.SIGCONT)
    except ProcessLookupError:
        return
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


def main(argv: list[str]) -> int:
    if argv[:1] == ["spin"]:
        while True:  # the background program: nothing but CPU
            pass
    if argv[:1] == ["pace"] and len(argv) == 3:
        pace(int(argv[1]), float(argv[2]))
        return 0
    print("usage: python -m desktop.bench.machine_load spin | pace PID SHARE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
