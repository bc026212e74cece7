"""Speech recognition with sherpa-onnx: SenseVoice (zh, en, ja, ko, yue) on the CPU.

    recognizer = SpeechRecognizer.load(folder)
    transcript = recognizer.transcribe(samples_16k)     # Transcript(text, language, ...)

Why SenseVoice, a non-streaming model, for a streaming call: one small model covers both of
the personas' languages and detects which one was spoken, so the recognizer follows the user
without a setting; it is non-autoregressive, so decoding a whole utterance costs one forward
pass (about 70 ms for 10 s of audio on a laptop CPU, published by its authors). Partial
captions come from decoding the growing utterance again every few hundred milliseconds, and
the final transcript is decoded speculatively the moment the user pauses, so it is ready
when end-of-turn is declared (desktop.call.listening).

sherpa-onnx ends the whole process on several configuration errors instead of raising, so
a folder is checked here first and trial-loaded once in a child process (see
desktop.models.sideload) before this process ever hands it to sherpa-onnx.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.errors import HearthError, require

SAMPLE_RATE = 16000
MODEL_NAMES = ("model.int8.onnx", "model.onnx")
REQUIRED_METADATA = ("vocab_size", "lfr_window_size", "lfr_window_shift", "normalize_samples",
                     "with_itn", "without_itn", "lang_auto", "lang_zh", "lang_en", "neg_mean",
                     "inv_stddev")
_TAG = re.compile(r"<\|[^|]*\|>")


class RecognizerUnusable(HearthError):
    """A speech-recognition folder Hearth cannot use."""


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None  # "en", "zh", ... as the recognizer detected it
    audio_s: float
    decode_ms: float


def model_file(folder: Path) -> Path | None:
    return next((folder / name for name in MODEL_NAMES if (folder / name).is_file()), None)


def check_recognizer_folder(folder: Path) -> Path:
    """Cheap checks sherpa-onnx would otherwise answer by exiting: the files exist, the
    tokens file parses, and the model declares SenseVoice's metadata. Returns the model."""
    folder = Path(folder)
    model = model_file(folder)
    if model is None:
        raise RecognizerUnusable(
            f"No speech recognition model in {folder} (expected {' or '.join(MODEL_NAMES)}).",
            "Download the recognizer in Setup, or choose a SenseVoice folder from sherpa-onnx.")
    ids = read_token_ids(folder)
    proto = read_onnx(model)
    metadata = {p.key: p.value for p in proto.metadata_props}
    absent = [key for key in REQUIRED_METADATA if key not in metadata]
    if absent:
        raise RecognizerUnusable(
            f"{model.name} is not a SenseVoice model (missing {', '.join(absent)}).",
            "Hearth recognizes speech with SenseVoice models from sherpa-onnx.")
    if int(metadata["vocab_size"]) != len(ids):
        raise RecognizerUnusable(
            f"tokens.txt lists {len(ids)} tokens but the model has {metadata['vocab_size']}.",
            "The two files come from different models: download the recognizer again.")
    inputs = [i.name for i in proto.graph.input]
    if inputs[:4] != ["x", "x_length", "language", "text_norm"]:
        raise RecognizerUnusable(f"{model.name} has the inputs {inputs}, not SenseVoice's.",
                                 "Use a SenseVoice model from sherpa-onnx.")
    return model


def read_token_ids(folder: Path) -> list[int]:
    """The ids of a sherpa-onnx ``tokens.txt``, checked to number the tokens 0..N-1."""
    tokens = folder / "tokens.txt"
    if not tokens.is_file():
        raise RecognizerUnusable(f"{folder.name} has no tokens.txt.",
                                 "Copy the whole model folder, including tokens.txt.")
    try:
        lines = tokens.read_text(encoding="utf-8").splitlines()
        ids = [int(line.rsplit(maxsplit=1)[1]) for line in lines if line.strip()]
    except (UnicodeDecodeError, ValueError, IndexError) as error:
        raise RecognizerUnusable(f"{tokens} is not a sherpa-onnx tokens file ({error}).",
                                 "Download the recognizer again.") from error
    if not ids or sorted(ids) != list(range(len(ids))):
        raise RecognizerUnusable(f"{tokens} does not number its tokens 0..N-1.",
                                 "Download the recognizer again.")
    return ids


def read_onnx(model: Path):
    """The ONNX graph of ``model`` without its weights (for its metadata and inputs)."""
    onnx = require("onnx", "onnx", "Checking speech models")
    try:
        return onnx.load(str(model), load_external_data=False)
    except Exception as error:
        raise RecognizerUnusable(f"{model.name} is not a readable ONNX model ({error}).",
                                 "Download the recognizer again.") from error


def clean_text(text: str) -> str:
    """Drop the tags SenseVoice may emit (<|en|>, <|Laughter|>, ...) and extra spaces."""
    return " ".join(_TAG.sub(" ", text).split())


class SpeechRecognizer:
    def __init__(self, folder: Path, threads: int = 1, language: str = "auto") -> None:
        self.folder = Path(folder)
        self.threads = threads
        self.language = language
        self._recognizer = None

    @classmethod
    def load(cls, folder: Path, threads: int = 1, language: str = "auto") -> SpeechRecognizer:
        """Checks the folder, then hands it to sherpa-onnx in this process. sherpa-onnx ends
        the process on some malformed models: a folder Hearth did not download itself must
        first pass ``desktop.trial.trial_load_once("asr", folder)``, which the caller runs."""
        recognizer = cls(folder, threads, language)
        recognizer._open()
        return recognizer

    def _open(self) -> None:
        model = check_recognizer_folder(self.folder)
        sherpa = require("sherpa_onnx", "sherpa-onnx", "Speech recognition")
        self._recognizer = sherpa.OfflineRecognizer.from_sense_voice(
            model=str(model), tokens=str(self.folder / "tokens.txt"),
            num_threads=self.threads, sample_rate=SAMPLE_RATE, feature_dim=80,
            decoding_method="greedy_search", language=self.language, use_itn=True)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        started = time.perf_counter()
        stream = self._recognizer.create_stream()
        stream.accept_waveform(SAMPLE_RATE, np.asarray(samples, np.float32))
        self._recognizer.decode_stream(stream)
        result = stream.result
        language = result.lang[2:-2] if _TAG.fullmatch(result.lang or "") else None
        return Transcript(clean_text(result.text), language, len(samples) / SAMPLE_RATE,
                          (time.perf_counter() - started) * 1000.0)

