"""First run, engine side: tiers that fit the machine, the download queue (pause, resume,
cancel) against a loopback server, and the self-test on the fixture models."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from desktop.models.inventory import CatalogEntry, Inventory, load_catalog
from desktop.models.setup import (
    DownloadQueue,
    Machine,
    QueueState,
    SelfTest,
    last_self_test,
    recommend,
    save_self_test,
    self_test,
    tiers_for,
)
from desktop.paths import DataDirs
from tests.helpers.http_server import Behaviour, FileServer


def machine(ram_gb: float, cores: int) -> Machine:
    return Machine(cores, int(ram_gb * 1e9), 100 * 10**9, frozenset({"avx2"}))


def test_tiers_bundle_a_brain_a_voice_per_language_and_the_listening_models() -> None:
    tiers = tiers_for(load_catalog(), ["en", "zh"])
    assert [t.name for t in tiers] == ["Light", "Standard", "Rich"]
    assert [e.kind for e in tiers[1].entries] == ["llm", "voice", "voice", *["asr"] * 6,
                                                  "vad", "face"]
    # Each recognizer's files share one folder, where the inventory looks for them: SenseVoice,
    # and for Chinese and English the streaming one the call uses (docs/calls.md).
    asr = [e for e in tiers[1].entries if e.kind == "asr"]
    assert {e.folder for e in asr} == {"sense-voice-zh-en-ja-ko-yue",
                                       "streaming-zipformer-bilingual-zh-en"}
    streaming = {e.file for e in asr if e.folder == "streaming-zipformer-bilingual-zh-en"}
    assert {name.split("-")[0].split(".")[0] for name in streaming} == {
        "encoder", "decoder", "joiner", "tokens"}
    assert tiers[1].download_mb() == 1117 + 63 + 63 + 239 + 1 + (182 + 14 + 4 + 1) + 3 + 1
    # A persona who speaks Japanese gets SenseVoice alone: the streaming one does not know it.
    japanese = tiers_for(load_catalog(), ["en", "ja"])[1]
    assert {e.folder for e in japanese.entries if e.kind == "asr"} == {
        "sense-voice-zh-en-ja-ko-yue"}
    assert recommend(tiers, machine(2, 2)).name == "Light"
    assert recommend(tiers, machine(8, 4)).name == "Standard"
    assert recommend(tiers, machine(32, 16)).name == "Rich"
    no_avx2 = Machine(16, int(32e9), 10**11, frozenset({"sse4_2"}))
    assert recommend(tiers, no_avx2).name == "Light"  # llama.cpp is several times slower


def test_doctor_and_setup_make_one_tier_decision(monkeypatch) -> None:
    """`hearth doctor` once recommended Standard where Setup said Light: both ask the same
    function about the same machine now."""
    import desktop.doctor as doctor

    for cores, ram_gb, expected in ((2, 8, "Light"), (4, 8, "Standard"), (16, 32, "Rich")):
        monkeypatch.setattr(doctor, "usable_cores", lambda cores=cores: cores)
        monkeypatch.setattr(doctor, "ram_bytes", lambda ram_gb=ram_gb: int(ram_gb * 1e9))
        monkeypatch.setattr(doctor, "cpu_flags", lambda: {"avx2"})
        tier = next(c for c in doctor.check_machine() if c.area == "tier")
        setup = recommend(tiers_for(load_catalog(), ["en"]), machine(ram_gb, cores))
        assert tier.found.startswith(f"{expected} suits") and setup.name == expected


def entry_for(server: FileServer, body: bytes, file: str, path: str = "/model.gguf"
              ) -> CatalogEntry:
    return CatalogEntry(file, "llm", file, ("en",), "test", server.base + path, size=len(body),
                        sha256=hashlib.sha256(body).hexdigest(), approx_mb=1)


def test_the_queue_pauses_resumes_and_finishes(fixture_models: Path, tmp_path: Path) -> None:
    body = (fixture_models / "llm" / "hearth-tiny.gguf").read_bytes()
    inventory = Inventory(DataDirs(tmp_path).ensure())
    states: list[str] = []
    paused = threading.Event()

    def watch(state: QueueState) -> None:
        states.append(state.state)
        if state.state == "running" and state.file_done > 0 and not paused.is_set():
            paused.set()
            queue.pause()

    behaviour = Behaviour(body=body)
    with FileServer(behaviour) as server:
        queue = DownloadQueue([entry_for(server, body, "a.gguf")], inventory, watch)
        queue.start()
        queue.join(30)
        assert queue.status.state == "paused"
        assert (inventory.llm_dir / "a.gguf.part").exists()
        assert not (inventory.llm_dir / "a.gguf").exists()
        queue.start()  # resume
        queue.join(30)
    assert queue.status.state == "done" and queue.status.finished == ["a.gguf"]
    assert (inventory.llm_dir / "a.gguf").read_bytes() == body
    assert behaviour.requests[-1] is not None  # the second request resumed with a Range


def test_cancel_deletes_the_partial_file(fixture_models: Path, tmp_path: Path) -> None:
    body = (fixture_models / "llm" / "hearth-tiny.gguf").read_bytes()
    inventory = Inventory(DataDirs(tmp_path).ensure())

    def watch(state: QueueState) -> None:
        if state.state == "running" and state.file_done > 0:
            queue.cancel()

    with FileServer(Behaviour(body=body)) as server:
        queue = DownloadQueue([entry_for(server, body, "a.gguf")], inventory, watch)
        queue.start()
        queue.join(30)
    assert queue.status.state == "cancelled"
    assert list(inventory.llm_dir.glob("a.gguf*")) == []


def test_a_failed_download_says_why(fixture_models: Path, tmp_path: Path) -> None:
    body = (fixture_models / "llm" / "hearth-tiny.gguf").read_bytes()
    inventory = Inventory(DataDirs(tmp_path).ensure())
    with FileServer(Behaviour(body=body, status=404)) as server:
        queue = DownloadQueue([entry_for(server, body, "a.gguf")], inventory)
        queue.start()
        queue.join(30)
    assert queue.status.state == "failed" and "HTTP 404" in queue.status.error


def test_the_self_test_measures_the_chosen_models(fixture_models: Path) -> None:
    from desktop.personas.library import PersonaLibrary

    persona = PersonaLibrary(DataDirs(fixture_models.parent / "no-home")).list()[0]
    result = self_test(fixture_models / "llm" / "hearth-tiny.gguf",
                       fixture_models / "voices" / "en_US-hearth-fixture.onnx", seconds=2,
                       face_persona=persona)
    assert result.face_fps > 0
    assert result.first_token_ms > 0 and result.tokens_per_s > 0
    assert result.tts_first_chunk_ms > 0 and result.tts_real_time_factor > 0
    assert result.estimated_first_audio_ms > result.first_token_ms
    assert ("natural" in result.verdict) == result.fast_enough
    assert "s " in result.verdict  # says how long the wait will be
    # llama.cpp's rates as the bench measures them, and what was measured when
    assert result.llama_pp128_tok_s > 0 and result.llama_tg32_tok_s > 0
    assert result.model_file == "hearth-tiny.gguf" and result.measured_at[:2] == "20"


def _measured(model_file: str, fast: bool) -> SelfTest:
    return SelfTest(900.0, 12.0, 150.0, 0.2, 25.0, 1900.0, "slow", fast, 40.0, 12.0,
                    model_file, "2026-12-01T19:00:00")


def test_a_slow_self_test_moves_the_recommendation_down_one_tier() -> None:
    tiers = tiers_for(load_catalog(), ["en"])
    strong = machine(32, 16)
    rich_file = tiers[2].entries[0].file
    assert recommend(tiers, strong, _measured(rich_file, fast=True)).name == "Rich"
    assert recommend(tiers, strong, _measured(rich_file, fast=False)).name == "Standard"
    # A slow measurement of another tier's model says nothing about this one.
    other = tiers[0].entries[0].file
    assert recommend(tiers, strong, _measured(other, fast=False)).name == "Rich"
    # Nothing lighter than the lightest.
    assert recommend(tiers, machine(2, 2), _measured(other, fast=False)).name == "Light"


def test_the_saved_self_test_is_read_back_and_a_file_that_is_not_one_is_ignored(
        tmp_path: Path) -> None:
    assert last_self_test(tmp_path) is None
    saved = _measured("model.gguf", fast=False)
    assert save_self_test(tmp_path, saved)
    assert last_self_test(tmp_path) == saved
    # A disk that refuses the record costs only the record.
    assert not save_self_test(tmp_path / "selftest.json", saved)  # "root" is a file
    path = tmp_path / "selftest.json"
    for text in ("{", "[1, 2]", '{"first_token_ms": "fast"}', '{"unknown": 1}',
                 path.read_text().replace("false", '"no"')):
        path.write_text(text)
        assert last_self_test(tmp_path) is None


def test_doctor_reports_the_self_tests_measurement_and_the_same_tier(monkeypatch,
                                                                     tmp_path: Path) -> None:
    import desktop.doctor as doctor

    tiers = tiers_for(load_catalog(), ["en"])
    monkeypatch.setattr(doctor, "usable_cores", lambda: 4)
    monkeypatch.setattr(doctor, "ram_bytes", lambda: int(8e9))
    monkeypatch.setattr(doctor, "cpu_flags", lambda: {"avx2"})
    checks = {c.area: c for c in doctor.check_machine(tmp_path)}
    assert checks["speed"].found == "not measured yet" and "Setup" in checks["speed"].fix
    assert checks["tier"].found.startswith("Standard suits")
    save_self_test(tmp_path, _measured(tiers[1].entries[0].file, fast=False))
    checks = {c.area: c for c in doctor.check_machine(tmp_path)}
    assert checks["speed"].status == doctor.WARN
    assert "prefill 40.0 tok/s, decode 12.0 tok/s" in checks["speed"].found
    assert "1.9 s" in checks["speed"].found
    setup = recommend(tiers, machine(8, 4), last_self_test(tmp_path))
    assert setup.name == "Light" and checks["tier"].found.startswith("Light suits")


def test_installed_models_are_listed_with_sizes_and_can_be_removed(fixture_models: Path,
                                                                  tmp_path: Path) -> None:
    import shutil

    from desktop.models.setup import installed_models, remove_model

    dirs = DataDirs(tmp_path).ensure()
    shutil.copytree(fixture_models, dirs.models, dirs_exist_ok=True)
    inventory = Inventory(dirs)
    found = installed_models(inventory)
    assert {i.kind for i in found} == {"llm", "voice", "asr", "vad", "face"}
    assert all(i.size_bytes > 0 for i in found)
    voice = next(i for i in found if i.kind == "voice")
    remove_model(voice)
    assert not voice.path.exists() and not Path(f"{voice.path}.json").exists()
    assert len(installed_models(inventory)) == len(found) - 1
    recognizer = next(i for i in found if i.kind == "asr")
    remove_model(recognizer)  # a folder: removed whole
    assert not recognizer.path.exists()
    assert [m.kind for m in inventory.missing_listening()] == ["asr"]


def test_the_listening_models_download_into_place_and_are_checked(fixture_models: Path,
                                                                  tmp_path: Path) -> None:
    """The recognizer's two files and the VAD, from a loopback server, through the same queue
    as every download; then the call finds them. A recognizer that does not load is removed."""
    folder = fixture_models / "asr" / "sense-voice-fixture"
    model = (folder / "model.onnx").read_bytes()
    tokens = (folder / "tokens.txt").read_bytes()
    vad = (fixture_models / "vad" / "silero_vad.onnx").read_bytes()
    inventory = Inventory(DataDirs(tmp_path).ensure())

    def entry(server: FileServer, kind: str, file: str, body: bytes, path: str,
              folder_name: str | None) -> CatalogEntry:
        return CatalogEntry(f"{kind}-{file}", kind, file, ("en", "zh"), "test",
                            server.base + path, size=len(body),
                            sha256=hashlib.sha256(body).hexdigest(), approx_mb=1,
                            folder=folder_name)

    with FileServer(Behaviour(body=model, files={"/tokens.txt": tokens,
                                                 "/vad.onnx": vad})) as server:
        entries = [entry(server, "asr", "model.onnx", model, "/model.onnx", "sv"),
                   entry(server, "asr", "tokens.txt", tokens, "/tokens.txt", "sv"),
                   entry(server, "vad", "silero_vad.onnx", vad, "/vad.onnx", None)]
        queue = DownloadQueue(entries, inventory)
        queue.start()
        queue.join(60)
    assert queue.status.state == "done", queue.status.error
    assert inventory.choose_recognizer() == inventory.asr_dir / "sv"
    assert inventory.vad_file() is not None and inventory.missing_listening() == []
    assert (inventory.asr_dir / "sv" / ".hearth-verified").is_file()  # loaded once, in a child

    (inventory.asr_dir / "sv" / "tokens.txt").unlink()
    broken = tokens.splitlines(keepends=True)[:-2]  # from another model: too few tokens
    with FileServer(Behaviour(body=b"".join(broken))) as server:
        bad = entry(server, "asr", "tokens.txt", b"".join(broken), "/t", "sv")
        queue = DownloadQueue([bad], inventory)
        queue.start()
        queue.join(60)
    assert queue.status.state == "failed" and "tokens" in queue.status.error
    assert not (inventory.asr_dir / "sv" / "tokens.txt").exists()
