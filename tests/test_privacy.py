"""Nothing leaves the machine (docs/reliability.md §6): a whole session - a spoken call with memory,
export, forget, the doctor - makes no network connection and no name lookup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_whole_session_makes_no_network_attempt(hearth_home, pulse) -> None:
    env = {**os.environ, "HEARTH_HOME": str(hearth_home.root)}
    done = subprocess.run([sys.executable, "-m", "tests.helpers.egress_probe"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["reply_finished"]
    assert report["attempts"] == []


def test_the_probe_does_see_a_connection_when_one_is_made(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "tests.helpers.egress_probe", "--self-check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    attempts = json.loads(done.stdout.strip().splitlines()[-1])["attempts"]
    assert "connect 192.0.2.1:9" in attempts and "lookup 192.0.2.1" in attempts
