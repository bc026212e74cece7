"""Which sound devices exist, as the sound server sees them, to explain hot-plug in a call.

On Linux desktops PortAudio reaches the hardware through PulseAudio (or PipeWire's pulse
layer). When a headset is unplugged the server moves our streams to the remaining devices
by itself, so the call goes on, but PortAudio is never told: its device list is read once,
and the stream never fails. The only way to tell the user what happened is to ask the
server, which ``pactl`` does. Where there is no such server (Windows, macOS), a vanished
device ends the PortAudio stream instead, and the call's ``lost`` handling speaks up.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceSnapshot:
    sinks: dict[str, str]  # name -> description
    sources: dict[str, str]
    default_sink: str
    default_source: str


def _parse_devices(listing: str) -> dict[str, str]:
    devices: dict[str, str] = {}
    name = None
    for raw in listing.splitlines():
        line = raw.strip()
        if line.startswith("Name:"):
            name = line.split(":", 1)[1].strip()
            devices[name] = name
        elif line.startswith("Description:") and name is not None:
            devices[name] = line.split(":", 1)[1].strip() or name
    return devices


def read_sound_server(timeout_s: float = 2.0) -> DeviceSnapshot | None:
    """The server's devices now, or None when there is no PulseAudio-compatible server."""
    if shutil.which("pactl") is None:
        return None

    def pactl(*args: str) -> str:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True,
                              timeout=timeout_s, env=_c_locale())
        if done.returncode != 0:
            raise OSError(done.stderr.strip())
        return done.stdout

    try:
        info = pactl("info")
        sinks = _parse_devices(pactl("list", "sinks"))
        sources = _parse_devices(pactl("list", "sources"))
    except (OSError, subprocess.SubprocessError):
        return None
    defaults = {key.strip(): value.strip() for key, _, value in
                (line.partition(":") for line in info.splitlines())}
    return DeviceSnapshot(sinks, sources, defaults.get("Default Sink", ""),
                          defaults.get("Default Source", ""))


def _c_locale() -> dict[str, str]:
    import os

    return {**os.environ, "LC_ALL": "C"}  # field names in English, whatever the desktop's


def describe_change(before: DeviceSnapshot, after: DeviceSnapshot) -> list[tuple[str, str]]:
    """(level, sentence) for each change a caller should hear about: the microphone or
    speaker in use went away (and what the call uses now), or a new one was connected."""
    notes: list[tuple[str, str]] = []
    for kind, old, new, old_default, new_default in (
        ("microphone", before.sources, after.sources, before.default_source,
         after.default_source),
        ("speaker", before.sinks, after.sinks, before.default_sink, after.default_sink),
    ):
        if old_default and old_default not in new:
            now = new.get(new_default)
            rest = (f"The call continues with '{now}'." if now else
                    "The call continues in text until one is back.")
            notes.append(("warning", f"The {kind} '{old[old_default]}' was disconnected. "
                                     f"{rest}"))
        elif new_default != old_default and new_default in new:
            notes.append(("info", f"Now using the {kind} '{new[new_default]}'."))
    return notes
