"""Model files chosen from disk: a malformed-GGUF corpus generated here to mirror the published
bug classes (docs/reliability.md T22), unsafe ONNX voices (T24, T25), and a loader that crashes.
Every bad file is rejected with a message, nothing is copied, and this process lives on."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from desktop.errors import HearthError
from desktop.models.sideload import accept_local_file, check_gguf_header
from desktop.trial import ModelRejected

ROOT = Path(__file__).resolve().parent.parent


def gguf_string(text: bytes, claimed: int | None = None) -> bytes:
    return struct.pack("<Q", len(text) if claimed is None else claimed) + text


def kv_string(key: str, value: str) -> bytes:
    return gguf_string(key.encode()) + struct.pack("<I", 8) + gguf_string(value.encode())


def make_gguf(kvs: list[bytes], tensors: list[bytes], kv_count: int | None = None,
              tensor_count: int | None = None, tail: bytes = b"\0" * 4096) -> bytes:
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors) if tensor_count is None
                                 else tensor_count, len(kvs) if kv_count is None else kv_count)
    return head + b"".join(kvs) + b"".join(tensors) + tail


def tensor(name: str, shape: list[int], offset: int = 0) -> bytes:
    return (gguf_string(name.encode()) + struct.pack("<I", len(shape))
            + b"".join(struct.pack("<Q", d) for d in shape) + struct.pack("<IQ", 0, offset))


ARCH = kv_string("general.architecture", "qwen2")
CORPUS = {
    "tensor dim 2^42+1": make_gguf([ARCH], [tensor("w", [2**42 + 1])]),
    "1 GiB string length": make_gguf([gguf_string(b"general.name") + struct.pack("<I", 8)
                                      + gguf_string(b"x", claimed=1 << 30)], []),
    "alignment 2^30": make_gguf([ARCH, gguf_string(b"general.alignment")
                                 + struct.pack("<II", 4, 1 << 30)], []),
    "key count 2^40": make_gguf([ARCH], [], kv_count=1 << 40),
    "block_count 4096 tensors": make_gguf([ARCH], [], tensor_count=4096 * 12),
    "array of arrays": make_gguf([ARCH, gguf_string(b"x") + struct.pack("<IIQ", 9, 9, 1)], []),
    "unknown value type": make_gguf([ARCH, gguf_string(b"x") + struct.pack("<I", 77)], []),
    "tensor data past the end": make_gguf([ARCH], [tensor("w", [16], offset=1 << 30)]),
    "no architecture": make_gguf([], []),
    "html error page": b"<html><body>404</body></html>",
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_the_malformed_gguf_corpus_is_rejected_by_the_header_walk(tmp_path: Path,
                                                                  case: str) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(CORPUS[case])
    with pytest.raises(ModelRejected, match="not a usable GGUF"):
        accept_local_file(path, tmp_path / "models")
    assert not (tmp_path / "models").exists()  # nothing copied


def test_a_real_gguf_passes_and_is_copied_in(fixture_models: Path, tmp_path: Path) -> None:
    source = fixture_models / "llm" / "hearth-tiny.gguf"
    assert check_gguf_header(source)["architecture"] == "qwen2"
    installed = accept_local_file(source, tmp_path / "models")
    assert installed == tmp_path / "models" / "llm" / "hearth-tiny.gguf"
    assert installed.read_bytes() == source.read_bytes()


def test_a_truncated_gguf_is_rejected(fixture_models: Path, tmp_path: Path) -> None:
    data = (fixture_models / "llm" / "hearth-tiny.gguf").read_bytes()
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ModelRejected):
        accept_local_file(path, tmp_path / "models")


def test_a_loader_crash_in_the_child_only_rejects_the_model(fixture_models: Path,
                                                            tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("HEARTH_SIDELOAD_TEST_CRASH", "1")
    with pytest.raises(ModelRejected, match="crashed the loader"):
        accept_local_file(fixture_models / "llm" / "hearth-tiny.gguf", tmp_path / "models")
    assert not (tmp_path / "models" / "llm" / "hearth-tiny.gguf").exists()


def copy_voice(fixture_models: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = fixture_models / "voices" / "en_US-hearth-fixture.onnx"
    target = folder / source.name
    shutil.copy(source, target)
    shutil.copy(f"{source}.json", f"{target}.json")
    return target


def test_a_real_voice_is_accepted_with_its_settings(fixture_models: Path, tmp_path: Path
                                                    ) -> None:
    voice = copy_voice(fixture_models, tmp_path / "chosen")
    installed = accept_local_file(voice, tmp_path / "models")
    assert installed.is_file() and Path(f"{installed}.json").is_file()


@pytest.mark.parametrize("attack", ["external-data", "custom-domain", "pickle", "rate"])
def test_unsafe_voices_are_rejected(fixture_models: Path, tmp_path: Path, attack: str) -> None:
    voice = copy_voice(fixture_models, tmp_path / "chosen")
    if attack in ("external-data", "custom-domain"):
        model = onnx.load(str(voice))
        if attack == "external-data":
            weight = onnx.TensorProto(name="stolen", data_type=onnx.TensorProto.FLOAT, dims=[4],
                                      data_location=onnx.TensorProto.EXTERNAL)
            entry = weight.external_data.add()
            entry.key, entry.value = "location", "../../../../etc/passwd"
            model.graph.initializer.append(weight)
        else:
            model.graph.node[0].domain = "com.evil.ops"
        onnx.save(model, str(voice))
    elif attack == "pickle":
        voice.write_bytes(b"\x80\x04\x95 a pickle, not a model")
    else:
        config = json.loads(Path(f"{voice}.json").read_text())
        config["audio"]["sample_rate"] = -1
        Path(f"{voice}.json").write_text(json.dumps(config))
    expected = {"external-data": "other files", "custom-domain": "custom operators",
                "pickle": "not an ONNX", "rate": "sample rate"}[attack]
    with pytest.raises(HearthError, match=expected):
        accept_local_file(voice, tmp_path / "models")
    assert not (tmp_path / "models" / "voices" / voice.name).exists()


def test_models_add_on_the_command_line(fixture_models: Path, empty_home, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(CORPUS["tensor dim 2^42+1"])
    env = {**os.environ, "HEARTH_HOME": str(empty_home.root)}
    run = lambda *a: subprocess.run([sys.executable, "-m", "desktop.cli", "models", "add", *a],  # noqa: E731
                                    cwd=ROOT, env=env, capture_output=True, text=True,
                                    timeout=300)
    refused = run(str(bad))
    assert refused.returncode == 1 and "not a usable GGUF" in refused.stderr
    done = run(str(fixture_models / "llm" / "hearth-tiny.gguf"))
    assert done.returncode == 0, done.stderr
    assert (empty_home.models / "llm" / "hearth-tiny.gguf").is_file()


def test_a_lone_onnx_is_taken_for_what_its_graph_is(fixture_models: Path, empty_home,
                                                    tmp_path: Path) -> None:
    """`hearth models add` took any .onnx without a .json for a voice activity model, so the
    face detector was refused as "desktop.voice.vad.VadUnusable: … catalog..". Now the graph
    says what it is, and a refusal is words only."""
    import shutil

    from desktop.paths import asset_path

    env = {**os.environ, "HEARTH_HOME": str(empty_home.root)}

    def add(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "desktop.cli", "models", "add", str(path)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    face = tmp_path / "my-detector.onnx"  # the name says nothing: the graph does
    shutil.copy(fixture_models / "face" / "face_detection_yunet_fixture.onnx", face)
    done = add(face)
    assert done.returncode == 0, done.stderr
    assert (empty_home.models / "face" / "my-detector.onnx").is_file()
    vad = tmp_path / "whatever.onnx"
    shutil.copy(fixture_models / "vad" / "silero_vad.onnx", vad)
    assert add(vad).returncode == 0
    assert (empty_home.models / "vad" / "silero_vad.onnx").is_file()
    other = tmp_path / "renderer.onnx"
    shutil.copy(asset_path("renderer", "builtin-warp.onnx"), other)
    refused = add(other)
    assert refused.returncode == 1 and "has no use for" in refused.stderr
    for leak in ("Unusable", "Error", "Traceback", ".."):
        assert leak not in refused.stderr, refused.stderr


def test_child_processes_start_the_same_way_inside_a_frozen_app(fixture_models: Path,
                                                                tmp_path: Path,
                                                                monkeypatch) -> None:
    """In a frozen app sys.executable is Hearth itself, and `-m desktop.trial` would launch
    another Hearth: children go through Hearth's hidden `--child` instead."""
    import stat

    from desktop.child import child_command
    from desktop.trial import trial_load

    assert child_command("desktop.trial", "gguf", "x") == [sys.executable, "-m",
                                                           "desktop.trial", "gguf", "x"]
    frozen = tmp_path / "hearth"  # stands in for the frozen binary: `hearth ARGS`
    frozen.write_text(f"#!/bin/sh\ncd {ROOT}\nexec {sys.executable} -m desktop.cli \"$@\"\n")
    frozen.chmod(frozen.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(frozen))
    assert child_command("desktop.trial", "gguf", "x")[:3] == [str(frozen), "--child",
                                                              "desktop.trial"]
    trial_load("gguf", fixture_models / "llm" / "hearth-tiny.gguf")  # loads, through --child
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelRejected, match="rejected"):
        trial_load("gguf", bad)
    monkeypatch.undo()
    refused = subprocess.run([sys.executable, "-m", "desktop.cli", "--child", "os"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "not one of Hearth's child processes" in refused.stderr
