"""Runs a whole session of Hearth's engines while an audit hook records every network
connection and name lookup Python makes; prints them as JSON at the end.

    python -m tests.helpers.egress_probe
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    attempts: list[str] = []

    def audit(event: str, args: tuple) -> None:
        if event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple):  # AF_INET/AF_INET6; AF_UNIX (PulseAudio) is local
                attempts.append(f"connect {address[0]}:{address[1]}")
        elif event == "socket.getaddrinfo":
            attempts.append(f"lookup {args[0]}")

    sys.addaudithook(audit)
    if "--self-check" in sys.argv:  # prove the probe sees a connection when one is made
        import contextlib
        import socket

        with contextlib.suppress(OSError):
            socket.create_connection(("192.0.2.1", 9), timeout=0.2)  # TEST-NET-1: no host
        print(json.dumps({"attempts": attempts, "reply_finished": True}))
        return

    from desktop.app import Hearth
    from desktop.brain.llm import Sampling
    from desktop.doctor import run_checks
    from desktop.memory.facts import FactUpdate
    from desktop.paths import DataDirs

    dirs = DataDirs.default()
    hearth = Hearth(dirs).open()
    persona = hearth.library.get("org.hearth.wren")
    events: list[object] = []
    conversation = hearth.conversation(persona, events.append)
    conversation.sampling = Sampling(seed=1, max_tokens=8)
    conversation.start()
    hearth.store.remember(persona.id, [FactUpdate("The user has a cat.", "pet")]).result(10)
    conversation.set_spoken(True)
    conversation.say("How is my cat?")
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            type(e).__name__ == "ReplyFinished" for e in events):
        time.sleep(0.05)
    # A hands-free call too: the recognizer, the VAD and WebRTC's echo canceller (native
    # code the audit hook cannot see, hence the socket scan below) run for a few seconds.
    call = hearth.listen(conversation, events.append, greet=False, ring=False)
    time.sleep(3)
    inet_sockets = _inet_sockets()
    call.hang_up()
    conversation.set_spoken(False)
    time.sleep(1.5)  # memory work runs when idle
    conversation.close()
    hearth.export_memory(persona.id)
    hearth.forget(persona.id)
    run_checks(dirs)
    hearth.close()
    finished = any(type(e).__name__ == "ReplyFinished" for e in events)
    print(json.dumps({"attempts": attempts + inet_sockets, "reply_finished": finished}))


def _inet_sockets() -> list[str]:
    """IP sockets this process holds, whatever code opened them (Linux /proc)."""
    import os
    from pathlib import Path

    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        path = Path("/proc/self/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) > 9 and fields[9] in inodes:
                found.append(f"{table} socket {fields[1]} -> {fields[2]}")
    return found


if __name__ == "__main__":
    main()
