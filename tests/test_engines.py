"""Each engine loads its real-format model, and refuses a bad one with a clear message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop.budget import CpuBudget
from desktop.face.builtin_graph import build_renderer_graph
from desktop.face.contract import FaceParams
from desktop.face.loading import load_builtin_renderer, load_portrait
from desktop.face.renderer import FaceRenderer, RendererRejected
from desktop.paths import DataDirs, asset_path, shipped
from desktop.personas.library import PersonaLibrary
from desktop.voice.tts import PiperTTS, VoiceRejected


def test_fixture_voice_speaks_with_phoneme_timings(fixture_models: Path) -> None:
    tts = PiperTTS.load(fixture_models / "voices" / "en_US-hearth-fixture.onnx")
    chunks = list(tts.synthesize("Hello there. The sea is calm."))
    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk.sample_rate == 16000 and np.abs(chunk.audio).max() > 0.1
        assert sum(samples for _, samples in chunk.phonemes) == len(chunk.audio)


@pytest.mark.parametrize("problem, match", [
    ("rate", "unusual sample rate"), ("map", "phoneme map"), ("pickle", "not an ONNX"),
    ("json", "no .*json"),
])
def test_broken_voices_are_refused(fixture_models: Path, tmp_path: Path, problem: str,
                                   match: str) -> None:
    source = fixture_models / "voices" / "en_US-hearth-fixture.onnx"
    onnx_path = tmp_path / "v.onnx"
    shutil.copy(source, onnx_path)
    config = json.loads(Path(f"{source}.json").read_text())
    if problem == "rate":
        config["audio"]["sample_rate"] = 10**9
    if problem == "map":
        config["phoneme_id_map"] = {}
    if problem == "pickle":
        onnx_path.write_bytes(b"\x80\x04\x95 pickle")
    Path(f"{onnx_path}.json").write_text(json.dumps(config))
    if problem == "json":
        Path(f"{onnx_path}.json").unlink()
    with pytest.raises(VoiceRejected, match=match):
        PiperTTS.load(onnx_path)


def test_shipped_renderer_is_the_one_the_code_generates() -> None:
    shipped = asset_path("renderer", "builtin-warp.onnx").read_bytes()
    assert shipped == build_renderer_graph().SerializeToString()


def test_renderer_opens_the_mouth_and_keeps_the_rest(tmp_path: Path) -> None:
    persona = PersonaLibrary(DataDirs(tmp_path)).list()[0]
    renderer = load_builtin_renderer(persona, size=128)
    neutral = renderer.render(FaceParams()).astype(np.float32)
    params = FaceParams()
    params["jaw_open"] = 1.0
    open_mouth = renderer.render(params).astype(np.float32)
    assert neutral.shape == (128, 128, 3)
    diff = np.abs(open_mouth - neutral).mean(axis=2)
    mx, my = persona.rig.mouth_center
    cy, cx = int((my + 1) * 64), int((mx + 1) * 64)
    assert diff[cy - 8 : cy + 12, cx - 10 : cx + 10].mean() > 10
    assert diff[:20].mean() < 1  # the top of the picture does not move


def test_renderer_with_external_data_or_custom_ops_is_refused(tmp_path: Path) -> None:
    import onnx

    model = build_renderer_graph()
    model.opset_import.append(onnx.helper.make_opsetid("com.evil", 1))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(model.SerializeToString())
    persona = PersonaLibrary(DataDirs(tmp_path)).list()[0]
    with pytest.raises(RendererRejected, match="custom operators"):
        FaceRenderer.load(bad, load_portrait(persona), persona.rig)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(RendererRejected):
        FaceRenderer.load(garbage, load_portrait(persona), persona.rig)


def test_thread_budget_never_oversubscribes_the_cores() -> None:
    for cores in (1, 2, 4, 8, 16):
        budget = CpuBudget.for_machine(cores)
        assert budget.busy_threads_while_speaking() <= max(cores, 2)
        assert budget.llm.prefill <= cores and budget.llm.decode <= max(1, cores - 1)


def test_a_persona_without_an_installed_voice_does_not_borrow_the_last_one(
    hearth_home: DataDirs, pulse,
) -> None:
    from desktop.app import Hearth

    source = shipped("personas", "wren")
    folder = hearth_home.personas / "fr"
    folder.mkdir(parents=True)
    data = json.loads((source / "persona.json").read_text(encoding="utf-8"))
    data.update(id="org.test.fr", languages=["fr"], voice={"fr": "fr_FR-absent-medium"})
    (folder / "persona.json").write_text(json.dumps(data), encoding="utf-8")
    (folder / "portrait.png").write_bytes((source / "portrait.png").read_bytes())
    hearth = Hearth(hearth_home).open()
    try:
        english = hearth.load_engines(hearth.library.get("org.hearth.wren"), want_voice=False)
        assert english.tts is None  # want_voice=False loads no voice
        first = hearth.load_engines(hearth.library.get("org.hearth.wren"))
        assert first.tts is not None
        french = hearth.load_engines(hearth.library.get("org.test.fr"))
        assert french.tts is None
        assert any(p.part == "voice" for p in french.problems)
    finally:
        hearth.close()
