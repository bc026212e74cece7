"""``hearth --install-desktop-entry``: Hearth in the desktop's menu, with its icon, and
``.persona`` files that open in it on a double-click (the portable tarball's way to register
what the .deb registers system-wide). Per user, under $XDG_DATA_HOME; ``--uninstall-desktop-
entry`` removes exactly what it added."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

APP_ID = "org.hearth.Hearth"
MIME_TYPE = "application/x-hearth-persona"
ICON_SIZES = (16, 32, 48, 64, 128, 256)

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=Hearth
GenericName=Persona calls
Comment=Offline voice and video calls with licensed personas
Exec={exec} %f
Icon={app_id}
Terminal=false
Categories=AudioVideo;Chat;
MimeType={mime};
StartupWMClass=Hearth
"""

MIME_PACKAGE = """<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="{mime}">
    <comment>Hearth persona</comment>
    <sub-class-of type="application/zip"/>
    <glob pattern="*.persona"/>
  </mime-type>
</mime-info>
"""


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def hearth_command() -> str:
    """What the desktop runs: the frozen app, the installed ``hearth`` script beside this
    Python, or this Python with ``-m desktop.cli``."""
    if getattr(sys, "frozen", False):
        return shlex.quote(sys.executable)
    script = Path(sys.executable).with_name("hearth")
    if script.is_file():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m desktop.cli"


MIME_ICON = MIME_TYPE.replace("/", "-")  # the icon name the desktop looks up for the type


def entry_files(root: Path) -> list[Path]:
    """Every file the entry consists of, under ``root`` ($XDG_DATA_HOME, or a package's
    /usr/share): the menu entry, the file type, the app's icons, the file type's icons."""
    return [root / "applications" / f"{APP_ID}.desktop",
            root / "mime" / "packages" / f"{APP_ID}.xml",
            *(root / "icons" / "hicolor" / f"{s}x{s}" / "apps" / f"{APP_ID}.png"
              for s in ICON_SIZES),
            *(root / "icons" / "hicolor" / f"{s}x{s}" / "mimetypes" / f"{MIME_ICON}.png"
              for s in ICON_SIZES)]


def install_desktop_entry(root: Path | None = None, command: str | None = None,
                          refresh: bool = True) -> list[Path]:
    """Write the entry under ``root``. ``command``: what the menu runs (default: this Hearth);
    ``refresh``: tell the desktop now (a package's triggers do it on install instead)."""
    root = root or data_home()
    desktop, mime, *icons = entry_files(root)
    for path in entry_files(root):
        path.parent.mkdir(parents=True, exist_ok=True)
    desktop.write_text(DESKTOP_ENTRY.format(exec=command or hearth_command(), app_id=APP_ID,
                                            mime=MIME_TYPE), encoding="utf-8")
    mime.write_text(MIME_PACKAGE.format(mime=MIME_TYPE, app_id=APP_ID), encoding="utf-8")
    for size, path in zip(ICON_SIZES * 2, icons, strict=True):
        path.write_bytes(draw_icon(size))
    if refresh:
        _refresh(root)
    return entry_files(root)


def uninstall_desktop_entry(root: Path | None = None) -> list[Path]:
    root = root or data_home()
    removed = [path for path in entry_files(root) if path.is_file()]
    for path in removed:
        path.unlink()
    _refresh(root)
    return removed


def _refresh(root: Path) -> None:
    """Let the desktop see the change now (the tools are optional: the next login does it)."""
    for tool, folder in (("update-mime-database", root / "mime"),
                         ("update-desktop-database", root / "applications")):
        if shutil.which(tool) and folder.is_dir():
            subprocess.run([tool, str(folder)], capture_output=True, timeout=60, check=False)


def draw_icon(size: int) -> bytes:
    """Hearth's icon, drawn: a warm round hearth with a flame (our own artwork)."""
    import cv2
    import numpy as np

    scale = 8  # draw large, then shrink: smooth edges at every size
    big = size * scale
    image = np.zeros((big, big, 4), np.uint8)
    centre = (big // 2, big // 2)
    cv2.circle(image, centre, int(big * 0.47), (58, 74, 160, 255), -1, cv2.LINE_AA)
    cv2.circle(image, centre, int(big * 0.40), (38, 39, 47, 255), -1, cv2.LINE_AA)
    flame = np.array([[0.50, 0.16], [0.66, 0.44], [0.70, 0.62], [0.60, 0.78], [0.50, 0.82],
                      [0.40, 0.78], [0.30, 0.62], [0.36, 0.46], [0.44, 0.52]]) * big
    cv2.fillPoly(image, [flame.astype(np.int32)], (60, 140, 240, 255), cv2.LINE_AA)
    inner = np.array([[0.50, 0.42], [0.59, 0.60], [0.56, 0.74], [0.50, 0.77], [0.44, 0.74],
                      [0.41, 0.62]]) * big
    cv2.fillPoly(image, [inner.astype(np.int32)], (150, 220, 255, 255), cv2.LINE_AA)
    small = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".png", small)
    if not ok:
        raise RuntimeError("the icon could not be encoded")
    return data.tobytes()
