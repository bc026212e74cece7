"""Life when nobody speaks: blinks at natural intervals and small, slow head motion.

Deterministic for a seed, and a pure function of time, so any frame can be computed for any
clock position (the video follows the audio clock, not a frame counter).
"""

from __future__ import annotations

import math

import numpy as np

BLINK_S = 0.16


class IdleMotion:
    def __init__(self, seed: int = 7, horizon_s: float = 3600.0) -> None:
        rng = np.random.default_rng(seed)
        intervals = rng.uniform(2.0, 5.5, size=int(horizon_s / 2.0) + 1)
        self.blinks = np.cumsum(intervals)
        self.phases = rng.uniform(0, 2 * math.pi, size=3)

    def blink(self, t: float) -> float:
        t = t % float(self.blinks[-1])
        index = int(np.searchsorted(self.blinks, t))
        nearest = min(
            (abs(t - self.blinks[i]) for i in (index - 1, index) if 0 <= i < len(self.blinks)),
            default=1.0,
        )
        if nearest >= BLINK_S / 2:
            return 0.0
        return math.cos(math.pi * nearest / BLINK_S)

    def head(self, t: float, energy: float = 0.0) -> tuple[float, float, float]:
        """(yaw, pitch, roll) in radians; speech adds a little emphasis motion."""
        a, b, c = self.phases
        gain = 1.0 + 1.5 * energy
        yaw = 0.05 * gain * math.sin(0.31 * t + a) + 0.02 * math.sin(0.83 * t + b)
        pitch = 0.03 * gain * math.sin(0.47 * t + b) + 0.02 * energy * math.sin(5.1 * t)
        roll = 0.025 * math.sin(0.23 * t + c)
        return yaw, pitch, roll
