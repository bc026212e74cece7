"""Where Hearth keeps things: user data via platformdirs, what ships with it beside the code.

Nothing here depends on the working directory, so the same code runs from a source checkout,
an installed wheel and a frozen installer build.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
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


def shipped(*parts: str) -> Path:
    """A file that ships with Hearth, by its place in the checkout's top level: ``assets/``
    (renderer graphs, catalog, keys, schemas, translations) or ``personas/`` (the personas
    that come with the app). One lookup for every way Hearth runs: a checkout and an editable
    install find the checkout; the frozen app (PyInstaller) its own folder, where
    packaging/hearth.spec puts the same two folders."""
    frozen = getattr(sys, "_MEIPASS", None)
    root = Path(frozen) if frozen else Path(__file__).resolve().parent.parent
    return root.joinpath(*parts)


def asset(*parts: str) -> Path:
    """A file in ``assets/`` (see ``shipped``)."""
    return shipped("assets", *parts)


def asset_path(*parts: str) -> Path:
    """A real filesystem path to a shipped asset (engines such as onnxruntime need one)."""
    return asset(*parts)
