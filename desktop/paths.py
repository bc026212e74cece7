"""Where Hearth keeps things: user data via platformdirs, shipped assets via importlib.resources.

Nothing here depends on the working directory, so the same code runs from a source checkout,
an installed wheel and a frozen installer build.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

APP_NAME = "Hearth"


@dataclass(frozen=True)
class DataDirs:
    """The user's Hearth folders. ``HEARTH_HOME`` overrides the platform default."""

    root: Path

    @classmethod
    def default(cls) -> DataDirs:
        override = os.environ.get("HEARTH_HOME")
        if override:
            return cls(Path(override).expanduser())
        import platformdirs

        return cls(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def personas(self) -> Path:
        return self.root / "personas"

    @property
    def cache(self) -> Path:
        """Derived files that can be rebuilt (LLM prompt states, rendered portraits)."""
        return self.root / "cache"

    @property
    def database(self) -> Path:
        return self.root / "hearth.db"

    def ensure(self) -> DataDirs:
        for folder in (self.root, self.models, self.personas, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def asset(*parts: str) -> Traversable:
    """A file shipped inside the ``desktop.assets`` package."""
    node: Traversable = resources.files("desktop.assets")
    for part in parts:
        node = node / part
    return node


def asset_path(*parts: str) -> Path:
    """A real filesystem path to a shipped asset (engines such as onnxruntime need one).

    Wheels and frozen builds unpack package data to disk, so the traversable is a path.
    """
    return Path(str(asset(*parts)))
