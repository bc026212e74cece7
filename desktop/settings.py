"""The user's settings, one small JSON file in the data folder, written atomically."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


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
