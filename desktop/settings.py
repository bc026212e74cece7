"""The user's settings, one small JSON file in the data folder, written atomically."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

REPLY_TOKENS = {"short": 80, "normal": 160, "long": 320}
MIN_RATE, MAX_RATE = 0.7, 1.4


@dataclass
class Settings:
    # An OpenAI-compatible server to use instead of the local model (None: local).
    remote_url: str | None = None
    remote_model: str = "default"
    # The language model file chosen at setup (None: the catalog's order decides).
    llm_file: str | None = None
    # Publisher keys the user chose to trust (name -> base64 Ed25519 public key).
    trusted_publishers: dict[str, str] = field(default_factory=dict)
    # The user's country or region (ISO 3166-1 alpha-2), for licenses limited to some
    # territories. None: taken from the system's locale.
    region: str | None = None
    # How personas address the user ("" : they do not know a name).
    user_name: str = ""
    # How long replies run: "short", "normal" or "long".
    reply_length: str = "normal"
    # Per persona id: the voice chosen instead of its own (a voice file's name, no .onnx),
    # and how fast it speaks (1.0 as the voice was made; 0.7 to 1.4).
    voices: dict[str, str] = field(default_factory=dict)
    speaking_rates: dict[str, float] = field(default_factory=dict)
    # Devices by name (None: the system's default).
    microphone: str | None = None
    speaker: str | None = None
    # The window: its language (None: the system's), "dark" or "light", text size in points.
    language: str | None = None
    theme: str = "dark"
    text_size: int = 14

    def max_tokens(self) -> int:
        """The reply budget for the chosen length (a token is about 3/4 of a word)."""
        return REPLY_TOKENS.get(self.reply_length, REPLY_TOKENS["normal"])

    def speaking_rate(self, persona_id: str) -> float:
        rate = self.speaking_rates.get(persona_id, 1.0)
        return min(MAX_RATE, max(MIN_RATE, float(rate))) if isinstance(
            rate, int | float) else 1.0

    def effective_region(self) -> str | None:
        return self.region or system_region()

    @staticmethod
    def path_in(root: Path) -> Path:
        return root / "settings.json"

    @classmethod
    def load(cls, root: Path) -> Settings:
        try:
            data = json.loads(cls.path_in(root).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()  # missing or unreadable: the defaults, never a crash
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known}) if isinstance(
            data, dict) else cls()

    def save(self, root: Path) -> None:
        path = self.path_in(root)
        partial = path.with_name(path.name + ".part")
        partial.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(partial, path)


def system_region() -> str | None:
    """The territory of the system's locale ("en_GB" -> "GB"), or None. Read from the
    environment only: nothing is looked up online."""
    import locale

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            break
    else:
        value = locale.getlocale()[0] or ""
    code = value.split(".")[0].split("@")[0]
    territory = code.split("_")[1] if "_" in code else ""
    return territory.upper() if len(territory) == 2 and territory.isalpha() else None
