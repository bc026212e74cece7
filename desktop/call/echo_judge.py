"""Whose sound is in the microphone during a call: the persona's own voice leaking back (echo)
or the user talking over it; and the ringback a call plays while the persona picks up (which
also teaches the judge the room's echo before the first word)."""

from __future__ import annotations

import numpy as np

from desktop.voice.vad import WINDOW

# Double-talk detection (see EchoJudge): how much louder than the echo, in dB, the
# microphone must be to hold the user too.
ECHO_MARGIN_DB = 6.0


ECHO_HISTORY = 90  # windows (about 3 s) of echo return loss remembered


class EchoJudge:
    """Tells the persona's own voice leaking into the microphone from a user talking over
    it (a double-talk detector beside the echo canceller).

    The voice activity detector alone cannot: an echo canceller that is still adapting, or
    loses its grip for a moment when the sound changes, leaves echo loud enough to pass for
    speech, and AEC3 in turn attenuates a user who talks over the persona. So the decision
    is made on the raw microphone against what was played: how loud the echo is relative to
    the speaker's output (the echo return loss) is learned while only the persona speaks
    (the ring at pick-up teaches it before the first word), and a window counts as the user
    only when the microphone holds clearly more than the loudest echo the room has shown.
    Then the VAD listens to the raw microphone too, where the canceller has not attenuated
    the user. A user much quieter than the persona's echo must raise their voice to
    interrupt, as they would with a person.
    """

    FAR_SPAN = 6400  # 400 ms of what was played: covers the speaker-to-microphone delay

    def __init__(self) -> None:
        self.return_loss_db: list[float] = []
        self._raw = np.zeros(0, np.float32)
        self._far = np.zeros(0, np.float32)

    def add(self, raw: np.ndarray, far: np.ndarray) -> None:
        self._raw = np.concatenate([self._raw, raw])
        self._far = np.concatenate([self._far, far])[-self.FAR_SPAN:]

    def next_window(self, learn: bool) -> str:
        """"silent" (nothing was played), "echo" or "user", for the next VAD window (taken
        in step with the VAD). ``learn``: only the persona speaks now: this is pure echo."""
        raw, self._raw = self._raw[:WINDOW], self._raw[WINDOW:]
        far = self._far
        blocks = len(far) // WINDOW
        far_db = max((_db(far[i * WINDOW:(i + 1) * WINDOW]) for i in range(blocks)),
                     default=-100.0)
        if far_db < -60.0:
            return "silent"
        raw_db = _db(raw)
        if learn:
            self.return_loss_db = [*self.return_loss_db[-ECHO_HISTORY:], raw_db - far_db]
        # The loudest echo seen (90th percentile), not the typical one: windows just after
        # the persona starts, before its sound has crossed the room, would say "no echo".
        # Until ~0.6 s of echo has been heard, assume the worst: echo as loud as the sound.
        loss = (float(np.percentile(self.return_loss_db, 90))
                if len(self.return_loss_db) >= 20 else 0.0)
        return "user" if raw_db > far_db + loss + ECHO_MARGIN_DB else "echo"


def _db(samples: np.ndarray) -> float:
    return 10.0 * float(np.log10(np.mean(np.square(samples)) + 1e-10))


def ring_tone(rate: int, seconds: float = 1.2) -> np.ndarray:
    """A soft ringback (two 0.4 s bursts of 440 + 480 Hz) played while the persona 'picks up'."""
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.12 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t)) / 2
    gate = ((t % 0.6) < 0.4).astype(np.float32)
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.02)
    return (tone * gate * fade).astype(np.float32)
