"""A child process for the crash tests: writes through the real Store in a loop and prints
each write the store acknowledged, so the parent knows what must survive a SIGKILL.

    python -m tests.helpers.crash_writer DB RUN [slow-migration]
"""

from __future__ import annotations

import sys
import time

from desktop.memory import migrations
from desktop.memory.facts import FactUpdate
from desktop.memory.store import Store


def _slow_step(conn) -> None:
    conn.execute("CREATE TABLE scratch (x)")
    conn.executemany("INSERT INTO scratch VALUES (?)", [(i,) for i in range(200_000)])
    print("migrating", flush=True)
    time.sleep(30)


def main() -> None:
    path, run = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3:  # a migration that the parent kills halfway
        migrations.MIGRATIONS.append(("999_slow", _slow_step))
        migrations.LATEST = len(migrations.MIGRATIONS)
    store = Store(path).open()
    print("open", flush=True)
    sequence = 0
    while True:
        sequence += 1
        text = f"run {run} turn {sequence}"
        row = store.append_turn("p", "user", text).result()
        print(f"turn {row} {text}", flush=True)
        if sequence % 3 == 0:
            store.remember("p", [FactUpdate(f"The user counted to {run}x{sequence}.",
                                            f"count_{run}_{sequence}", 5)]).result()
            print(f"fact {run}x{sequence}", flush=True)
        if sequence % 25 == 0:  # VACUUM and checkpoints under the knife too
            store.forget_persona("someone-else").result()


if __name__ == "__main__":
    main()
