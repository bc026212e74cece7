"""Combines speech visemes and idle motion into one frame's FaceParams at a clock time."""

from __future__ import annotations

import math
import threading

from desktop.face.contract import FaceParams
from desktop.face.idle import IdleMotion
from desktop.face.visemes import VisemeTrack


class FaceAnimator:
    """Thread-safe: the speech side adds tracks, the frame loop samples them."""

    def __init__(self, idle: IdleMotion | None = None) -> None:
        self.idle = idle or IdleMotion()
        self._track = VisemeTrack()
        self._lock = threading.Lock()
        self._listening_since: float | None = None  # wall time the user began to talk

    def add_speech(self, track: VisemeTrack) -> None:
        with self._lock:
            self._track.extend(track)

    def cut_speech(self, at_s: float) -> None:
        with self._lock:
            self._track.drop_after(at_s)

    def set_listening(self, since: float | None) -> None:
        """The user is talking (since wall time ``since``), or stopped (None)."""
        self._listening_since = since

    def clear(self) -> None:
        with self._lock:
            self._track = VisemeTrack()

    def params_at(self, speech_t: float, wall_t: float) -> FaceParams:
        """``speech_t``: the audio clock (seconds of reply audio played);
        ``wall_t``: a steady clock for idle motion that never stops."""
        with self._lock:
            jaw, wide, rnd = self._track.sample(speech_t)
        params = FaceParams()
        params["jaw_open"] = jaw
        params["mouth_wide"] = wide
        params["mouth_round"] = rnd
        blink = self.idle.blink(wall_t)
        params["blink_left"] = blink
        params["blink_right"] = blink
        yaw, pitch, roll = self.idle.head(wall_t, energy=float(jaw))
        params["head_yaw"] = yaw
        params["head_pitch"] = pitch
        params["head_roll"] = roll
        params["brow_raise"] = 0.25 * float(jaw)
        since = self._listening_since
        if since is not None and jaw < 0.05:
            # Listening: face the user, small nods every couple of seconds, brows up a little.
            held = wall_t - since
            params["head_yaw"] = 0.4 * yaw
            nod = max(0.0, math.sin(2 * math.pi * held / 2.2)) ** 4
            params["head_pitch"] = pitch + 0.06 * nod
            params["brow_raise"] = 0.15 + 0.1 * nod
        return params
