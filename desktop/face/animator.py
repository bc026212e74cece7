"""Combines speech visemes and idle motion into one frame's FaceParams at a clock time, and
hands each spoken chunk's audio to the drive of a hearth-face-v2 face when one is attached."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

import numpy as np

from desktop.face.contract import FaceParams
from desktop.face.idle import IdleMotion
from desktop.face.visemes import VisemeTrack

if TYPE_CHECKING:
    from desktop.face.drive import DriveTrack


class FaceAnimator:
    """Thread-safe: the speech side adds tracks, the frame loop samples them."""

    def __init__(self, idle: IdleMotion | None = None) -> None:
        self.idle = idle or IdleMotion()
        self._track = VisemeTrack()
        self._lock = threading.Lock()
        self._listening_since: float | None = None  # wall time the user began to talk
        self._drive: DriveTrack | None = None

    def attach_drive(self, drive: DriveTrack | None) -> None:
        """A v2 face's drive: from now on spoken audio is turned into its features."""
        self._drive = drive

    def add_speech(self, track: VisemeTrack) -> None:
        with self._lock:
            self._track.extend(track)

    def drive_features(self, audio: np.ndarray, sample_rate: int) -> np.ndarray | None:
        """A v2 face's features of a chunk, computed before the chunk is queued (on the TTS
        worker: the media core), so the face's lookahead exists before the sound plays."""
        drive = self._drive
        return None if drive is None else drive.extractor.features(audio, sample_rate)

    def add_chunk(self, audio: np.ndarray, sample_rate: int, phonemes: list,
                  start_s: float, features: np.ndarray | None = None) -> None:
        """A chunk of reply audio queued at ``start_s`` on the speech clock."""
        self.add_speech(VisemeTrack.from_alignments(phonemes, sample_rate, start_s))
        drive = self._drive
        if drive is not None:
            drive.add_audio(audio, sample_rate, start_s, features)

    def cut_speech(self, at_s: float) -> None:
        with self._lock:
            self._track.drop_after(at_s)
        drive = self._drive
        if drive is not None:
            drive.cut_after(at_s)

    def set_listening(self, since: float | None) -> None:
        """The user is talking (since wall time ``since``), or stopped (None)."""
        self._listening_since = since

    @property
    def listening_since(self) -> float | None:
        return self._listening_since

    def clear(self) -> None:
        with self._lock:
            self._track = VisemeTrack()
        drive = self._drive
        if drive is not None:
            drive.clear()

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
