"""The packaging's own files, checked without building anything: every dependency is locked,
every shipped package's license is collected, the installers' icons are real images, the
PyInstaller spec names what the engines load by name."""

from __future__ import annotations

import re
import struct
import sys
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0)).lower()


def test_every_dependency_is_locked_to_one_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    locked = {_name(line.split("==")[0]): line.split("==")[1]
              for line in (ROOT / "packaging" / "constraints.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    assert wanted - set(locked) == set()  # "today each one floats"
    assert "+" not in locked["torch"]  # a version any index has, not this machine's local build


def test_every_shipped_package_has_its_license_text(tmp_path: Path) -> None:
    from licenses import shipped_distributions, write_licenses

    names = {_name(d.metadata["Name"]) for d in shipped_distributions()}
    assert {"llama-cpp-python", "piper-tts", "pyside6-essentials", "onnxruntime"} <= names
    assert not names & {"pytest", "torch", "ruff", "pyinstaller"}  # tools are not shipped
    text = write_licenses(tmp_path).read_text()
    for name in ("PySide6_Essentials", "flatbuffers", "sherpa-onnx-core"):  # wheels without
        section = text.split(f"\n{name} ", 1)[1].split("=" * 78, 1)[0]  # a license file
        assert "standard text of" in section and len(section) > 5000
    notices = (tmp_path / "NOTICES.md").read_text()
    assert "espeak-ng" in notices and "FFmpeg" in notices and "Qt" in notices
    assert (tmp_path / "LICENSE-GPL-3.0.txt").read_text().startswith(
        "                    GNU GENERAL PUBLIC LICENSE")


def test_the_installers_icons_hold_real_images() -> None:
    import cv2
    from icons import icns, ico

    data = ico((16, 48, 256))
    _, kind, count = struct.unpack("<HHH", data[:6])
    assert kind == 1 and count == 3
    for index, size in enumerate((16, 48, 256)):
        side, _, _, _, _, _, length, offset = struct.unpack("<BBBBHHII",
                                                            data[6 + 16 * index:22 + 16 * index])
        assert side == (0 if size == 256 else size)
        image = cv2.imdecode(np.frombuffer(data[offset:offset + length], np.uint8),
                             cv2.IMREAD_UNCHANGED)
        assert image.shape == (size, size, 4)
    mac = icns()
    assert mac[:4] == b"icns" and struct.unpack(">I", mac[4:8])[0] == len(mac)
    assert b"ic10" in mac  # the 1024-pixel image a Retina Dock uses


def test_the_spec_collects_what_is_loaded_by_name() -> None:
    """desktop.errors.require(name) hides imports from PyInstaller: each must be named."""
    spec = (ROOT / "packaging" / "hearth.spec").read_text()
    compile(spec, "hearth.spec", "exec")
    required = set()
    for path in (ROOT / "desktop").rglob("*.py"):
        required |= set(re.findall(r'require\("([a-z_.]+)"', path.read_text()))
    not_shipped = {"torch", "av", "gguf", "skimage.data", "skimage.feature"}  # builder tools
    for module in sorted(required - not_shipped):
        assert f'"{module}"' in spec, module
    for package in ("piper", "llama_cpp", "sherpa_onnx", "livekit"):
        assert f'"{package}"' in spec
