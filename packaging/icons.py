"""Hearth's icon for the installers, from the one drawing (desktop.cli.desktop_entry.draw_icon):
a Windows .ico and a macOS .icns, both made of PNG images, written without any imaging
library.

    python packaging/icons.py OUT_DIR     -> OUT_DIR/hearth.ico, OUT_DIR/hearth.icns
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.cli.desktop_entry import draw_icon

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# The icns types that hold PNG data, by pixel size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09",
              1024: b"ic10"}


def ico(sizes: tuple[int, ...] = ICO_SIZES) -> bytes:
    images = [draw_icon(size) for size in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, data = b"", b""
    for size, png in zip(sizes, images, strict=True):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
        data += png
    return header + entries + data


def icns() -> bytes:
    chunks = b"".join(kind + struct.pack(">I", len(png) + 8) + png
                      for size, kind in ICNS_TYPES.items() for png in [draw_icon(size)])
    return b"icns" + struct.pack(">I", len(chunks) + 8) + chunks


def write_icons(out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "hearth.ico").write_bytes(ico())
    (out / "hearth.icns").write_bytes(icns())
    return out / "hearth.ico", out / "hearth.icns"


if __name__ == "__main__":
    print(*write_icons(Path(sys.argv[1] if len(sys.argv) > 1 else "build/icons")))
