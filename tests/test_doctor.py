"""``hearth doctor`` and ``hearth models`` as a user runs them: real processes, a real data
folder, a real PulseAudio device, and downloads from a loopback server."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from desktop.paths import DataDirs
from tests.helpers.http_server import Behaviour, FileServer

ROOT = Path(__file__).resolve().parent.parent


def hearth(home: DataDirs, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEARTH_HOME": str(home.root)}
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def catalog(path: Path, entries: list[dict]) -> Path:
    path.write_text(json.dumps({"catalog_version": 1, "models": entries}))
    return path


def entry(model_id: str, kind: str, file: str, url: str, body: bytes | None) -> dict:
    return {"id": model_id, "kind": kind, "file": file, "languages": ["en"],
            "purpose": "test", "url": url, "license": "test",
            "size": len(body) if body is not None else None,
            "sha256": hashlib.sha256(body).hexdigest() if body is not None else None}


def test_doctor_reports_a_working_setup(hearth_home: DataDirs, pulse) -> None:
    done = hearth(hearth_home, "doctor")
    assert done.returncode == 0, done.stdout
    assert "hearth-tiny.gguf" in done.stdout and "en_US-hearth-fixture.onnx" in done.stdout
    assert "[ok  ] speaker" in done.stdout and "[ok  ] PortAudio" in done.stdout
    assert "[ok  ] speech recognizer: sense-voice-fixture/model.onnx" in done.stdout
    assert "[ok  ] voice activity: silero_vad.onnx" in done.stdout
    assert "All good." in done.stdout


def test_doctor_names_a_broken_or_missing_recognizer(hearth_home: DataDirs) -> None:
    tokens = hearth_home.models / "asr" / "sense-voice-fixture" / "tokens.txt"
    tokens.write_text("".join(tokens.read_text(encoding="utf-8").splitlines(True)[:-4]),
                      encoding="utf-8")
    done = hearth(hearth_home, "doctor")
    assert "[FAIL] speech recognizer: sense-voice-fixture: tokens.txt lists" in done.stdout
    (hearth_home.models / "vad" / "silero_vad.onnx").unlink()
    done = hearth(hearth_home, "doctor")
    assert "hearth models download silero-vad-v5" in done.stdout


def test_doctor_says_what_is_missing_and_how_to_get_it(empty_home: DataDirs) -> None:
    done = hearth(empty_home, "doctor")
    assert done.returncode == 1
    assert "[FAIL] language model: none in" in done.stdout
    assert "hearth models download" in done.stdout


def test_doctor_catches_a_truncated_or_corrupted_model(hearth_home: DataDirs,
                                                       tmp_path: Path) -> None:
    model = hearth_home.models / "llm" / "hearth-tiny.gguf"
    body = model.read_bytes()
    listed = catalog(tmp_path / "catalog.json", [
        entry("tiny", "llm", "hearth-tiny.gguf", "http://127.0.0.1:9/x", body)])
    model.write_bytes(body[: len(body) // 2])
    done = hearth(hearth_home, "doctor", "--catalog", str(listed))
    assert done.returncode == 1 and "catalog says" in done.stdout
    model.write_bytes(body[:100] + bytes(10) + body[110:])  # same size, other bytes
    done = hearth(hearth_home, "doctor", "--catalog", str(listed))
    assert "does not match its catalog SHA-256" in done.stdout
    model.write_bytes(b"<html>not a model</html>")
    assert "not a GGUF file" in hearth(hearth_home, "doctor", "--no-hash").stdout


def test_models_download_installs_a_verified_model_and_a_voice(empty_home: DataDirs,
                                                               fixture_models: Path,
                                                               tmp_path: Path) -> None:
    gguf = (fixture_models / "llm" / "hearth-tiny.gguf").read_bytes()
    voice = (fixture_models / "voices" / "en_US-hearth-fixture.onnx").read_bytes()
    config = (fixture_models / "voices" / "en_US-hearth-fixture.onnx.json").read_bytes()
    behaviour = Behaviour(body=gguf, files={"/voice.onnx": voice, "/voice.onnx.json": config})
    with FileServer(behaviour) as server:
        listed = catalog(tmp_path / "catalog.json", [
            entry("tiny", "llm", "tiny.gguf", server.url, gguf),
            entry("voice", "voice", "en_US-test.onnx", server.base + "/voice.onnx", voice),
            entry("broken", "llm", "broken.gguf", server.base + "/voice.onnx", voice),
        ])
        done = hearth(empty_home, "models", "download", "tiny", "--catalog", str(listed))
        assert done.returncode == 0, done.stderr
        assert "MB at" in done.stderr and "Installed" in done.stderr
        assert (empty_home.models / "llm" / "tiny.gguf").read_bytes() == gguf
        done = hearth(empty_home, "models", "download", "voice", "--catalog", str(listed))
        assert done.returncode == 0, done.stderr
        assert (empty_home.models / "voices" / "en_US-test.onnx.json").read_bytes() == config
        # Right hash, wrong kind of file: removed again, never offered to the engine.
        done = hearth(empty_home, "models", "download", "broken", "--catalog", str(listed))
        assert done.returncode == 1 and "not a GGUF" in done.stderr
        assert not (empty_home.models / "llm" / "broken.gguf").exists()
        listing = hearth(empty_home, "models", "list", "--catalog", str(listed)).stdout
    assert "tiny" in listing and "installed" in listing
    assert "[ok  ] language model: tiny.gguf" in hearth(
        empty_home, "doctor", "--catalog", str(listed)).stdout


def test_a_download_killed_with_the_app_resumes_and_nothing_half_is_installed(
    empty_home: DataDirs, fixture_models: Path, tmp_path: Path
) -> None:
    """docs/reliability.md T18: the app is killed mid-download; the next start resumes the part."""
    import signal
    import time

    gguf = (fixture_models / "llm" / "hearth-tiny.gguf").read_bytes()
    behaviour = Behaviour(body=gguf, chunk_delay_s=0.02)
    part = empty_home.models / "llm" / "tiny.gguf.part"
    with FileServer(behaviour) as server:
        listed = catalog(tmp_path / "catalog.json", [
            entry("tiny", "llm", "tiny.gguf", server.url, gguf)])
        env = {**os.environ, "HEARTH_HOME": str(empty_home.root)}
        child = subprocess.Popen([sys.executable, "-m", "desktop.cli", "models", "download",
                                  "tiny", "--catalog", str(listed)], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (part.exists() and part.stat().st_size
                                                   > 100_000):
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        kept = part.stat().st_size
        assert 0 < kept < len(gguf)
        assert not (empty_home.models / "llm" / "tiny.gguf").exists()
        behaviour.chunk_delay_s = 0.0
        done = hearth(empty_home, "models", "download", "tiny", "--catalog", str(listed))
    assert done.returncode == 0, done.stderr
    assert (empty_home.models / "llm" / "tiny.gguf").read_bytes() == gguf
    resumed_at = int(behaviour.requests[-1].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= kept


def test_downloading_the_recognizer_brings_its_tokens_and_the_doctor_sees_it(
        empty_home: DataDirs, fixture_models: Path, tmp_path: Path) -> None:
    folder = fixture_models / "asr" / "sense-voice-fixture"
    model = (folder / "model.onnx").read_bytes()
    tokens = (folder / "tokens.txt").read_bytes()
    with FileServer(Behaviour(body=model, files={"/tokens.txt": tokens})) as server:
        listed = catalog(tmp_path / "catalog.json", [
            {**entry("sv", "asr", "model.onnx", server.url, model), "folder": "sv"},
            {**entry("sv-tokens", "asr", "tokens.txt", server.base + "/tokens.txt", tokens),
             "folder": "sv"},
        ])
        done = hearth(empty_home, "models", "download", "sv", "--catalog", str(listed))
    assert done.returncode == 0, done.stderr
    assert (empty_home.models / "asr" / "sv" / "tokens.txt").read_bytes() == tokens
    assert "[ok  ] speech recognizer: sv/model.onnx" in hearth(
        empty_home, "doctor", "--catalog", str(listed)).stdout
