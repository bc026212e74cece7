"""The Windows installer script (packaging/windows/hearth.nsi), compiled on Linux with makensis
around a stand-in app folder (the real one is built on Windows), and run under wine: a silent
per-user install registers .persona to open in Hearth.exe, adds the Start menu entry and the
uninstall entry; the uninstaller removes exactly that."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "windows" / "hearth.nsi"

needs_makensis = pytest.mark.skipif(shutil.which("makensis") is None,
                                    reason="makensis is not installed (apt install nsis)")
WINE = shutil.which("wine64") or shutil.which("wine") or next(
    (p for p in ("/usr/lib/wine/wine64",) if os.access(p, os.X_OK)), None)


def compile_installer(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    (app / "_internal").mkdir(parents=True)
    (app / "Hearth.exe").write_bytes(b"MZ stand-in")
    (app / "hearth-cli.exe").write_bytes(b"MZ stand-in")
    (app / "_internal" / "library.txt").write_text("stand-in")
    target = tmp_path / "Hearth-0.1.0-setup.exe"
    done = subprocess.run(["makensis", "-V2", "-WX", "-DVERSION=0.1.0", f"-DAPP_DIR={app}",
                           f"-DOUT_FILE={target}", str(SCRIPT)], capture_output=True, text=True,
                          cwd=SCRIPT.parent, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return target


@needs_makensis
def test_the_installer_script_compiles_to_a_64_bit_installer(tmp_path: Path) -> None:
    installer = compile_installer(tmp_path)
    header = installer.read_bytes()[:4096]
    assert header[:2] == b"MZ" and b"PE\0\0d\x86" in header  # PE32+, x86-64


@needs_makensis
@pytest.mark.skipif(WINE is None, reason="wine is not installed (apt install wine64)")
def test_under_wine_it_registers_persona_files_and_uninstalls_cleanly(tmp_path: Path) -> None:
    installer = compile_installer(tmp_path)
    env = {**os.environ, "WINEPREFIX": str(tmp_path / "wine"), "WINEDEBUG": "-all",
           "DISPLAY": ""}

    def wine(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([WINE, *args], env=env, capture_output=True, text=True,
                              timeout=600)

    def query(key: str, value: str | None = None) -> str:
        done = wine("reg", "query", key, *(["/v", value] if value else ["/ve"]))
        return done.stdout if done.returncode == 0 else ""

    assert wine(str(installer), "/S").returncode == 0
    command = query(r"HKCU\Software\Classes\Hearth.Persona\shell\open\command")
    assert r"\Programs\Hearth\Hearth.exe" in command and '"%1"' in command
    assert "Hearth.Persona" in query(r"HKCU\Software\Classes\.persona")
    assert "application/x-hearth-persona" in query(r"HKCU\Software\Classes\.persona",
                                                   "Content Type")
    assert "uninstall.exe" in query(
        r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Hearth", "UninstallString")
    drive = tmp_path / "wine" / "drive_c" / "users"
    installed = next(drive.glob("*/AppData/Local/Programs/Hearth"))
    assert (installed / "Hearth.exe").is_file() and (installed / "uninstall.exe").is_file()
    assert list(drive.glob("*/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Hearth.lnk"))
    # The uninstaller copies itself away and runs from there: wait for it (_?= runs in place).
    assert wine(str(installed / "uninstall.exe"), "/S", f"_?={_windows_path(installed)}"
                ).returncode == 0
    assert query(r"HKCU\Software\Classes\.persona") == ""
    assert query(r"HKCU\Software\Classes\Hearth.Persona") == ""
    assert not (installed / "Hearth.exe").exists() and not (installed / "_internal").exists()


def _windows_path(path: Path) -> str:
    parts = path.parts[path.parts.index("drive_c") + 1:]
    return "C:\\" + "\\".join(parts)
