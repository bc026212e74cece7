"""What this machine has: usable cores, RAM, CPU features and free disk. One place counts
them, so the thread budget, the setup screen's tier and ``hearth doctor`` agree."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cores: int
    ram_bytes: int | None
    free_disk_bytes: int
    features: frozenset[str]

    @staticmethod
    def here(folder: Path) -> Machine:
        folder.mkdir(parents=True, exist_ok=True)
        return Machine(usable_cores(), ram_bytes(), shutil.disk_usage(folder).free,
                       frozenset(cpu_flags()))


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which a container or `taskset` may
    narrow), not merely how many the machine has."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def yield_this_thread(niceness: int = 10) -> bool:
    """Let every other thread of the process go first when cores are short: raise the
    calling thread's nice value (Linux schedules threads one by one; lowering one's own
    priority needs no privilege). Elsewhere it does nothing and says so (False)."""
    if not sys.platform.startswith("linux"):
        return False
    import threading

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except OSError:
        return False
    return True


def ram_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {"neon"} if platform.machine() in ("arm64", "aarch64") else set()


MIN_SPAN_TICKS_PER_CPU = 50  # half a second at Linux's 100 ticks a second


class OtherLoad:
    """How busy this computer is with work that is not Hearth's: the cores other processes
    kept busy since the last look. Every laptop has background work, and llama.cpp threads
    that share a core with it stall at every barrier (a typed reply went from 0.6 s to 6 s
    beside one busy core): the call re-budgets its threads by this, and the latency meter
    says when the machine, not the persona, is slow. Linux (/proc); elsewhere always 0."""

    def __init__(self, read_system: Callable[[], tuple[int, int, int]] | None = None,
                 read_own: Callable[[], int] | None = None) -> None:
        self._read_system = read_system or _system_ticks
        self._read_own = read_own or _own_ticks
        self._last: tuple[int, int, int, int] | None = None
        self._value = 0.0

    def cores(self) -> float:
        """Cores other processes used, on average, since the previous look (the first look
        starts the count and says 0). Looks less than half a second apart repeat the last
        answer: so short a span says more about scheduling than about load."""
        try:
            busy, total, cpus = self._read_system()
            own = self._read_own()
        except (OSError, ValueError, IndexError):
            return 0.0
        last = self._last
        if last is not None and total - last[1] < MIN_SPAN_TICKS_PER_CPU * cpus:
            return self._value
        self._last = (busy, total, cpus, own)
        if last is None:
            return 0.0
        others = (busy - last[0]) - (own - last[3])
        self._value = max(0.0, others / (total - last[1]) * cpus)
        return self._value


def _system_ticks() -> tuple[int, int, int]:
    """(busy, total) clock ticks of all CPUs since boot, and how many CPUs (/proc/stat)."""
    lines = Path("/proc/stat").read_text().splitlines()
    fields = [int(x) for x in lines[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    cpus = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return total - idle, total, max(1, cpus)


def _own_ticks() -> int:
    """This process's CPU time in clock ticks (/proc/self/stat: utime + stime)."""
    text = Path("/proc/self/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])
