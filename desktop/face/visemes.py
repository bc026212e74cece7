"""From piper's phoneme timings to mouth shapes on the audio clock.

Each phoneme maps to a viseme target (jaw opening, lip spread, lip rounding). Real mouths
anticipate and carry over shapes (co-articulation), so targets are blended: each phoneme's
shape ramps in over ``blend_s`` before it starts and out after it ends, and the mouth position
at a time is the weighted mean of the targets around it, which rests at zero in silence.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# (jaw_open, mouth_wide, mouth_round) per class of IPA symbol.
_OPEN_VOWELS = set("aɑɐæɒʌaː")
_MID_VOWELS = set("eɛəɜɘoɔøœɤ")
_CLOSE_SPREAD = set("iɪyʏɨ")
_CLOSE_ROUND = set("uʊɯɵw")
_BILABIAL = set("pbm")
_LABIODENTAL = set("fv")
_SIBILANT = set("szʃʒɕʑçxh")
_DENTAL = set("θðtdnlɾrɹjkgŋɡʔ")
SILENT = set("_^$ !'(),-.:;?ˈˌː\n")

VISEME_TARGETS: dict[str, tuple[float, float, float]] = {
    "open": (0.9, 0.2, 0.0),
    "mid": (0.55, 0.25, 0.25),
    "spread": (0.3, 0.8, 0.0),
    "round": (0.35, 0.0, 0.9),
    "closed": (0.0, 0.1, 0.1),
    "teeth": (0.12, 0.45, 0.0),
    "sibilant": (0.15, 0.6, 0.1),
    "tongue": (0.3, 0.3, 0.05),
    "rest": (0.0, 0.0, 0.0),
}


def viseme_for(phoneme: str) -> str:
    if not phoneme or phoneme in SILENT:
        return "rest"
    head = phoneme[0]
    for symbols, name in (
        (_OPEN_VOWELS, "open"), (_MID_VOWELS, "mid"), (_CLOSE_SPREAD, "spread"),
        (_CLOSE_ROUND, "round"), (_BILABIAL, "closed"), (_LABIODENTAL, "teeth"),
        (_SIBILANT, "sibilant"), (_DENTAL, "tongue"),
    ):
        if head in symbols:
            return name
    return "mid"


@dataclass(frozen=True)
class VisemeEvent:
    start_s: float
    end_s: float
    target: tuple[float, float, float]


class VisemeTrack:
    """Mouth targets on a timeline; ``sample(t)`` gives (jaw, wide, round) at ``t`` seconds."""

    def __init__(self, events: Sequence[VisemeEvent] = (), blend_s: float = 0.06) -> None:
        self.events = sorted(events, key=lambda e: e.start_s)
        self.starts = [e.start_s for e in self.events]
        self.blend_s = blend_s

    @classmethod
    def from_alignments(
        cls, phonemes_and_samples: Sequence[tuple[str, int]], sample_rate: int, offset_s: float
    ) -> VisemeTrack:
        events = []
        cursor = offset_s
        for phoneme, samples in phonemes_and_samples:
            duration = samples / sample_rate
            name = viseme_for(phoneme)
            if name != "rest":
                events.append(VisemeEvent(cursor, cursor + duration, VISEME_TARGETS[name]))
            cursor += duration
        return cls(events)

    def extend(self, other: VisemeTrack) -> None:
        self.events = sorted([*self.events, *other.events], key=lambda e: e.start_s)
        self.starts = [e.start_s for e in self.events]

    def drop_after(self, t: float) -> None:
        """Forget shapes after ``t`` (barge-in: the rest of the reply will never be heard)."""
        self.events = [e for e in self.events if e.start_s < t]
        self.starts = [e.start_s for e in self.events]

    @property
    def end_s(self) -> float:
        return max((e.end_s for e in self.events), default=0.0)

    def sample(self, t: float) -> np.ndarray:
        if not self.events:
            return np.zeros(3, np.float32)
        lo = bisect.bisect_left(self.starts, t - 1.0)
        hi = bisect.bisect_right(self.starts, t + self.blend_s)
        total = np.zeros(3, np.float32)
        weight_sum = 0.0
        for event in self.events[lo:hi]:
            weight = _window(t, event.start_s, event.end_s, self.blend_s)
            if weight > 0.0:
                total += weight * np.asarray(event.target, np.float32)
                weight_sum += weight
        if weight_sum <= 0.0:
            return np.zeros(3, np.float32)
        # Normalise only where shapes overlap; a lone ramp fades towards rest.
        return total / max(weight_sum, 1.0)


def _window(t: float, start: float, end: float, blend: float) -> float:
    """1 inside [start, end], a raised-cosine ramp of ``blend`` seconds either side."""
    if start <= t <= end:
        return 1.0
    distance = start - t if t < start else t - end
    if distance >= blend:
        return 0.0
    return 0.5 * (1.0 + np.cos(np.pi * distance / blend))
