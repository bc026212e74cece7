"""Collects the license of every third-party package the installed app contains into one
folder: THIRD_PARTY_LICENSES.txt (name, version, license and every license text the wheel
carries, else the standard text of its SPDX license), the notices for programs inside other
wheels (espeak-ng, FFmpeg, Qt, Python), and Hearth's own GPL-3.0.

    python packaging/licenses.py OUT_DIR

What the app contains is the runtime dependency closure of the ``hearth`` distribution (no
extras: the development, benchmark and likeness tools are not shipped)."""

from __future__ import annotations

import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXTS = HERE / "licenses"
# SPDX ids whose standard text is used when a wheel carries none.
STANDARD_TEXTS = {"Apache-2.0": "Apache-2.0.txt", "Apache 2.0": "Apache-2.0.txt",
                  "LGPL-3.0-only": "LGPL-3.0.txt", "LGPL-2.1-or-later": "LGPL-2.1.txt"}
LICENSE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|ThirdPartyNotices)[^/]*$", re.I)


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def shipped_distributions(root: str = "hearth") -> list[metadata.Distribution]:
    """``root`` and everything it needs at run time, each once."""
    found: dict[str, metadata.Distribution] = {}
    waiting = [root]
    while waiting:
        name = waiting.pop()
        if _key(name) in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a dependency for another platform
        found[_key(name)] = dist
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                waiting.append(re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0))
    return sorted((d for k, d in found.items() if k != _key(root)),
                  key=lambda d: _key(d.metadata["Name"]))


def license_of(dist: metadata.Distribution) -> str:
    expression = dist.metadata.get("License-Expression") or ""
    if expression:
        return expression
    text = (dist.metadata.get("License") or "").strip()
    classifiers = [c.split("::")[-1].strip() for c in dist.metadata.get_all("Classifier") or []
                   if c.startswith("License ::")]
    return text if text and len(text) < 80 else ", ".join(classifiers) or text[:80] or "unknown"


def license_texts(dist: metadata.Distribution) -> list[tuple[str, str]]:
    texts = []
    for file in dist.files or []:
        if LICENSE_FILE.search(str(file)) and not str(file).startswith(".."):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                texts.append((str(file), path.read_text(encoding="utf-8", errors="replace")))
    if not texts:
        for spdx, name in STANDARD_TEXTS.items():
            if spdx in license_of(dist):
                texts.append((f"{name} (the standard text of {spdx})",
                              (TEXTS / name).read_text(encoding="utf-8")))
                break
    return texts


def write_licenses(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    parts = ["Third-party software in Hearth\n==============================\n"]
    for dist in shipped_distributions():
        name, version = dist.metadata["Name"], dist.version
        home = dist.metadata.get("Home-page") or next(
            (url.split(",", 1)[1].strip() for url in dist.metadata.get_all("Project-URL") or []
             if "," in url), "")
        parts.append(f"\n{'=' * 78}\n{name} {version}\nLicense: {license_of(dist)}\n"
                     f"{'Home: ' + home if home else ''}\n")
        texts = license_texts(dist)
        if not texts:
            raise SystemExit(f"No license text for {name} {version}: add its standard text to "
                             f"{TEXTS} and to STANDARD_TEXTS.")
        for file, text in texts:
            parts.append(f"\n--- {file} ---\n{text.strip()}\n")
    target = out / "THIRD_PARTY_LICENSES.txt"
    target.write_text("".join(parts), encoding="utf-8")
    for name in ("NOTICES.md", "LGPL-2.1.txt", "LGPL-3.0.txt", "Apache-2.0.txt"):
        shutil.copyfile(TEXTS / name, out / name)
    shutil.copyfile(HERE.parent / "LICENSE", out / "LICENSE-GPL-3.0.txt")
    python_license = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}." \
        f"{sys.version_info.minor}" / "LICENSE.txt"
    if python_license.is_file():
        shutil.copyfile(python_license, out / "PYTHON-LICENSE.txt")
    return target


if __name__ == "__main__":
    print(write_licenses(Path(sys.argv[1] if len(sys.argv) > 1 else "build/licenses")))
