"""The listening engines on the project's fixture models in real formats: Silero-format VAD on
onnxruntime, SenseVoice-format recognizer in sherpa-onnx, WebRTC's AEC3 through livekit, and
the checks that keep a bad model from reaching sherpa-onnx (which exits instead of raising)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from desktop.fixtures.pulse import read_wav
from desktop.fixtures.speech import SPEECH as DATA
from desktop.models.sideload import accept_local_file
from desktop.trial import ModelRejected, trial_load_once
from desktop.voice.asr import RecognizerUnusable, SpeechRecognizer, check_recognizer_folder
from desktop.voice.devices import DeviceSnapshot, describe_change
from desktop.voice.echo import EchoCanceller
from desktop.voice.vad import SileroVAD, VadUnusable


def load_wav(name: str) -> np.ndarray:
    audio, rate = read_wav(DATA / name)
    assert rate == 16000
    return audio


@pytest.fixture
def recognizer_folder(fixture_models: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "sense-voice"
    shutil.copytree(fixture_models / "asr" / "sense-voice-fixture", folder,
                    ignore=shutil.ignore_patterns(".hearth-verified"))
    return folder


def test_the_vad_tells_speech_from_silence(fixture_models: Path) -> None:
    vad = SileroVAD.load(fixture_models / "vad" / "silero_vad.onnx")
    assert vad.version == 5
    silence = vad.push(np.zeros(16000, np.float32))
    speech = vad.push(load_wav("user-en.wav")[:16000].astype(np.float32))
    assert len(silence) == 31 and max(silence) < 0.1
    assert np.mean(np.array(speech) > 0.5) > 0.5


def test_a_voice_model_is_not_taken_for_a_vad(fixture_models: Path) -> None:
    with pytest.raises(VadUnusable, match="not a Silero VAD"):
        SileroVAD.load(fixture_models / "voices" / "en_US-hearth-fixture.onnx")
    with pytest.raises(VadUnusable, match="missing"):
        SileroVAD.load(fixture_models / "vad" / "nothing.onnx")


def test_the_recognizer_transcribes_speech_and_says_its_language(recognizer_folder) -> None:
    english = SpeechRecognizer.load(recognizer_folder)
    heard = english.transcribe(load_wav("user-en.wav"))
    assert "hello" in heard.text and heard.language == "en"
    assert english.transcribe(np.zeros(16000, np.float32)).text == ""
    chinese = SpeechRecognizer.load(recognizer_folder, language="zh")
    heard = chinese.transcribe(load_wav("user-zh.wav"))
    assert "你好" in heard.text and heard.language == "zh"
    assert "<|" not in heard.text  # SenseVoice's tags never reach the transcript


@pytest.mark.parametrize("damage, message", [
    ("no-tokens", "no tokens.txt"),
    ("short-tokens", "tokens but the model has"),
    ("not-sense-voice", "not a SenseVoice model"),
    ("garbage", "not a readable ONNX model"),
])
def test_a_broken_recognizer_folder_is_refused_before_sherpa_sees_it(
        recognizer_folder: Path, damage: str, message: str) -> None:
    model = recognizer_folder / "model.onnx"
    if damage == "no-tokens":
        (recognizer_folder / "tokens.txt").unlink()
    elif damage == "short-tokens":
        lines = (recognizer_folder / "tokens.txt").read_text(encoding="utf-8").splitlines()
        (recognizer_folder / "tokens.txt").write_text("\n".join(lines[:-3]) + "\n",
                                                      encoding="utf-8")
    elif damage == "not-sense-voice":
        proto = onnx.load(str(model))
        del proto.metadata_props[:]
        onnx.save(proto, str(model))
    else:
        model.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(RecognizerUnusable, match=message):
        check_recognizer_folder(recognizer_folder)
    with pytest.raises(RecognizerUnusable):
        SpeechRecognizer.load(recognizer_folder)  # and nothing was handed to sherpa-onnx


def _wrong_statistics(folder: Path) -> None:
    """Metadata that passes every check but makes sherpa-onnx read past its buffers."""
    proto = onnx.load(str(folder / "model.onnx"))
    for entry in proto.metadata_props:
        if entry.key in ("neg_mean", "inv_stddev"):
            entry.value = "0,0,0"
        if entry.key == "lfr_window_size":
            entry.value = "0"
    onnx.save(proto, str(folder / "model.onnx"))


def test_sherpa_onnx_ends_the_process_on_some_bad_models(recognizer_folder: Path) -> None:
    """Why every new recognizer is first loaded in a child: this is what sherpa-onnx does to
    the process that loads it."""
    _wrong_statistics(recognizer_folder)
    code = ("import sys, numpy as np; from desktop.voice.asr import SpeechRecognizer; "
            f"r = SpeechRecognizer.load(r'{recognizer_folder}'); "
            "r.transcribe(np.zeros(16000, np.float32)); print('survived')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode != 0 and "survived" not in done.stdout


def test_an_untrusted_recognizer_that_would_kill_the_app_is_rejected_instead(
        recognizer_folder: Path) -> None:
    _wrong_statistics(recognizer_folder)
    with pytest.raises(ModelRejected, match="rejected"):
        trial_load_once("asr", recognizer_folder)  # what the app runs before loading one
    assert not (recognizer_folder / ".hearth-verified").exists()


def test_a_recognizer_that_loaded_once_is_not_trial_loaded_again(recognizer_folder) -> None:
    trial_load_once("asr", recognizer_folder)
    stamp = recognizer_folder / ".hearth-verified"
    assert stamp.is_file()
    (recognizer_folder / "tokens.txt").touch()  # changed files are checked again
    trial_load_once("asr", recognizer_folder)
    assert "tokens.txt" in stamp.read_text(encoding="utf-8")


def test_a_recognizer_folder_and_a_vad_can_be_added_from_disk(fixture_models: Path,
                                                              recognizer_folder: Path,
                                                              tmp_path: Path) -> None:
    models = tmp_path / "models"
    installed = accept_local_file(recognizer_folder, models)
    assert installed == models / "asr" / "sense-voice"
    assert (installed / "tokens.txt").is_file() and (installed / "model.onnx").is_file()
    vad = accept_local_file(fixture_models / "vad" / "silero_vad.onnx", models)
    assert vad == models / "vad" / "silero_vad.onnx"
    _wrong_statistics(recognizer_folder)
    with pytest.raises(ModelRejected):
        accept_local_file(recognizer_folder, tmp_path / "other")
    assert not (tmp_path / "other").exists()


def test_the_echo_canceller_removes_the_speakers_echo_but_keeps_the_user(tmp_path) -> None:
    rng = np.random.default_rng(0)
    rate = 16000
    persona = load_wav("user-en.wav").astype(np.float32) * 2  # what the speaker plays
    far = np.concatenate([persona, persona, persona])
    delay = int(0.07 * rate)  # speaker -> room -> microphone
    echo = 0.6 * np.concatenate([np.zeros(delay, np.float32), far[:-delay]])
    user = np.zeros_like(far)
    talk = load_wav("user-interrupt.wav").astype(np.float32)
    at = len(far) - len(talk) - rate // 2
    user[at:at + len(talk)] = talk
    near = echo + user + (rng.standard_normal(len(far)) * 1e-4).astype(np.float32)
    canceller = EchoCanceller.load()
    out = np.concatenate([canceller.process(near[i:i + 320], far[i:i + 320])
                          for i in range(0, len(far), 320)])

    def level(x: np.ndarray) -> float:
        return 10 * np.log10(np.mean(x ** 2) + 1e-12)

    settled = slice(len(persona), at)  # after the canceller adapted, before the user talks
    reduction = level(near[settled]) - level(out[settled])
    assert reduction > 20, f"only {reduction:.1f} dB of echo removed"
    kept = level(out[at:at + len(talk)]) - level(out[settled])
    assert kept > 10  # the user's voice stands well above what is left of the echo


def test_hot_plug_is_described_in_words() -> None:
    before = DeviceSnapshot({"usb": "USB Headset", "speakers": "Laptop Speakers"},
                            {"usb.mic": "USB Headset Mic", "laptop.mic": "Laptop Mic"},
                            "usb", "usb.mic")
    unplugged = DeviceSnapshot({"speakers": "Laptop Speakers"}, {"laptop.mic": "Laptop Mic"},
                               "speakers", "laptop.mic")
    notes = describe_change(before, unplugged)
    assert ("warning", "The microphone 'USB Headset Mic' was disconnected. The call continues "
                       "with 'Laptop Mic'.") in notes
    assert any("speaker 'USB Headset'" in text for _, text in notes)
    nothing_left = DeviceSnapshot({}, {}, "", "")
    assert any("in text until one is back" in text
               for _, text in describe_change(unplugged, nothing_left))
    assert describe_change(before, before) == []
    back = describe_change(unplugged, before)
    assert ("info", "Now using the microphone 'USB Headset Mic'.") in back
