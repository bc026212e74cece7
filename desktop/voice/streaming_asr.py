"""Streaming speech recognition with sherpa-onnx: a Zipformer transducer (zh + en) that
decodes while the user speaks.

    recognizer = StreamingRecognizer.load(folder)
    stream = recognizer.open()                  # one per utterance
    so_far = stream.accept(samples_16k)         # Transcript of everything heard so far
    final = stream.settle()                     # ... including the words of the last chunk

Why, beside SenseVoice: SenseVoice decodes a whole piece of speech in one pass, so the words
said just before a pause are decoded only after it (~110 ms fixed + ~130 ms per second of
audio on a slow 2-core CPU). A streaming transducer has decoded everything up to the last
chunk (320 ms of audio) by the time the user stops; ``settle`` pads that chunk with silence
and decodes it: one chunk's cost (~30-55 ms on one core), whatever the length of the turn.
Partial captions are free: they are what the stream has decoded so far.

It knows two languages and does not report which one it heard: a transcript with Chinese
characters in it is "zh", one without is "en".

sherpa-onnx ends the process on several configuration errors instead of raising, so a folder
is checked here first (files, tokens, the metadata the encoder and decoder must carry) and a
folder Hearth did not download is trial-loaded once in a child process (desktop.trial).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from desktop.errors import require
from desktop.voice.asr import (
    SAMPLE_RATE,
    RecognizerUnusable,
    Transcript,
    read_onnx,
    read_token_ids,
)

PARTS = ("encoder", "decoder", "joiner")
# What sherpa-onnx reads from each kind of encoder (it exits when one is missing).
ENCODER_METADATA = {
    "zipformer": ("encoder_dims", "attention_dims", "num_encoder_layers",
                  "cnn_module_kernels", "left_context_len", "T", "decode_chunk_len"),
    "zipformer2": ("encoder_dims", "query_head_dims", "value_head_dims", "num_heads",
                   "num_encoder_layers", "cnn_module_kernels", "left_context_len", "T",
                   "decode_chunk_len"),
}
FRAME_SHIFT = SAMPLE_RATE // 100  # 10 ms between feature frames
FRAME_LENGTH = SAMPLE_RATE // 40  # each 25 ms long
_CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def part_file(folder: Path, part: str) -> Path | None:
    """``encoder.int8.onnx``, ``encoder.onnx`` or sherpa-onnx's own names for the part
    (``encoder-epoch-99-avg-1.int8.onnx``): int8 first, as the app's budget expects."""
    found = sorted(Path(folder).glob(f"{part}*.onnx"), key=lambda p: (".int8." not in p.name,
                                                                      p.name))
    return found[0] if found else None


def is_streaming_folder(folder: Path) -> bool:
    """Whether ``folder`` has every part of a streaming transducer."""
    return all(part_file(folder, part) is not None for part in PARTS)


def has_streaming_parts(folder: Path) -> bool:
    """Whether ``folder`` has any part of one (so it is checked as one, and what is
    missing named)."""
    return any(part_file(folder, part) is not None for part in PARTS)


def check_streaming_folder(folder: Path) -> dict[str, Path]:
    """Cheap checks sherpa-onnx would otherwise answer by exiting: the three parts exist
    and are ONNX, the tokens file parses, the encoder declares its kind and shapes, and the
    decoder's vocabulary is the tokens file's. Returns the parts' files."""
    return _checked_parts(folder)[0]


def _checked_parts(folder: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """check_streaming_folder, and the encoder's metadata it read."""
    folder = Path(folder)
    files = {part: part_file(folder, part) for part in PARTS}
    absent = [part for part, path in files.items() if path is None]
    if absent:
        raise RecognizerUnusable(
            f"{folder.name} has no {' or '.join(absent)} model (a streaming recognizer "
            "needs encoder, decoder and joiner .onnx files).",
            "Copy the whole model folder, or download the recognizer in Setup.")
    ids = read_token_ids(folder)
    encoder = {p.key: p.value for p in read_onnx(files["encoder"]).metadata_props}
    kind = encoder.get("model_type", "")
    if kind not in ENCODER_METADATA:
        raise RecognizerUnusable(
            f"{files['encoder'].name} is not a streaming Zipformer encoder (model_type "
            f"{kind or 'missing'}).",
            "Hearth streams speech recognition with Zipformer transducers from sherpa-onnx.")
    missing = [key for key in ENCODER_METADATA[kind] if key not in encoder]
    if missing:
        raise RecognizerUnusable(
            f"{files['encoder'].name} lacks the metadata {', '.join(missing)}.",
            "Use an encoder exported by icefall for sherpa-onnx.")
    garbled = [key for key in ENCODER_METADATA[kind]
               if not re.fullmatch(r"\d+(,\d+)*", encoder[key].strip())]
    if garbled:  # sherpa-onnx would read them with atoi, or exit
        raise RecognizerUnusable(
            f"{files['encoder'].name} has metadata that is not a list of numbers: "
            f"{', '.join(garbled)}.", "Download the recognizer again.")
    decoder = {p.key: p.value for p in read_onnx(files["decoder"]).metadata_props}
    if decoder.get("vocab_size") != str(len(ids)) or "context_size" not in decoder:
        raise RecognizerUnusable(
            f"{files['decoder'].name} does not match tokens.txt ({len(ids)} tokens, the "
            f"decoder says {decoder.get('vocab_size', 'nothing')}).",
            "The files come from different models: download the recognizer again.")
    read_onnx(files["joiner"])
    return files, encoder


def language_of(text: str) -> str | None:
    if not text:
        return None
    return "zh" if _CHINESE.search(text) else "en"


class StreamingRecognizer:
    def __init__(self, folder: Path, threads: int = 1) -> None:
        self.folder = Path(folder)
        self.threads = threads
        self._recognizer = None
        self.chunk_frames = 32  # decode_chunk_len, read at load
        self.window_frames = 39  # T: the chunk and the encoder's look-ahead

    @classmethod
    def load(cls, folder: Path, threads: int = 1) -> StreamingRecognizer:
        """Checks the folder, then hands it to sherpa-onnx in this process (a folder Hearth
        did not download itself must first pass ``trial_load_once("asr", folder)``)."""
        recognizer = cls(folder, threads)
        recognizer._open(*_checked_parts(recognizer.folder))
        return recognizer

    def _open(self, files: dict[str, Path], encoder: dict[str, str]) -> None:
        self.chunk_frames = int(encoder["decode_chunk_len"])
        self.window_frames = int(encoder["T"])
        sherpa = require("sherpa_onnx", "sherpa-onnx", "Speech recognition")
        self._recognizer = sherpa.OnlineRecognizer.from_transducer(
            tokens=str(self.folder / "tokens.txt"), encoder=str(files["encoder"]),
            decoder=str(files["decoder"]), joiner=str(files["joiner"]),
            num_threads=self.threads, sample_rate=SAMPLE_RATE, feature_dim=80,
            decoding_method="greedy_search")

    def open(self) -> RecognitionStream:
        """A stream for one utterance (sherpa-onnx's state for it: cheap to make)."""
        return RecognitionStream(self)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """A whole piece of audio at once (the Recognizer verb: the self-test, a trial)."""
        stream = self.open()
        stream.accept(samples)
        heard = stream.settle()
        return Transcript(heard.text, heard.language, heard.audio_s, stream.decode_ms)


class RecognitionStream:
    """One utterance, decoded as it arrives. Used by one thread (the call's asr thread)."""

    def __init__(self, recognizer: StreamingRecognizer) -> None:
        self.recognizer = recognizer
        self._engine = recognizer._recognizer
        self._stream = self._engine.create_stream()
        self.samples = 0  # fed, padding included
        self.speech_samples = 0  # fed from the microphone
        self.chunks = 0  # decoded
        self.decode_ms = 0.0  # in all

    def accept(self, samples: np.ndarray) -> Transcript:
        """Feed ``samples`` (16 kHz mono) and decode every chunk they complete."""
        samples = np.asarray(samples, np.float32)
        self.speech_samples += len(samples)
        return self._feed(samples)

    def settle(self) -> Transcript:
        """Everything heard so far, the last chunk included: silence is fed up to the end
        of the chunk that holds the newest audio, and that chunk decoded. Feeding may go on
        afterwards (the padding is a short silence in the middle of the utterance)."""
        # A chunk is decoded once `window_frames` past the last decoded one are ready; the
        # audio not yet decoded is less than that, so one padded chunk covers it all. Frames
        # are 25 ms long every 10 ms, the first one whole (Kaldi's snip_edges); the feature
        # extractor makes a frame a few samples after its end, so one shift more is fed.
        frames = self.chunks * self.recognizer.chunk_frames + self.recognizer.window_frames
        needed = FRAME_LENGTH + frames * FRAME_SHIFT
        return self._feed(np.zeros(max(0, needed - self.samples), np.float32))

    def _feed(self, samples: np.ndarray) -> Transcript:
        started = time.perf_counter()
        if len(samples):
            self._stream.accept_waveform(SAMPLE_RATE, samples)
            self.samples += len(samples)
        while self._engine.is_ready(self._stream):
            self._engine.decode_stream(self._stream)
            self.chunks += 1
        text = " ".join(self._engine.get_result(self._stream).split())
        elapsed = (time.perf_counter() - started) * 1000.0
        self.decode_ms += elapsed
        return Transcript(text, language_of(text), self.speech_samples / SAMPLE_RATE,
                          elapsed)
