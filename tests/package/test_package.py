"""The Linux package as a user gets it (``make package-test``, after ``make package``): the
portable folder unpacked somewhere clean runs its frozen self-test with an empty data folder
under Xvfb and a PulseAudio null sink and opens its first-run window; the .deb carries a valid
menu entry, the .persona file type and AppStream metadata; installed, a .persona file opened
through the desktop's association goes to the running Hearth's install preview."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "build" / "dist"
VERSION = "0.1.0"

pytestmark = pytest.mark.skipif(not (DIST / "hearth" / "hearth").is_file(),
                                reason="no package built: run make package-test")


def deb() -> Path:
    return next(DIST.glob(f"hearth_{VERSION}_*.deb"))


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    """The portable tarball, unpacked into a folder nothing else has touched."""
    folder = tmp_path_factory.mktemp("portable")
    with tarfile.open(next(DIST.glob(f"hearth-{VERSION}-linux-*.tar.gz"))) as archive:
        archive.extractall(folder, filter="tar")
    return folder / f"hearth-{VERSION}"


@pytest.fixture(scope="module")
def display(tmp_path_factory):
    """A private X server (what a desktop session gives the app), answering before any test
    uses it: a server that cannot be reached fails here, with its own words, not as a window
    that never appears."""
    log = tmp_path_factory.mktemp("xvfb") / "xvfb.log"
    read, write = os.pipe()
    with log.open("wb") as said:
        server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                                   "1280x800x24", "-nolisten", "tcp"], pass_fds=(write,),
                                  stdout=said, stderr=said)
    os.close(write)
    # Xvfb may write the number and its newline apart, and dies ("Cannot write display
    # number") if the pipe is closed between them: read up to the newline, and keep the
    # pipe open as long as the server runs.
    said_number = b""
    while not said_number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            break
        said_number += chunk
    name = f":{said_number.decode().strip()}"
    deadline = time.monotonic() + 20
    while subprocess.run(["xwininfo", "-root"], env={"DISPLAY": name}, capture_output=True,
                         timeout=30).returncode != 0:
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            os.close(read)
            pytest.fail(f"Xvfb on {name!r} does not answer: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    yield name
    server.terminate()
    server.wait(timeout=10)
    os.close(read)


@pytest.fixture(scope="module")
def sound():
    from desktop.fixtures.pulse import PulseServer

    server = PulseServer().start()
    yield server
    server.stop()


def clean_env(tmp_path: Path, display: str, sound) -> dict[str, str]:
    """As a fresh user's session: no Python of ours, an empty home and data folder."""
    home = tmp_path / "user"
    home.mkdir(exist_ok=True)
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "DISPLAY": display,
            "HEARTH_HOME": str(home / "hearth-data"), "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": sound.env["XDG_RUNTIME_DIR"],
            "PULSE_SERVER": sound.env["PULSE_SERVER"]}


def window_names(display: str) -> list[str]:
    done = subprocess.run(["xwininfo", "-root", "-tree"], env={"DISPLAY": display},
                          capture_output=True, text=True, timeout=30)
    return [line.split('"')[1] for line in done.stdout.splitlines() if line.count('"') >= 2]


def wait_for_window(display: str, name: str, timeout: float = 120,
                    app: subprocess.Popen | None = None) -> float:
    """Seconds until a window called ``name`` is on the screen. With ``app``, a failure says
    what the app wrote to its error stream (Qt names a missing library or display there)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if name in window_names(display):
            return time.monotonic() - started
        if app is not None and app.poll() is not None:
            break  # it is gone: no window will come
        time.sleep(0.1)
    said = ""
    if app is not None and app.stderr is not None:
        if app.poll() is None:
            app.kill()
        said = f"; the app (exit {app.wait(timeout=30)}) said: {app.stderr.read()[-3000:]}"
    raise AssertionError(f"no window {name!r}; there are {window_names(display)}{said}")


def screenshot(display: str, target: Path) -> None:
    """The X screen as the user sees it (taken by Qt from outside the frozen app)."""
    script = ("import sys; from PySide6.QtGui import QGuiApplication; "
              "app = QGuiApplication([]); "
              "app.primaryScreen().grabWindow(0).save(sys.argv[1])")
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    subprocess.run([os.sys.executable, "-c", script, str(target)], env=env, check=True,
                   timeout=60)


def test_the_frozen_selftest_passes_from_a_clean_folder(unpacked: Path, display: str, sound,
                                                        tmp_path: Path) -> None:
    env = clean_env(tmp_path, display, sound)
    done = subprocess.run([str(unpacked / "hearth"), "selftest"], env=env, cwd="/",
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "All 8 checks passed."
    assert "(installed app)" in done.stdout.splitlines()[0]
    llama = next(line for line in done.stdout.splitlines() if "llama.cpp" in line)
    # The portable build: AVX2 is used, AVX-512 (which most laptops lack) is not.
    assert "AVX2" in llama and "AVX512" not in llama
    assert not list((Path(env["HOME"])).glob(".cache/hearth/selftest-models"))  # shipped


def test_the_frozen_app_opens_its_first_run_window(unpacked: Path, display: str, sound,
                                                   tmp_path: Path) -> None:
    env = clean_env(tmp_path, display, sound)
    started = time.monotonic()
    app = subprocess.Popen([str(unpacked / "hearth")], env=env, cwd="/",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_window = wait_for_window(display, "Hearth", app=app)
        cold_start = time.monotonic() - started
        wait_for_window(display, "Set up Hearth", timeout=60)  # first run: setup offered
        time.sleep(1.0)
        shot = DIST / "first-run.png"
        screenshot(display, shot)
        assert app.poll() is None, app.communicate()[1][-2000:]
    finally:
        app.terminate()
        app.wait(timeout=30)
    import cv2

    image = cv2.imread(str(shot))
    assert image is not None and image.std() > 10  # a drawn window, not a blank screen
    report = DIST / "package-report.json"
    data = json.loads(report.read_text())
    data["cold_start_to_first_window_s"] = round(min(first_window, cold_start), 2)
    report.write_text(json.dumps(data, indent=2))


def test_the_deb_carries_the_menu_entry_the_file_type_and_its_metadata(tmp_path: Path
                                                                       ) -> None:
    fields = subprocess.run(["dpkg-deb", "--field", str(deb())], capture_output=True,
                            text=True, check=True).stdout
    assert "Package: hearth" in fields and "libportaudio2" in fields and "libxcb-cursor0" \
        in fields
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb()), str(root)], check=True)
    share = root / "usr" / "share"
    assert os.readlink(root / "usr" / "bin" / "hearth") == "/opt/hearth/hearth"
    assert (root / "opt" / "hearth" / "_internal" / "licenses" / "THIRD_PARTY_LICENSES.txt"
            ).stat().st_size > 100_000
    entry_path = share / "applications" / "org.hearth.Hearth.desktop"
    checked = subprocess.run(["desktop-file-validate", str(entry_path)], capture_output=True,
                             text=True)
    assert checked.returncode == 0 and "error" not in checked.stdout, checked.stdout
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(entry_path)
    assert entry["Desktop Entry"]["Exec"] == "/usr/bin/hearth %f"
    assert entry["Desktop Entry"]["MimeType"] == "application/x-hearth-persona;"
    metainfo = share / "metainfo" / "org.hearth.Hearth.metainfo.xml"
    validated = subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)],
                               capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout
    for folder in ("apps", "mimetypes"):
        assert len(list(share.glob(f"icons/hicolor/*/{folder}/*.png"))) == 6
    subprocess.run(["update-mime-database", str(share / "mime")], check=True)
    persona = tmp_path / "wren.persona"
    shutil.copyfile(_fixture_persona(tmp_path), persona)
    env = {**os.environ, "XDG_DATA_DIRS": f"{share}:/usr/share", "XDG_CURRENT_DESKTOP": "GNOME"}
    kind = subprocess.run(["xdg-mime", "query", "filetype", str(persona)], env=env,
                          capture_output=True, text=True)
    assert kind.stdout.strip() == "application/x-hearth-persona"


def _fixture_persona(tmp_path: Path) -> Path:
    from tests.test_bundle import bundle

    return bundle(tmp_path, "ada.persona")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("dpkg") is None,
                    reason="installing the .deb needs root and dpkg")
def test_installed_a_double_clicked_persona_opens_in_the_running_hearth(
        display: str, sound, tmp_path: Path) -> None:
    subprocess.run(["dpkg", "-i", str(deb())], check=True, capture_output=True, timeout=600)
    app = None
    try:
        env = clean_env(tmp_path, display, sound)
        app = subprocess.Popen(["/usr/bin/hearth"], env=env, cwd="/",
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_window(display, "Hearth", app=app)
        wait_for_window(display, "Set up Hearth", timeout=60)
        windows = window_names(display).count("Hearth")  # the main window, Qt's leader
        persona = _fixture_persona(tmp_path)
        # What a file manager does on a double-click: the desktop's default for the type.
        default = subprocess.run(["xdg-mime", "query", "default",
                                  "application/x-hearth-persona"],
                                 env={**env, "XDG_CURRENT_DESKTOP": "GNOME"},
                                 capture_output=True, text=True)
        assert default.stdout.strip() == "org.hearth.Hearth.desktop"
        subprocess.run(["gio", "open", str(persona)], env=env, check=True, timeout=60)
        wait_for_window(display, "Install this persona?", timeout=120)
        assert app.poll() is None  # the running Hearth shows it: no second Hearth
        assert window_names(display).count("Hearth") == windows
    finally:
        if app is not None:
            app.terminate()
            app.wait(timeout=30)
        subprocess.run(["dpkg", "--purge", "hearth"], capture_output=True, timeout=300)
    assert not Path("/opt/hearth").exists()
