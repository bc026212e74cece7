"""What this machine has: usable cores, RAM, CPU features and free disk. One place counts
them, so the thread budget, the setup screen's tier and ``hearth doctor`` agree."""

from __future__ import annotations

import os
import platform
import shutil
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
