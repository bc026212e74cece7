"""The command line as a user meets it (issue "What a new user hit"): every argument says what
it is, the persona ids and the audio devices can be listed, a server address is checked, and a
lorebook is named for what it is. Through the real ``hearth`` command."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from desktop.cli import build_parser
from desktop.paths import DataDirs

ROOT = Path(__file__).resolve().parent.parent


def hearth(home: DataDirs, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEARTH_HOME": str(home.root)}
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_command_and_argument_has_help_text() -> None:
    missing = []

    def walk(parser: argparse.ArgumentParser, where: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {choice.dest: choice.help for choice in action._choices_actions}
                for name, child in action.choices.items():
                    if not helps.get(name):
                        missing.append(f"{where} {name}")
                    walk(child, f"{where} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{where} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "hearth")
    assert missing == []
    done = subprocess.run([sys.executable, "-m", "desktop.cli", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert "character card" in " ".join(done.stdout.split())  # import says cards are taken


def test_hearth_personas_lists_the_installed_ids(empty_home: DataDirs) -> None:
    done = hearth(empty_home, "personas")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("org.hearth.wren  Wren Calloway  (verified")


def test_hearth_devices_lists_microphones_and_speakers(empty_home: DataDirs, pulse) -> None:
    done = hearth(empty_home, "devices")
    assert done.returncode == 0, done.stderr
    assert "microphones:" in done.stdout and "speakers:" in done.stdout
    speakers = done.stdout.split("speakers:")[1]
    assert any(line.strip()[:1].isdigit() for line in speakers.splitlines())


def test_a_server_address_is_checked_before_it_is_saved(empty_home: DataDirs) -> None:
    for bad, words in (("ftp://10.0.0.2", "http:// or https://"), ("http://", "names no"),
                       ("http://me:secret@10.0.0.2", "password"),
                       ("http://10.0.0.2:port", "port")):
        done = hearth(empty_home, "remote", "set", bad)
        assert done.returncode == 2 and words in done.stderr, (bad, done.stderr)
    assert not (empty_home.root / "settings.json").exists() or "remote_url" not in (
        empty_home.root / "settings.json").read_text() or json.loads(
        (empty_home.root / "settings.json").read_text()).get("remote_url") is None
    done = hearth(empty_home, "remote", "set", "192.168.1.20:8080")
    assert done.returncode == 0 and "192.168.1.20:8080" in done.stdout
    settings = json.loads((empty_home.root / "settings.json").read_text())
    assert settings["remote_url"] == "http://192.168.1.20:8080"


def test_a_lorebook_is_named_for_what_it_is(empty_home: DataDirs, tmp_path: Path) -> None:
    book = tmp_path / "world.json"
    book.write_text(json.dumps({"entries": {"0": {"key": ["castle"], "content": "Old."}}}))
    done = hearth(empty_home, "import", str(book))
    assert done.returncode == 1 and "lorebook" in done.stderr
    assert "Traceback" not in done.stderr


def test_models_list_shows_sizes_models_from_disk_and_files_that_are_not_the_model(
        empty_home: DataDirs, fixture_models: Path) -> None:
    import shutil

    for model in ("llm/hearth-tiny.gguf", "vad/silero_vad.onnx"):  # added by the user
        added = hearth(empty_home, "models", "add", str(fixture_models / model))
        assert added.returncode == 0, added.stderr
    by_hand = empty_home.models / "llm" / "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    shutil.copy(fixture_models / "llm" / "hearth-tiny.gguf", by_hand)  # copied in by hand
    done = hearth(empty_home, "models", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "size unknown" not in done.stdout
    assert any("hearth-tiny.gguf" in line and line.endswith("added from disk") for line in lines)
    assert any(line.startswith("silero-vad-v5") and "a different file" in line
               for line in lines)  # the user's own VAD is where the catalog's would be
    assert any(line.startswith("qwen2.5-0.5b") and line.endswith(" installed")
               for line in lines)  # no record of it: Hearth does not call it foreign
    # One column layout: every state starts at the same place.
    starts = {len(line) - len(line.lstrip()) for line in lines}
    assert starts == {0}
    size_ends = {line.index(" MB") if " MB" in line else line.index(" GB") for line in lines
                 if " MB" in line or " GB" in line}
    assert len(size_ends) == 1


def test_native_messages_go_to_the_log_and_hearths_own_to_the_terminal(tmp_path: Path) -> None:
    """ALSA, llama.cpp and OpenCV write to descriptor 2 from C: into the log file unless
    --verbose; what Hearth says to the user stays on the terminal."""
    code = ("import ctypes, os, sys; from pathlib import Path; "
            "from desktop.logs import route_native_stderr; "
            f"route_native_stderr(Path(r'{tmp_path}') / 'native.log'); "
            "os.write(2, b'ALSA lib pcm.c: noise\\n'); "
            "libc = ctypes.CDLL(None); libc.dprintf(2, b'ggml: more noise\\n'); "
            "print('hearth: a message for the user', file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "a message for the user" in done.stderr and "noise" not in done.stderr
    logged = (tmp_path / "native.log").read_text()
    assert "ALSA lib pcm.c: noise" in logged and "ggml: more noise" in logged


def test_the_desktop_entry_registers_hearth_and_the_persona_file_type(tmp_path: Path) -> None:
    """The portable tarball's `hearth --install-desktop-entry`: a menu entry, icons in the
    hicolor sizes, and `*.persona` as application/x-hearth-persona opening in Hearth; the
    uninstall removes exactly that."""
    import configparser
    import shutil

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    done = subprocess.run([sys.executable, "-m", "desktop.cli", "--install-desktop-entry"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    share = tmp_path / "share"
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(share / "applications" / "org.hearth.Hearth.desktop")
    fields = entry["Desktop Entry"]
    assert fields["Type"] == "Application" and fields["Name"] == "Hearth"
    assert fields["Exec"].endswith(" %f") and fields["Icon"] == "org.hearth.Hearth"
    assert fields["MimeType"] == "application/x-hearth-persona;"
    for size in (16, 48, 256):
        icon = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "org.hearth.Hearth.png"
        assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        import cv2
        assert cv2.imread(str(icon), cv2.IMREAD_UNCHANGED).shape[:2] == (size, size)
    mime_icon = share / "icons" / "hicolor" / "48x48" / "mimetypes"
    assert (mime_icon / "application-x-hearth-persona.png").is_file()  # the files' own icon
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(["desktop-file-validate", str(
            share / "applications" / "org.hearth.Hearth.desktop")], capture_output=True,
            text=True)
        assert checked.returncode == 0 and "error" not in checked.stdout, checked.stdout
    package = (share / "mime" / "packages" / "org.hearth.Hearth.xml").read_text()
    assert 'type="application/x-hearth-persona"' in package and '"*.persona"' in package
    if shutil.which("update-mime-database"):  # the desktop's own database knows the type now
        globs = (share / "mime" / "globs2").read_text()
        assert "application/x-hearth-persona:*.persona" in globs
    removed = subprocess.run([sys.executable, "-m", "desktop.cli", "--uninstall-desktop-entry"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0 and "Removed 14 file(s)" in removed.stdout
    assert not (share / "applications" / "org.hearth.Hearth.desktop").exists()
