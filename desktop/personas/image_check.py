"""Child process: decode one bundle image under a pixel cap and re-encode it as PNG in place.
A crash or a refusal here only rejects the bundle (docs/reliability.md §1.7).

    python -m desktop.personas.image_check PATH
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

MAX_PIXELS = 4096 * 4096


def declared_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header, read before anything is decoded."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                return None
            marker = data[index + 1]
            length = struct.unpack(">H", data[index + 2:index + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[index + 5:index + 9])
                return width, height
            index += 2 + length
    return None


def main(path: Path) -> int:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    except (ImportError, ValueError, OSError):
        pass
    data = path.read_bytes()
    size = declared_size(data)
    if size is None:
        print("only PNG and JPEG images are accepted", file=sys.stderr)
        return 1
    if size[0] * size[1] > MAX_PIXELS or 0 in size:
        print(f"the image claims {size[0]} x {size[1]} pixels", file=sys.stderr)
        return 1
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        print("the image cannot be decoded", file=sys.stderr)
        return 1
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        print("the image cannot be re-encoded", file=sys.stderr)
        return 1
    path.write_bytes(encoded.tobytes())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
