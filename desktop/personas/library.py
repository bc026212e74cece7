"""The persona library: personas shipped with the app plus the user's installed ones."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.abc import Traversable
from pathlib import Path

from desktop.brain.prompt import PersonaPrompt
from desktop.errors import HearthError
from desktop.face.contract import FaceRig
from desktop.paths import DataDirs, shipped


class PersonaInvalid(HearthError):
    pass


@dataclass(frozen=True)
class LoreEntry:
    """Background knowledge of the persona (a lorebook entry): recalled when the conversation
    touches its keywords, like a memory, but never shown as a memory about the user."""

    keys: tuple[str, ...]
    text: str


@dataclass
class Persona:
    id: str
    version: int
    names: dict[str, str]
    languages: list[str]
    description: str
    personality: str
    greetings: dict[str, str]
    sample_lines: list[str]
    portrait_path: Path
    rig: FaceRig | None  # None: no face was found in the portrait, so none is animated
    voices: dict[str, str]
    license: dict = field(default_factory=dict)
    builtin: bool = False
    lore: list[LoreEntry] = field(default_factory=list)
    signed: bool = False  # licensor signature and a trusted publisher (desktop.personas.bundle)
    folder: Path | None = None  # where an installed persona's files are
    publisher_key_id: str | None = None  # the key that vouched for it at import
    renderer: str | None = None  # a face renderer (ONNX, contract hearth-face-v1) it brings
    face: str | None = None  # a hearth-face-v2 folder (idle loop + mouth generator) it brings
    user_name: str = ""  # how the user wants to be addressed (the user's settings)
    # Other openings the user may swipe to in an empty chat (a card's alternate greetings).
    alternate_greetings: dict[str, list[str]] = field(default_factory=dict)

    def bundled_voice(self) -> Path | None:
        """A piper voice the persona brings in its bundle, for its first language that has
        one (voices named by a catalog id are looked up in the models folder instead)."""
        if self.folder is None:
            return None
        for language in self.languages:
            name = self.voices.get(language, "")
            if name.endswith(".onnx") and (self.folder / name).is_file():
                return self.folder / name
        return None

    def renderer_path(self) -> Path | None:
        if self.folder is None or not self.renderer:
            return None
        path = self.folder / self.renderer
        return path if path.is_file() else None

    def face_folder(self) -> Path | None:
        """The persona's hearth-face-v2 folder (with its manifest.json), if it has one."""
        if self.folder is None or not self.face:
            return None
        path = self.folder / self.face
        return path if (path / "manifest.json").is_file() else None

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names.get("en") or next(iter(self.names.values()))

    def greeting(self, language: str = "en") -> str:
        return self.greetings.get(language) or self.greetings.get(self.languages[0], "")

    def greetings_in(self, language: str = "en") -> list[str]:
        """Every opening the persona has in ``language``: its greeting first, then the
        alternates (of the same language as the greeting that was chosen)."""
        first = self.greeting(language)
        chosen = language if self.greetings.get(language) else self.languages[0]
        others = [text for text in self.alternate_greetings.get(chosen, []) if text != first]
        return [text for text in [first, *others] if text]

    def disclosure(self, language: str = "en") -> str:
        """What the licensor has the call view say the persona is, in ``language`` when the
        license says it in several."""
        text = self.license.get("disclosure", "")
        if isinstance(text, dict):
            return str(text.get(language) or text.get("en") or next(iter(text.values()), ""))
        return str(text)

    @property
    def verified(self) -> bool:
        return self.builtin or self.signed

    def license_problem(self, region: str | None = None) -> str | None:
        """Why this persona may not be used now (expired, not yet valid, not licensed in the
        user's ``region``), or None."""
        from desktop.personas.license import license_problem

        return license_problem(self.license, region=region)

    def allows(self, mode: str) -> bool:
        """Whether the license permits ``mode`` ("text", "voice_call", "video_call")."""
        modes = self.license.get("modes")
        return modes is None or mode in modes

    @property
    def owner(self) -> str:
        return str(self.license.get("licensor", "unknown"))

    def prompt(self) -> PersonaPrompt:
        return PersonaPrompt(
            persona_id=self.id, name=self.name("en"), description=self.description,
            personality=self.personality, sample_lines=tuple(self.sample_lines),
            language=self.languages[0], user_name=self.user_name,
        )


MAX_GREETINGS = 20  # alternates kept per language: more is a list nobody swipes through


def load_persona(folder: Path | Traversable, builtin: bool = False) -> Persona:
    source = folder / "persona.json"
    installed = _install_info(folder)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        names = {str(k): str(v) for k, v in data["names"].items()}
        persona = Persona(
            id=str(data["id"]), version=int(data["version"]), names=names,
            languages=[str(x) for x in data["languages"]] or ["en"],
            description=str(data["description"]), personality=str(data["personality"]),
            greetings={str(k): str(v) for k, v in data.get("greetings", {}).items()},
            alternate_greetings={str(k): [str(t) for t in v if str(t).strip()][:MAX_GREETINGS]
                                 for k, v in data.get("alternate_greetings", {}).items()
                                 if isinstance(v, list)},
            sample_lines=[str(x) for x in data.get("sample_lines", [])],
            portrait_path=Path(str(folder / _inside(data["portrait"]))),
            rig=FaceRig.from_dict(data["face_rig"]) if data.get("face_rig") else None,
            voices={str(k): _inside(str(v)) for k, v in data.get("voice", {}).items()},
            license=dict(data.get("license", {})), builtin=builtin,
            lore=[LoreEntry(tuple(str(k) for k in entry.get("keys", [])), str(entry["text"]))
                  for entry in data.get("lore", []) if str(entry.get("text", "")).strip()],
            signed=bool(installed.get("verified")),
            publisher_key_id=installed.get("publisher_key_id"),
            folder=None if builtin else Path(str(folder)),
            renderer=_inside((data.get("renderer") or {}).get("path")),
            face=_face_folder_name(data.get("face")),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PersonaInvalid(f"The persona in {folder} cannot be read ({error}).",
                             "Reinstall it from its .persona file.") from error
    return persona


def _inside(name: object) -> str | None:
    """A file name from persona.json, confined to the persona's folder: never absolute,
    never climbing out (what a bundle says about its own paths is a claim)."""
    if name is None:
        return None
    text = str(name)
    parts = text.replace("\\", "/").split("/")
    if text.startswith(("/", "\\")) or ":" in parts[0] or any(p in ("", ".", "..")
                                                               for p in parts):
        raise ValueError(f"the file name {text!r} points outside the persona's folder")
    return text


def _face_folder_name(face: object) -> str | None:
    """The v2 face's folder inside the persona: always ``face`` (nothing outside it)."""
    if face is None:
        return None
    if not isinstance(face, dict) or face.get("contract") != "hearth-face-v2":
        raise ValueError("its face section is not a hearth-face-v2 face")
    return "face"


def _install_info(folder: Path | Traversable) -> dict:
    """What the import recorded: verification, publisher, its key id."""
    try:
        info = json.loads((folder / "install.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, AttributeError):
        return {}
    return info if isinstance(info, dict) else {}


class PersonaLibrary:
    def __init__(self, dirs: DataDirs) -> None:
        self.dirs = dirs
        self.problems: list[str] = []

    def list(self) -> list[Persona]:
        personas = [load_persona(shipped("personas", "wren"), builtin=True)]
        self.problems = []
        if self.dirs.personas.is_dir():
            for folder in sorted(self.dirs.personas.iterdir()):
                if (folder / "persona.json").is_file():
                    try:
                        personas.append(load_persona(folder))
                    except PersonaInvalid as error:
                        self.problems.append(str(error))
        return personas

    def get(self, persona_id: str) -> Persona:
        for persona in self.list():
            if persona.id == persona_id:
                return persona
        raise PersonaInvalid(f"No persona with id '{persona_id}' is installed.",
                             "Pick one from the library.")
