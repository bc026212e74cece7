"""Accepting a model file the user chose from disk (or a bundle brings): checked before use,
and loaded for the first time in a child process, so a malformed file cannot take the app down
(docs/reliability.md §2.3, T22, T24, T25).

GGUF: a bounded walk over the header with our own limits, then a trial load by llama.cpp in
the child. ONNX voice: settings schema and magic, no external data, no custom operator
domains, then a trial session in the child. A crash, a timeout or a memory limit hit in the
child means "model rejected"; the app keeps running.

ASR folder (SenseVoice) and VAD graph: the same, through their engines' own checks.

The child process and its limits are desktop.trial's.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from desktop.trial import ModelRejected, check_onnx, trial_load

MAX_KV = 65_536
MAX_TENSORS = 65_536
MAX_STRING = 1 << 20
MAX_ARRAY = 1 << 22  # vocabularies of a few hundred thousand tokens fit with room
MAX_DIMS = 4
MAX_DIM = 1 << 32
MAX_ALIGNMENT = 1 << 20


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, count: int) -> bytes:
        if count < 0 or self.at + count > len(self.data):
            raise ValueError("the header runs past the end of the file")
        chunk = self.data[self.at:self.at + count]
        self.at += count
        return chunk

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))[0]

    def string(self) -> str:
        length = self.unpack("Q")
        if length > MAX_STRING:
            raise ValueError(f"a string of {length} bytes")
        return self.take(length).decode("utf-8", errors="replace")


_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
            12: "d"}


def _value(reader: _Reader, kind: int, depth: int = 0):
    if kind in _SCALARS:
        return reader.unpack(_SCALARS[kind])
    if kind == 8:
        return reader.string()
    if kind == 9:
        if depth:
            raise ValueError("nested arrays")
        element, count = reader.unpack("I"), reader.unpack("Q")
        if count > MAX_ARRAY:
            raise ValueError(f"an array of {count} items")
        if element == 8:
            return [reader.string() for _ in range(count)]
        if element not in _SCALARS:
            raise ValueError(f"an array of unknown type {element}")
        size = struct.calcsize("<" + _SCALARS[element])
        reader.take(size * count)
        return count
    raise ValueError(f"unknown value type {kind}")


def check_gguf_header(path: Path) -> dict:
    """Walk the header within our limits; returns a few facts or raises ModelRejected."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        # Headers of real models are a few MB (the vocabulary); read at most 64 MiB.
        data = handle.read(min(size, 64 << 20))
    reader = _Reader(data)
    try:
        if reader.take(4) != b"GGUF":
            raise ValueError("it does not start with GGUF")
        version = reader.unpack("I")
        if version not in (2, 3):
            raise ValueError(f"unsupported GGUF version {version}")
        tensors, kv_count = reader.unpack("Q"), reader.unpack("Q")
        if tensors > MAX_TENSORS or kv_count > MAX_KV:
            raise ValueError(f"{tensors} tensors and {kv_count} keys")
        values = {}
        for _ in range(kv_count):
            key = reader.string()
            values[key] = _value(reader, reader.unpack("I"))
        alignment = values.get("general.alignment", 32)
        if (not isinstance(alignment, int) or not 0 < alignment <= MAX_ALIGNMENT
                or alignment & (alignment - 1)):
            raise ValueError(f"alignment {alignment}")
        infos = []
        for _ in range(tensors):
            name = reader.string()
            dims = reader.unpack("I")
            if not 0 < dims <= MAX_DIMS:
                raise ValueError(f"tensor {name} has {dims} dimensions")
            shape = [reader.unpack("Q") for _ in range(dims)]
            if any(not 0 < d < MAX_DIM for d in shape):
                raise ValueError(f"tensor {name} has a dimension out of range")
            kind, offset = reader.unpack("I"), reader.unpack("Q")
            infos.append((name, shape, kind, offset))
        start = -(-reader.at // alignment) * alignment
        for name, _shape, _kind, offset in infos:
            if offset % alignment or start + offset >= size:
                raise ValueError(f"tensor {name} lies outside the file")
        if "general.architecture" not in values:
            raise ValueError("no general.architecture")
    except (ValueError, struct.error) as error:
        raise ModelRejected(f"{path.name} is not a usable GGUF model: {error}.",
                            "Choose another file; this one was not copied.") from error
    return {"architecture": values["general.architecture"], "tensors": tensors,
            "keys": kv_count}


def accept_local_file(source: Path, models_dir: Path) -> Path:
    """Check ``source`` and copy it into the models folder; returns the installed path.
    ``source`` is a GGUF model, a piper voice (.onnx beside its .onnx.json), a Silero VAD
    (.onnx alone), or a speech recognizer folder (SenseVoice, or a streaming Zipformer:
    its models and tokens.txt)."""
    if source.is_dir():
        from desktop.voice.asr import RecognizerUnusable
        from desktop.voice.recognizers import check_folder

        try:
            models = check_folder(source)
        except RecognizerUnusable as error:
            raise ModelRejected(error.problem, "Choose a SenseVoice or streaming Zipformer "
                                               "folder from sherpa-onnx; nothing was "
                                               "copied.") from error
        for model in models:
            check_onnx(model)
        trial_load("asr", source)
        target = models_dir / "asr" / source.name
        _copy_in(source / "tokens.txt", target / "tokens.txt", models_dir)
        for model in models:
            _copy_in(model, target / model.name, models_dir)
        return target
    if not source.is_file():
        raise ModelRejected(f"{source} is not a file.", "Choose a model file.")
    if source.suffix == ".gguf":
        check_gguf_header(source)
        trial_load("gguf", source)
        return _copy_in(source, models_dir / "llm" / source.name, models_dir)
    if source.suffix == ".onnx" and not Path(f"{source}.json").is_file():
        check_onnx(source)
        kind = onnx_kind(source)
        if kind == "face":
            trial_load("face", source)
            return _copy_in(source, models_dir / "face" / source.name, models_dir)
        if kind == "vad":
            trial_load("vad", source)
            return _copy_in(source, models_dir / "vad" / "silero_vad.onnx", models_dir)
        raise ModelRejected(
            f"{source.name} is an ONNX model Hearth has no use for: not a piper voice (no "
            f"{source.name}.json beside it), a Silero voice activity model or a YuNet face "
            "detector.", "Choose one of those; nothing was copied.")
    if source.suffix == ".onnx":
        from desktop.voice.tts import check_voice_files

        check_voice_files(source)
        check_onnx(source)
        trial_load("voice", source)
        target = models_dir / "voices" / source.name
        _copy_in(Path(f"{source}.json"), Path(f"{target}.json"), models_dir)
        return _copy_in(source, target, models_dir)
    raise ModelRejected(f"{source.name} is neither a GGUF model nor a piper voice (.onnx).",
                        "Choose a .gguf or .onnx file, or a speech recognizer folder.")


def onnx_kind(path: Path) -> str | None:
    """What a lone ONNX file is, from its graph's inputs and outputs: "vad" (Silero v4/v5),
    "face" (YuNet's detection heads), or None. The file name is the user's, not a claim to
    trust."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    inputs = {i.name for i in graph.input}
    outputs = {o.name for o in graph.output}
    if "input" in inputs and ({"state", "sr"} <= inputs or {"h", "c", "sr"} <= inputs):
        return "vad"
    if {"cls_8", "bbox_8", "kps_8"} <= outputs or {"loc", "conf", "iou"} <= outputs:
        return "face"
    return None


def _copy_in(source: Path, target: Path, models_dir: Path) -> Path:
    """Copy ``source`` to ``target`` (fsynced, renamed into place), recorded as from disk."""
    from desktop.models.install import record_source

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with source.open("rb") as reader, partial.open("wb") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)
        writer.flush()
        os.fsync(writer.fileno())
    os.replace(partial, target)
    record_source(models_dir, target, "disk")
    return target
