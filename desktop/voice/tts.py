"""Text to speech with piper: ``PiperTTS.load(path)`` and one verb, ``synthesize(text)``.

Each chunk carries its format (sample rate) and its timings (phonemes with sample counts), so
the face can be scheduled on the same clock as the sound.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.errors import HearthError, require
from desktop.text import drop_control_characters

ALLOWED_SAMPLE_RATES = {16000, 22050, 24000, 44100, 48000}


class VoiceRejected(HearthError):
    """A voice file pair that is not a usable piper voice."""


@dataclass
class SpeechChunk:
    """Audio for one sentence or clause of a reply."""

    text: str
    audio: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    phonemes: list[tuple[str, int]] = field(default_factory=list)  # (phoneme, samples)
    synth_ms: float = 0.0

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate


def check_voice_files(onnx_path: Path) -> dict:
    """Validate a piper voice before handing it to onnxruntime (docs/reliability.md §2.6)."""
    config_path = Path(f"{onnx_path}.json")
    if not onnx_path.is_file():
        raise VoiceRejected(f"The voice model {onnx_path.name} is missing.",
                            "Put the voice's .onnx file in the models folder.")
    if not config_path.is_file():
        raise VoiceRejected(f"The voice {onnx_path.name} has no {config_path.name} beside it.",
                            "Copy the voice's .onnx.json file next to its .onnx file.")
    with onnx_path.open("rb") as handle:
        head = handle.read(2)
    # An ONNX file is a protobuf ModelProto; it starts with field 1 (ir_version, varint): 0x08.
    if head[:1] != b"\x08":
        raise VoiceRejected(f"The voice model {onnx_path.name} is not an ONNX file.",
                            "Download the voice again.")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        rate = config["audio"]["sample_rate"]
        id_map = config["phoneme_id_map"]
        speakers = config["num_speakers"]
    except (ValueError, KeyError, TypeError) as error:
        raise VoiceRejected(f"The voice settings {config_path.name} are incomplete ({error}).",
                            "Download the voice again.") from error
    if rate not in ALLOWED_SAMPLE_RATES:
        raise VoiceRejected(f"The voice {onnx_path.name} declares an unusual sample rate {rate}.",
                            "Use a piper voice at 16, 22.05, 24, 44.1 or 48 kHz.")
    if not isinstance(id_map, dict) or not id_map:
        raise VoiceRejected(f"The voice {onnx_path.name} has no phoneme map.",
                            "Download the voice again.")
    if not isinstance(speakers, int) or speakers < 1:
        raise VoiceRejected(f"The voice {onnx_path.name} declares {speakers} speakers.",
                            "Download the voice again.")
    return config


class PiperTTS:
    def __init__(self, voice: object, sample_rate: int) -> None:
        self.voice = voice
        self.sample_rate = sample_rate
        self.speaking_rate = 1.0  # 1.0: as the voice was made; the user's setting

    @staticmethod
    def load(onnx_path: Path, threads: int = 1, espeak_data: Path | None = None) -> PiperTTS:
        """``espeak_data``: espeak-ng's data folder (default: the one piper ships)."""
        config = check_voice_files(onnx_path)
        piper = require("piper", "piper-tts", "Speech")
        ort = require("onnxruntime", "onnxruntime", "Speech")
        from piper.config import PiperConfig
        from piper.phonemize_espeak import ESPEAK_DATA_DIR

        espeak_data = Path(espeak_data or ESPEAK_DATA_DIR)
        # espeak-ng without its data ends the whole process, with no exception to catch (a
        # frozen app that did not collect it): refuse before it is ever called.
        if not (espeak_data / "phontab").is_file():
            raise VoiceRejected(f"Hearth's speech data (espeak-ng) is missing from "
                                f"{espeak_data}.", "Reinstall Hearth; replies appear as text "
                                "until then.")

        # Our own session (inside the thread budget) on the alignment-patched model bytes,
        # instead of PiperVoice.load's default session that would use every core.
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            _patched_model_bytes(onnx_path), sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        voice = piper.PiperVoice(
            config=PiperConfig.from_dict(config), session=session,
            espeak_data_dir=espeak_data, download_dir=onnx_path.parent,
        )
        return PiperTTS(voice, voice.config.sample_rate)

    def synthesize(self, text: str) -> Iterator[SpeechChunk]:
        """One chunk per sentence piper finds in ``text``, with phoneme timings."""
        import time

        piper = require("piper", "piper-tts", "Speech")
        # piper's length_scale stretches phonemes: faster speech is a shorter scale.
        config = piper.SynthesisConfig(normalize_audio=False,
                                       length_scale=1.0 / max(0.1, self.speaking_rate))
        text = drop_control_characters(text)  # LLM output may hold NUL, which espeak rejects
        started = time.perf_counter()
        for chunk in self.voice.synthesize(text, syn_config=config, include_alignments=True):
            alignments = chunk.phoneme_alignments or []
            timings = [(a.phoneme, int(a.num_samples)) for a in alignments]
            elapsed = (time.perf_counter() - started) * 1000.0
            yield SpeechChunk(text, chunk.audio_float_array.astype(np.float32),
                              chunk.sample_rate, timings, elapsed)
            started = time.perf_counter()


def _patched_model_bytes(onnx_path: Path) -> bytes:
    onnx = require("onnx", "onnx", "Speech timings for lip sync")
    model = onnx.load(str(onnx_path))
    try:
        from piper.patch_voice_with_alignment import add_alignment_output

        add_alignment_output(model)
    except ValueError:
        pass  # already patched, or a voice without timings: the mouth then follows loudness
    return model.SerializeToString()


def trial_load_child(path: Path) -> None:
    """desktop.trial's one load of a piper voice, in its child process."""
    PiperTTS.load(path)
