"""The streaming recognizer (sherpa-onnx's Zipformer transducer) on the tiny real-format
fixture: it hears while the audio arrives, ``settle`` decodes the last chunk at once, and a
folder it cannot use is refused with a reason before sherpa-onnx (which exits the process on
a bad model) ever sees it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop.models.inventory import Inventory
from desktop.paths import DataDirs
from desktop.voice.asr import RecognizerUnusable
from desktop.voice.engines import Recognizer, StreamingRecognition
from desktop.voice.recognizers import check_folder, is_recognizer_folder, load_recognizer
from desktop.voice.streaming_asr import StreamingRecognizer, check_streaming_folder, language_of

RATE = 16000


def tone(seconds: float, level: float = 0.05) -> np.ndarray:
    """Speech-like to the fixture: a voiced 200 Hz tone at about -29 dBFS."""
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * 200 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def test_it_hears_while_the_audio_arrives(streaming_recognizer: Path) -> None:
    recognizer = StreamingRecognizer.load(streaming_recognizer)
    assert isinstance(recognizer, StreamingRecognition) and isinstance(recognizer, Recognizer)
    stream = recognizer.open()
    assert stream.accept(silence(0.5)).text == ""
    heard = stream.accept(np.concatenate([tone(0.4), silence(0.4)]))
    assert heard.text == "hello" and heard.language == "en"  # before the user stopped
    heard = stream.accept(np.concatenate([tone(0.4), silence(0.4)]))
    assert heard.text == "hello hello"
    assert heard.audio_s == pytest.approx(2.1)


def test_settle_decodes_the_newest_audio_in_one_chunk(streaming_recognizer: Path) -> None:
    recognizer = StreamingRecognizer.load(streaming_recognizer)
    stream = recognizer.open()
    # 0.5 s decodes one 320 ms chunk; the word starts in the audio no chunk has decoded.
    assert stream.accept(silence(0.35)).text == ""
    assert stream.accept(tone(0.15)).text == ""
    chunks = stream.chunks
    settled = stream.settle()
    assert settled.text == "hello"
    assert stream.chunks == chunks + 1  # one chunk's decode, whatever came before
    assert settled.audio_s == pytest.approx(0.5)  # the padding is not the user's audio
    # The stream goes on after it: the padding was a short silence mid-utterance.
    assert stream.accept(np.concatenate([silence(0.3), tone(0.3), silence(0.5)])
                         ).text == "hello hello"
    assert stream.settle().text == "hello hello"


def test_transcribe_hears_a_whole_piece(streaming_recognizer: Path) -> None:
    recognizer = load_recognizer(streaming_recognizer)
    assert isinstance(recognizer, StreamingRecognizer)
    heard = recognizer.transcribe(np.concatenate([silence(0.2), tone(0.3)]))
    assert heard.text == "hello" and heard.decode_ms > 0
    assert recognizer.transcribe(silence(1.0)).text == ""


def test_the_language_is_read_from_the_words() -> None:
    assert language_of("你好 hello") == "zh"
    assert language_of("hello there") == "en"
    assert language_of("") is None


def _copy(source: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(source, tmp_path / "copy"))


@pytest.mark.parametrize("damage, expected", [
    (lambda f: (f / "joiner.onnx").unlink(), "no joiner model"),
    (lambda f: (f / "tokens.txt").write_text("<blk> 0\nhello 1\n", encoding="utf-8"),
     "does not match tokens.txt"),
    (lambda f: (f / "tokens.txt").write_text("<blk> zero\n", encoding="utf-8"),
     "not a sherpa-onnx tokens file"),
    (lambda f: (f / "encoder.onnx").write_bytes(b"\x00" * 64), "not a readable ONNX model"),
])
def test_a_damaged_folder_is_refused_with_a_reason(streaming_recognizer: Path, tmp_path: Path,
                                                    damage, expected: str) -> None:
    folder = _copy(streaming_recognizer, tmp_path)
    damage(folder)
    with pytest.raises(RecognizerUnusable) as error:
        check_folder(folder)
    assert expected in error.value.problem and error.value.fix


def test_an_encoder_that_is_not_a_streaming_zipformer_is_refused(
        streaming_recognizer: Path, tmp_path: Path) -> None:
    import onnx

    folder = _copy(streaming_recognizer, tmp_path)
    model = onnx.load(str(folder / "encoder.onnx"))
    kept = [(p.key, p.value) for p in model.metadata_props if p.key != "left_context_len"]
    del model.metadata_props[:]
    for key, value in kept:
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(folder / "encoder.onnx"))
    with pytest.raises(RecognizerUnusable, match="left_context_len"):
        check_streaming_folder(folder)
    for entry in model.metadata_props:
        if entry.key == "model_type":
            entry.value = "conformer-ctc"
    onnx.save(model, str(folder / "encoder.onnx"))
    with pytest.raises(RecognizerUnusable, match="not a streaming Zipformer"):
        check_streaming_folder(folder)


def test_calls_in_chinese_or_english_use_the_streaming_recognizer(
        fixture_models: Path, streaming_recognizer: Path, tmp_path: Path) -> None:
    dirs = DataDirs(tmp_path / "home").ensure()
    shutil.copytree(fixture_models / "asr", dirs.models / "asr")
    inventory = Inventory(dirs)
    sense_voice = inventory.choose_recognizer(("en",))
    assert sense_voice is not None and not (sense_voice / "encoder.onnx").exists()
    streaming = shutil.copytree(streaming_recognizer, dirs.models / "asr" / "zipformer")
    assert is_recognizer_folder(streaming) and streaming in inventory.recognizers()
    assert inventory.choose_recognizer(("en", "zh")) == streaming
    # A persona who may speak Japanese keeps SenseVoice, which knows it.
    assert inventory.choose_recognizer(("en", "ja")) == sense_voice


def _set_metadata(path: Path, key: str, value: str) -> None:
    import onnx

    model = onnx.load(str(path))
    for entry in model.metadata_props:
        if entry.key == key:
            entry.value = value
    onnx.save(model, str(path))


def test_metadata_that_is_not_numbers_is_refused(streaming_recognizer: Path,
                                                 tmp_path: Path) -> None:
    folder = _copy(streaming_recognizer, tmp_path)
    _set_metadata(folder / "encoder.onnx", "T", "thirty-nine")
    with pytest.raises(RecognizerUnusable, match="not a list of numbers: T"):
        check_folder(folder)


def test_a_streaming_folder_that_fails_to_decode_is_rejected_by_its_trial(
        streaming_recognizer: Path, tmp_path: Path) -> None:
    """Well-formed metadata that does not fit the graph (its cache lengths): the checks
    cannot see it, the trial load in a child does, and nothing is copied in."""
    from desktop.models.sideload import accept_local_file
    from desktop.trial import ModelRejected

    folder = _copy(streaming_recognizer, tmp_path)
    _set_metadata(folder / "encoder.onnx", "left_context_len", "16,8")
    check_folder(folder)  # passes the cheap checks
    with pytest.raises(ModelRejected):
        accept_local_file(folder, tmp_path / "models")
    assert not (tmp_path / "models" / "asr").exists()


def test_a_streaming_folder_can_be_added_from_disk(streaming_recognizer: Path,
                                                   tmp_path: Path) -> None:
    from desktop.models.sideload import accept_local_file

    installed = accept_local_file(_copy(streaming_recognizer, tmp_path), tmp_path / "models")
    assert sorted(p.name for p in installed.iterdir() if not p.name.startswith(".")) == [
        "decoder.onnx", "encoder.onnx", "joiner.onnx", "tokens.txt"]
    assert load_recognizer(installed).transcribe(tone(0.4)).text == "hello"


def test_a_broken_streaming_recognizer_falls_back_to_sense_voice(
        fixture_models: Path, streaming_recognizer: Path, tmp_path: Path) -> None:
    from desktop.voice.asr import SpeechRecognizer
    from desktop.voice.recognizers import load_for_call

    dirs = DataDirs(tmp_path / "home").ensure()
    shutil.copytree(fixture_models / "asr", dirs.models / "asr")
    broken = shutil.copytree(streaming_recognizer, dirs.models / "asr" / "zipformer")
    _set_metadata(broken / "encoder.onnx", "left_context_len", "16,8")
    inventory, refused = Inventory(dirs), set()
    recognizer, problem = load_for_call(inventory, ("en",), 1, None, refused)
    assert isinstance(recognizer, SpeechRecognizer)  # the call still hears
    assert problem is not None and "zipformer" in problem and "Setup" in problem
    assert refused == {broken}
    # The next call does not try the broken one again, and keeps what is loaded.
    again, problem = load_for_call(inventory, ("en",), 1, recognizer, refused)
    assert again is recognizer and problem is None


def test_the_benchmarks_zipformer_runs_in_sherpa_onnx_with_its_states(tmp_path: Path) -> None:
    """The bench's writer (real shapes, random weights) on a small shape: sherpa-onnx loads
    the int8 parts and decodes chunk after chunk, its 35 states fed back each time."""
    from dataclasses import replace

    from desktop.fixtures.streaming_asr import BILINGUAL_ZH_EN, write_streaming_zipformer

    shape = replace(BILINGUAL_ZH_EN, encoder_dims=(32,) * 5, attention_dims=(16,) * 5,
                    num_encoder_layers=(1, 2, 1, 1, 1), feedforward_dims=(64,) * 5,
                    heads=2, decoder_dim=32, joiner_dim=32, vocab=60)
    folder = write_streaming_zipformer(tmp_path / "zipformer", shape)
    assert check_folder(folder)[0].name == "encoder.int8.onnx"
    stream = StreamingRecognizer.load(folder).open()
    stream.accept(np.random.default_rng(0).standard_normal(3 * RATE).astype(np.float32) * 0.05)
    assert stream.chunks == 9  # 3 s: a chunk every 0.32 s once the first 0.39 s arrived
    stream.settle()
    assert stream.chunks == 10
