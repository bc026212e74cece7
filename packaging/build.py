"""``make package``: the one-folder app and what ships it on Linux, in build/dist:

    hearth/                                  the one-folder app (PyInstaller, packaging/hearth.spec)
    hearth_VERSION_ARCH.deb                  /opt/hearth, the menu entry, the .persona type, icons
    hearth-VERSION-linux-ARCH.tar.gz         the portable folder (hearth --install-desktop-entry)
    hearth-VERSION-source.tar.gz             the complete corresponding source (GPL-3.0 §6)
    SHA256SUMS
    package-report.json                      build time, sizes (docs/packaging.md)

Runs with the Python of the project's .venv (``make package`` installs the package extra)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))  # licenses.py (this folder is no package: PyPI's
# "packaging" has the name)
BUILD = ROOT / "build"
DIST = BUILD / "dist"

from licenses import write_licenses  # noqa: E402

from desktop.cli.desktop_entry import APP_ID, install_desktop_entry  # noqa: E402

VERSION = "0.1.0"
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
# What the frozen app needs from the system: the audio library, and the X/EGL libraries Qt's
# xcb platform plugin loads (the README's list).
DEPENDS = ["libportaudio2", "libasound2", "libegl1", "libgl1", "libxkbcommon0",
           "libxkbcommon-x11-0", "libfontconfig1", "libdbus-1-3", "libxcb-cursor0",
           "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0",
           "libxcb-render-util0", "libxcb-shape0", "libxcb-xinerama0", "libxcb-xkb1"]
RECOMMENDS = ["libasound2-plugins", "pulseaudio | pipewire-pulse", "fonts-noto-cjk"]


def run(*command: str, **kwargs) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def freeze() -> Path:
    """The one-folder app, with the self-test's fixture models and the licenses inside."""
    from desktop.fixtures.build import build_fixture_models

    models = build_fixture_models(BUILD / "selftest-models")
    licenses = write_licenses(BUILD / "licenses").parent
    env = {**os.environ, "HEARTH_SELFTEST_MODELS": str(models),
           "HEARTH_LICENSES": str(licenses)}
    run(sys.executable, "-m", "PyInstaller", str(ROOT / "packaging" / "hearth.spec"),
        "--noconfirm", "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"),
        env=env)
    app = DIST / "hearth"
    shutil.copyfile(ROOT / "packaging" / "linux" / "INSTALL.txt", app / "INSTALL.txt")
    return app


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build_deb(app: Path) -> Path:
    root = BUILD / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(app, root / "opt" / "hearth", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "hearth").symlink_to("/opt/hearth/hearth")
    share = root / "usr" / "share"
    # The same entry, type and icons as `hearth --install-desktop-entry`; dpkg's triggers
    # (shared-mime-info, desktop-file-utils, hicolor) register them on install.
    install_desktop_entry(share, command="/usr/bin/hearth", refresh=False)
    (share / "metainfo").mkdir(parents=True)
    shutil.copyfile(ROOT / "packaging" / "linux" / f"{APP_ID}.metainfo.xml",
                    share / "metainfo" / f"{APP_ID}.metainfo.xml")
    doc = share / "doc" / "hearth"
    doc.mkdir(parents=True)
    shutil.copyfile(ROOT / "LICENSE", doc / "copyright")
    control = root / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        f"Package: hearth\nVersion: {VERSION}\nArchitecture: {DEB_ARCH}\n"
        f"Maintainer: Hearth developers <hearth@localhost>\n"
        f"Installed-Size: {folder_size(root) // 1024}\n"
        f"Depends: {', '.join(DEPENDS)}\nRecommends: {', '.join(RECOMMENDS)}\n"
        "Section: sound\nPriority: optional\nHomepage: https://github.com/hearth-app/hearth\n"
        "Description: offline voice and video calls with licensed personas\n"
        " Hearth holds voice and video calls with personas that look, sound and think like\n"
        " someone, remember you, and run entirely on this computer's CPU.\n", encoding="utf-8")
    target = DIST / f"hearth_{VERSION}_{DEB_ARCH}.deb"
    # zstd: a third of xz's time on two cores at a few percent more size (dpkg >= 1.21.18,
    # Debian 12, Ubuntu 22.04 and later).
    run("dpkg-deb", "--root-owner-group", "-Zzstd", "--build", str(root), str(target))
    return target


def build_tarball(app: Path) -> Path:
    target = DIST / f"hearth-{VERSION}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        archive.add(app, arcname=f"hearth-{VERSION}")
    return target


def build_source() -> Path | None:
    """``git archive`` of what was built: the source the binaries correspond to."""
    target = DIST / f"hearth-{VERSION}-source.tar.gz"
    done = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar.gz",
                           f"--prefix=hearth-{VERSION}/", "-o", str(target), "HEAD"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"No source tarball (not a git checkout): {done.stderr.strip()}")
        return None
    return target


def sha256sums(files: list[Path]) -> Path:
    lines = []
    for file in files:
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        lines.append(f"{digest.hexdigest()}  {file.name}\n")
    target = DIST / "SHA256SUMS"
    target.write_text("".join(lines), encoding="utf-8")
    return target


def main() -> int:
    started = time.monotonic()
    shutil.rmtree(DIST, ignore_errors=True)
    DIST.mkdir(parents=True)
    app = freeze()
    frozen_s = time.monotonic() - started
    artifacts = [build_deb(app), build_tarball(app)]
    source = build_source()
    if source is not None:
        artifacts.append(source)
    sums = sha256sums(artifacts)
    report = {"version": VERSION, "machine": platform.machine(),
              "freeze_s": round(frozen_s, 1), "total_s": round(time.monotonic() - started, 1),
              "app_folder_bytes": folder_size(app),
              "files": {a.name: a.stat().st_size for a in artifacts}}
    (DIST / "package-report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    print(f"Done: {', '.join(a.name for a in artifacts)} and {sums.name} in {DIST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
