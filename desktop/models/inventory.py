"""What models are installed in the user's models folder, and what is missing.

Layout of ``<data>/models``:
    llm/*.gguf                      language models
    voices/<name>.onnx (+ .onnx.json)  piper voices
    asr/<folder>/model(.int8).onnx + tokens.txt   speech recognizers (SenseVoice, sherpa-onnx)
    asr/<folder>/encoder|decoder|joiner*.onnx + tokens.txt   streaming Zipformer (sherpa-onnx)
    vad/silero_vad.onnx             voice activity detection for hands-free calls
    face/*.onnx                     the face detector (YuNet) the persona creator uses
The face renderer is built in (``assets/renderer``); a persona may bring its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from desktop import __version__
from desktop.paths import DataDirs, asset


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    kind: str
    file: str
    languages: tuple[str, ...]
    purpose: str
    url: str
    chat_format: str = "chatml"
    size: int | None = None
    sha256: str | None = None
    license: str = ""
    ram_mb: int | None = None
    approx_mb: int | None = None
    folder: str | None = None  # models made of several files share one folder

    def destination(self, inventory: Inventory) -> Path:
        folder = {"llm": inventory.llm_dir, "voice": inventory.voice_dir,
                  "asr": inventory.asr_dir, "vad": inventory.vad_dir,
                  "face": inventory.face_dir}[self.kind]
        return folder / (self.folder or "") / self.file


@dataclass(frozen=True)
class Missing:
    """A model the app needs and does not have, said the way the screen says it."""

    kind: str
    purpose: str
    folder: Path
    suggestion: str

    def message(self) -> str:
        return f"{self.purpose} Put {self.suggestion} in {self.folder}."


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """The shipped catalog, or ``path`` (tests, mirrors)."""
    text = path.read_text(encoding="utf-8") if path else asset(
        "catalog", "models.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return [
        CatalogEntry(m["id"], m["kind"], m["file"], tuple(m["languages"]), m["purpose"],
                     m["url"], m.get("chat_format", "chatml"), m.get("size"), m.get("sha256"),
                     m.get("license", ""), m.get("ram_mb"), m.get("approx_mb"),
                     m.get("folder"))
        for m in data["models"]
        # An entry for a newer Hearth (a new format or engine) is not offered to this one.
        if _version(m.get("min_app_version", "0")) <= _version(__version__)
    ]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


@dataclass
class Inventory:
    dirs: DataDirs

    @property
    def llm_dir(self) -> Path:
        return self.dirs.models / "llm"

    @property
    def voice_dir(self) -> Path:
        return self.dirs.models / "voices"

    @property
    def asr_dir(self) -> Path:
        return self.dirs.models / "asr"

    @property
    def vad_dir(self) -> Path:
        return self.dirs.models / "vad"

    @property
    def face_dir(self) -> Path:
        return self.dirs.models / "face"

    def face_detector_file(self) -> Path | None:
        """The face detector for the persona creator (optional: points can be placed by
        hand)."""
        found = sorted(self.face_dir.glob("*.onnx")) if self.face_dir.is_dir() else []
        return found[0] if found else None

    def recognizers(self) -> list[Path]:
        """Folders holding a complete speech recognizer (its models and tokens)."""
        from desktop.voice.recognizers import is_recognizer_folder

        if not self.asr_dir.is_dir():
            return []
        return [folder for folder in sorted(self.asr_dir.iterdir())
                if folder.is_dir() and is_recognizer_folder(folder)]

    def choose_recognizer(self, languages: Iterable[str] = (),
                          streaming: bool = True) -> Path | None:
        """A streaming recognizer when one is installed (and ``streaming`` allows it) and it
        knows every language the call may be in (it has the transcript ready ~one chunk
        after the user stops); otherwise SenseVoice (more languages, and it says which one
        it heard)."""
        from desktop.voice.recognizers import STREAMING_LANGUAGES
        from desktop.voice.streaming_asr import is_streaming_folder

        found = self.recognizers()
        streaming_ok = [folder for folder in found if streaming and is_streaming_folder(folder)]
        if streaming_ok and set(languages) <= STREAMING_LANGUAGES:
            return streaming_ok[0]
        whole = [folder for folder in found if not is_streaming_folder(folder)]
        return (whole or found or [None])[0]

    def vad_file(self) -> Path | None:
        path = self.vad_dir / "silero_vad.onnx"
        return path if path.is_file() else None

    def llm_files(self) -> list[Path]:
        if not self.llm_dir.is_dir():
            return []
        return sorted(p for p in self.llm_dir.glob("*.gguf") if p.is_file())

    def choose_llm(self, preferred: str | None = None) -> Path | None:
        files = self.llm_files()
        if preferred:
            for path in files:
                if path.name == preferred:
                    return path
        catalog_order = [e.file for e in load_catalog() if e.kind == "llm"]
        for name in catalog_order:
            for path in files:
                if path.name == name:
                    return path
        return files[0] if files else None

    def voices(self) -> dict[str, str]:
        """voice file stem -> language code, for every voice with its settings file."""
        found: dict[str, str] = {}
        if not self.voice_dir.is_dir():
            return found
        for onnx_path in sorted(self.voice_dir.glob("*.onnx")):
            config = Path(f"{onnx_path}.json")
            if not config.is_file():
                continue
            try:
                data = json.loads(config.read_text(encoding="utf-8"))
                code = data.get("language", {}).get("code") or data["espeak"]["voice"]
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            found[onnx_path.stem] = str(code).split("_")[0].split("-")[0].lower()
        return found

    def choose_voice(self, wanted: dict[str, str], languages: list[str]) -> Path | None:
        voices = self.voices()
        for language in languages:
            name = wanted.get(language)
            if name and name in voices:
                return self.voice_dir / f"{name}.onnx"
        for language in languages:
            for name, code in voices.items():
                if code == language:
                    return self.voice_dir / f"{name}.onnx"
        return None

    def missing(self, languages: list[str], wanted_voices: dict[str, str]) -> list[Missing]:
        catalog = load_catalog()
        problems = []
        if self.choose_llm() is None:
            entry = next(e for e in catalog if e.kind == "llm")
            problems.append(Missing("llm", entry.purpose, self.llm_dir,
                                    f"a GGUF chat model such as {entry.file}"))
        if self.choose_voice(wanted_voices, languages) is None:
            name = wanted_voices.get(languages[0], "a piper voice")
            problems.append(Missing(
                "voice", "The persona's voice: without it replies are text only.",
                self.voice_dir, f"{name}.onnx together with {name}.onnx.json"))
        problems += self.missing_listening()
        return problems

    def missing_listening(self) -> list[Missing]:
        """What hands-free calls need; without it calls work by typing."""
        problems = []
        if self.choose_recognizer() is None:
            problems.append(Missing(
                "asr", "Speech recognition: without it you type instead of talking in calls.",
                self.asr_dir, "a SenseVoice folder (model.int8.onnx and tokens.txt) or a "
                               "streaming Zipformer one (encoder, decoder, joiner, tokens.txt)"))
        if self.vad_file() is None:
            problems.append(Missing(
                "vad", "Voice activity detection: without it calls cannot hear when you talk.",
                self.vad_dir, "silero_vad.onnx"))
        return problems
