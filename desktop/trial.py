"""Trial loads in a child process: a model Hearth did not install from its own catalog (a file
the user chose, a member of a bundle) is loaded once by its real engine in a child with memory
and time limits, so a malformed file can only make the child fail, never the app
(docs/reliability.md §2.3, §2.5). A crash, a timeout or a memory limit hit means "model
rejected"; the app keeps running.

Each engine module defines ``trial_load_child(path)``, the one load it needs proven; the child
finds it by name in TRIAL_LOADERS, so this module imports no engine.

    python -m desktop.trial gguf|voice|asr|vad|renderer|likeness|face PATH   (the child)
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
from pathlib import Path

from desktop.child import child_command
from desktop.errors import HearthError

# kind -> the module whose trial_load_child(path) loads it
TRIAL_LOADERS = {
    "gguf": "desktop.brain.llm",
    "voice": "desktop.voice.tts",
    "asr": "desktop.voice.recognizers",
    "vad": "desktop.voice.vad",
    "renderer": "desktop.face.renderer",
    "likeness": "desktop.face.neural",
    "face": "desktop.face.detector",
}


CHILD_TIMEOUT_S = 180


ALLOWED_ONNX_DOMAINS = {"", "ai.onnx", "ai.onnx.ml", "com.microsoft"}


class ModelRejected(HearthError):
    pass


def check_onnx(path: Path) -> None:
    """Single-file models only (external data could point anywhere on disk), and no custom
    operators."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as error:
        raise ModelRejected(f"{path.name} is not a readable ONNX model ({error}).",
                            "Choose another file.") from error
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
            raise ModelRejected(f"{path.name} refers to data in other files, which Hearth "
                                "never reads.", "Use a single-file model.")
    domains = {op.domain for op in model.opset_import} | {
        node.domain for node in model.graph.node}
    custom = domains - ALLOWED_ONNX_DOMAINS
    if custom:
        raise ModelRejected(f"{path.name} needs custom operators ({', '.join(sorted(custom))}).",
                            "Use a model made of standard ONNX operators.")


def trial_load(kind: str, path: Path) -> None:
    """Load ``path`` in a child process with memory and time limits."""
    # Room for the weights plus the runtime; a header that claims more is caught by the cap.
    memory = _weights_size(path) * 2 + (3 << 30)
    env = {**os.environ, "HEARTH_SIDELOAD_MEMORY": str(memory)}
    try:
        done = subprocess.run(child_command("desktop.trial", kind, str(path)),
                              capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired as error:
        raise ModelRejected(f"{path.name} took longer than {CHILD_TIMEOUT_S} s to load.",
                            "Choose another file.") from error
    if done.returncode != 0:
        reason = "it crashed the loader" if done.returncode < 0 else (
            done.stderr.strip().splitlines() or ["it failed to load"])[-1][:300]
        raise ModelRejected(f"{path.name} was rejected: {reason.rstrip('.')}.",
                            "Choose another file; Hearth is unaffected.")


def _weights_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size


def trial_load_once(kind: str, path: Path) -> None:
    """``trial_load``, remembered: a stamp beside the model records the size and time of the
    files that loaded, so an unchanged model is not loaded twice."""
    stamp = (path / ".hearth-verified") if path.is_dir() else path.with_name(
        f".{path.name}.hearth-verified")
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    signature = ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
                         for p in files if p.is_file() and p != stamp)
    try:
        if stamp.read_text(encoding="utf-8") == signature:
            return
    except OSError:
        pass
    trial_load(kind, path)
    # A read-only models folder keeps no stamp: the check simply runs again next time.
    with contextlib.suppress(OSError):
        stamp.write_text(signature, encoding="utf-8")


def child_main(kind: str, path: Path) -> int:
    """In the child: the real engine loads the file once. Exit 0 means it loaded."""
    if os.environ.get("HEARTH_SIDELOAD_TEST_CRASH"):
        os.abort()  # tests prove that a crashing load only rejects the model
    try:
        import resource

        limit = int(os.environ.get("HEARTH_SIDELOAD_MEMORY", 0)) or None
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    try:
        importlib.import_module(TRIAL_LOADERS[kind]).trial_load_child(path)
    except HearthError as error:
        print(error.problem, file=sys.stderr)  # the parent shows the last line: words only
        return 1
    except Exception as error:  # a runtime's own failure: its words, not its class
        print(f"it failed to load ({str(error).strip().splitlines()[-1][:200]})"
              if str(error).strip() else "it failed to load", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main(sys.argv[1], Path(sys.argv[2])))
