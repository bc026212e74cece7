"""Where native libraries' messages go. ALSA, llama.cpp, ggml, onnxruntime and OpenCV write to
the process's file descriptor 2 from C, whatever Python's logging says, and on some machines
they fill the terminal. Unless the user asks to see them (``--verbose``), descriptor 2 goes to
a log file in the data folder while Python's own ``sys.stderr`` (Hearth's messages to the
user) keeps the terminal."""

from __future__ import annotations

import os
import sys
from pathlib import Path

MAX_LOG_BYTES = 5 << 20


def route_native_stderr(log_path: Path) -> Path | None:
    """Send descriptor 2 to ``log_path`` (appended; started afresh past 5 MB) and keep
    ``sys.stderr`` on the terminal. Returns the log's path, or None if it cannot be written
    (then nothing changes: noise is better than losing messages)."""
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if log_path.exists() and log_path.stat().st_size > MAX_LOG_BYTES:
            log_path.replace(log_path.with_name(log_path.name + ".old"))
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError:
        return None
    sys.stderr.flush()
    terminal = os.dup(2)
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8",
                           errors="backslashreplace")
    os.dup2(log, 2)
    os.close(log)
    return log_path
