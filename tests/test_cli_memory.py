"""``hearth memory export`` and ``hearth memory forget`` as a user runs them: a real process
on a real data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from desktop.memory.facts import FactUpdate
from desktop.memory.store import Store
from desktop.paths import DataDirs

ROOT = Path(__file__).resolve().parent.parent
PERSONA = "org.hearth.wren"


def hearth(home: DataDirs, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "HEARTH_HOME": str(home.root)}
    return subprocess.run([sys.executable, "-m", "desktop.cli", "memory", *args], cwd=ROOT,
                          env=env, input=stdin, capture_output=True, text=True, timeout=120)


def seed(home: DataDirs) -> None:
    store = Store(home.database).open()
    store.append_turn(PERSONA, "user", "my bike is called Velocipickle").result(timeout=5)
    store.remember(PERSONA, [FactUpdate("The user's bike is called Velocipickle.", "bike")]
                   ).result(timeout=5)
    store.append_turn("org.other", "user", "unrelated").result(timeout=5)
    store.close()
    state = home.cache / "llm-state"
    state.mkdir(parents=True, exist_ok=True)
    (state / f"{PERSONA}-abc.kv").write_bytes(b"HEARTHKV state")


def test_export_prints_everything_about_the_persona_as_json(empty_home: DataDirs,
                                                            tmp_path: Path) -> None:
    seed(empty_home)
    done = hearth(empty_home, "export", "--persona", PERSONA)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [f["text"] for f in data["facts"]] == ["The user's bike is called Velocipickle."]
    assert [t["text"] for t in data["turns"]] == ["my bike is called Velocipickle"]
    out = tmp_path / "wren.json"
    assert hearth(empty_home, "export", "--persona", PERSONA, "--out", str(out)).returncode == 0
    assert json.loads(out.read_text())["persona_id"] == PERSONA


def test_forget_asks_first_then_leaves_no_trace(empty_home: DataDirs) -> None:
    seed(empty_home)
    refused = hearth(empty_home, "forget", "--persona", PERSONA, stdin="no\n")
    assert refused.returncode == 1 and "Nothing was deleted" in refused.stderr
    done = hearth(empty_home, "forget", "--persona", PERSONA, stdin="forget\n")
    assert done.returncode == 0, done.stderr
    assert "Forgot 1 memories, 1 messages" in done.stdout
    for file in empty_home.root.rglob("*"):
        if file.is_file():
            assert b"elocipickle" not in file.read_bytes(), file
    assert not list((empty_home.cache / "llm-state").glob(f"{PERSONA}-*"))
    store = Store(empty_home.database).open()
    assert [t.text for t in store.turns("org.other")] == ["unrelated"]
    store.close()


def test_a_second_hearth_is_told_the_data_folder_is_in_use(empty_home: DataDirs) -> None:
    store = Store(empty_home.database).open()
    try:
        done = hearth(empty_home, "export", "--persona", PERSONA)
    finally:
        store.close()
    assert done.returncode == 1 and "already running" in done.stderr


def test_restore_puts_the_daily_backup_back_and_keeps_the_replaced_file(
    empty_home: DataDirs,
) -> None:
    seed(empty_home)  # its first open made the daily backup of the empty file
    backup = empty_home.database.with_name("hearth.db.bak-daily")
    assert backup.is_file()
    asked = hearth(empty_home, "restore", stdin="no\n")  # it asks first, and says what
    assert asked.returncode == 1 and "Nothing was changed" in asked.stderr
    assert "2 messages, 1 memories" in asked.stdout and "0 messages" in asked.stdout
    store = Store(empty_home.database).open()
    assert store.turns(PERSONA)  # untouched
    store.close()
    done = hearth(empty_home, "restore", stdin="restore\n")
    assert done.returncode == 0, done.stderr
    assert "kept as hearth.db.replaced-" in done.stdout
    store = Store(empty_home.database).open()
    assert store.turns(PERSONA) == []  # back to the state of the backup
    store.close()
    assert list(empty_home.root.glob("hearth.db.replaced-*"))
    missing = hearth(empty_home, "restore", "--backup", str(empty_home.root / "nope.db"))
    assert missing.returncode == 1 and "no backup" in missing.stderr


def test_a_command_that_meets_a_damaged_file_says_so_and_the_window_will_too(
        empty_home: DataDirs) -> None:
    """Issue "Trust that holds", class 8: never only a log line and exit 0."""
    seed(empty_home)
    data = bytearray(empty_home.database.read_bytes())
    data[:100] = b"\xff" * 100  # the header overwritten
    empty_home.database.write_bytes(bytes(data))
    done = hearth(empty_home, "export", "--persona", PERSONA)
    assert done.returncode == 0, done.stderr
    assert "was damaged" in done.stderr and "hearth memory dismiss" in done.stderr
    assert [t["text"] for t in json.loads(done.stdout)["turns"]] == [
        "my bike is called Velocipickle"]  # recovered from the pages
    from desktop.app import Hearth

    hearth_app = Hearth(empty_home).open()  # what the window's next start shows
    try:
        assert [p.part for p in hearth_app.store_problems()] == ["notice"]
    finally:
        hearth_app.close()
    again = hearth(empty_home, "export", "--persona", PERSONA)
    assert "was damaged" in again.stderr  # until dismissed
    dismissed = hearth(empty_home, "dismiss")
    assert dismissed.returncode == 0 and "Dismissed 1 notice" in dismissed.stdout
    assert "was damaged" not in hearth(empty_home, "export", "--persona", PERSONA).stderr
    doctor = subprocess.run([sys.executable, "-m", "desktop.cli", "doctor", "--no-hash"],
                            cwd=ROOT, env={**os.environ, "HEARTH_HOME": str(empty_home.root)},
                            capture_output=True, text=True, timeout=120)
    assert "is the damaged file a repair kept" in doctor.stdout


def test_an_unknown_persona_id_is_refused_with_the_ids_there_are(empty_home: DataDirs) -> None:
    seed(empty_home)
    for command in (["export", "--persona", "no.such.id"],
                    ["forget", "--persona", "no.such.id", "--yes"]):
        done = hearth(empty_home, *command)
        assert done.returncode == 1 and done.stdout == ""
        assert "no.such.id" in done.stderr and "org.hearth.wren" in done.stderr
        assert "org.other" in done.stderr  # kept conversations of a persona not installed
