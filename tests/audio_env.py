"""A private PulseAudio server with null sinks: real PortAudio devices on a machine with no
sound card. The app plays into ``hearth_out``; tests record what it played from
``hearth_out.monitor`` with parecord."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

SINK = "hearth_out"


class PulseServer:
    def __init__(self) -> None:
        self.runtime = Path(tempfile.mkdtemp(prefix="hearth-pulse-"))
        self.process: subprocess.Popen | None = None
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(self.runtime),
                        PULSE_SERVER=f"unix:{self.runtime}/pulse/native")

    def start(self) -> PulseServer:
        if shutil.which("pulseaudio") is None:
            raise RuntimeError("pulseaudio is not installed (apt install pulseaudio "
                               "pulseaudio-utils libasound2-plugins)")
        os.chmod(self.runtime, 0o700)
        self.process = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
             "--log-target=stderr", "--load=module-native-protocol-unix",
             f"--load=module-null-sink sink_name={SINK} rate=48000 channels=1",
             "--load=module-always-sink"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                subprocess.run(["pactl", "set-default-sink", SINK], env=self.env, check=False)
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("pulseaudio did not start")

    def apply_to_environment(self) -> None:
        """PortAudio (through ALSA's pulse plugin) finds the server through these."""
        os.environ["XDG_RUNTIME_DIR"] = self.env["XDG_RUNTIME_DIR"]
        os.environ["PULSE_SERVER"] = self.env["PULSE_SERVER"]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        shutil.rmtree(self.runtime, ignore_errors=True)

    def record(self, path: Path, rate: int = 16000) -> subprocess.Popen:
        return subprocess.Popen(
            ["parecord", f"--device={SINK}.monitor", "--channels=1", f"--rate={rate}",
             "--format=s16le", "--file-format=wav", str(path)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )


def stop_recording(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=5)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as handle:
        rate = handle.getframerate()
        data = np.frombuffer(handle.readframes(handle.getnframes()), np.int16)
    return data.astype(np.float32) / 32768.0, rate


def voiced_seconds(samples: np.ndarray, rate: int, threshold: float = 0.02) -> float:
    """Seconds of 10 ms windows whose RMS is above ``threshold``."""
    window = rate // 100
    usable = len(samples) // window * window
    if usable == 0:
        return 0.0
    rms = np.sqrt(np.mean(samples[:usable].reshape(-1, window) ** 2, axis=1))
    return float(np.sum(rms > threshold)) * 0.01
