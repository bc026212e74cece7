"""Which speech recognizer a folder holds, and the one way to check, load and trial-load it:
SenseVoice (``model(.int8).onnx``, desktop.voice.asr) or a streaming Zipformer transducer
(``encoder``/``decoder``/``joiner`` .onnx, desktop.voice.streaming_asr), both with
``tokens.txt``. Setup, the doctor, sideloading and the call all go through here."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from desktop.errors import HearthError
from desktop.voice.asr import SpeechRecognizer, check_recognizer_folder, model_file
from desktop.voice.streaming_asr import (
    PARTS,
    StreamingRecognizer,
    check_streaming_folder,
    has_streaming_parts,
    is_streaming_folder,
)

# What the streaming recognizer Hearth downloads understands (SenseVoice: also ja, ko, yue).
STREAMING_LANGUAGES = frozenset({"zh", "en"})


def is_recognizer_folder(folder: Path) -> bool:
    """Whether ``folder`` holds every file of a recognizer (not whether they are sound)."""
    return (folder / "tokens.txt").is_file() and (
        model_file(folder) is not None or is_streaming_folder(folder))


def check_folder(folder: Path) -> list[Path]:
    """The recognizer's model files, largest part first, after the cheap checks that keep
    sherpa-onnx from ending the process (raises RecognizerUnusable)."""
    if has_streaming_parts(folder):
        files = check_streaming_folder(folder)
        return [files[part] for part in PARTS]
    return [check_recognizer_folder(folder)]


def load_recognizer(folder: Path, threads: int = 1) -> SpeechRecognizer | StreamingRecognizer:
    if has_streaming_parts(folder):
        return StreamingRecognizer.load(folder, threads)
    return SpeechRecognizer.load(folder, threads)


def load_checked(folder: Path, threads: int = 1) -> SpeechRecognizer | StreamingRecognizer:
    """Checked, trial-loaded in a child once (downloads and sideloading did that already; a
    folder put there by hand gets it now, then stamped), then loaded here."""
    from desktop.trial import trial_load_once

    check_folder(folder)
    trial_load_once("asr", folder)
    return load_recognizer(folder, threads)


def load_for_call(inventory, languages: Iterable[str], threads: int, loaded=None,
                  refused: set[Path] | None = None) -> tuple[object, str | None]:
    """The recognizer for a call in ``languages`` (``inventory.choose_recognizer``), and
    what went wrong on the way. ``loaded`` when it is still the one to use. A streaming
    recognizer that cannot be used is added to ``refused`` and SenseVoice hears the call
    instead (its transcript comes later, but the call works): the problem names it."""
    refused = set() if refused is None else refused
    languages = tuple(languages)
    folder = inventory.choose_recognizer(languages)
    if folder in refused:
        folder = inventory.choose_recognizer(languages, streaming=False)
    if loaded is not None and loaded.folder == folder:
        return loaded, None
    try:
        return load_checked(folder, threads), None
    except HearthError as error:
        fallback = inventory.choose_recognizer(languages, streaming=False)
        if fallback is None or fallback == folder:
            raise
        refused.add(folder)
        return load_checked(fallback, threads), (
            f"The streaming recognizer {folder.name} could not be used ({error}); calls use "
            f"{fallback.name} instead. Download it again in Setup.")


def trial_load_child(path: Path) -> None:
    """desktop.trial's one load of a recognizer folder, in its child process."""
    load_recognizer(path).transcribe(np.zeros(16000, np.float32))
