"""Microphone capture through real PortAudio and PulseAudio: a tone played into the null sink
is heard back from its monitor, resampled to 16 kHz."""

from __future__ import annotations

import time

import numpy as np
import pytest

from desktop.voice.audio_in import AudioInput
from desktop.voice.audio_out import AudioOutput, AudioUnavailable

pytestmark = pytest.mark.audio


def test_what_is_played_is_captured_at_the_recognizers_rate(pulse) -> None:
    microphone = AudioInput(target_rate=16000).open()
    speaker = AudioOutput().open()
    try:
        rate = 22050
        t = np.arange(int(rate * 1.2)) / rate
        speaker.enqueue((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate, 1)
        captured = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.1)
            captured.append(microphone.read())
        audio = np.concatenate(captured)
    finally:
        speaker.close()
        microphone.close()
    loud = audio[np.abs(audio) > 0.05]
    assert len(loud) > 16000 * 0.5  # at least half a second of the tone came back
    spectrum = np.abs(np.fft.rfft(audio))
    peak_hz = np.argmax(spectrum) * 16000 / len(audio)
    assert abs(peak_hz - 440) < 10
    assert microphone.rate > 0 and not microphone.lost


def test_a_missing_microphone_is_explained() -> None:
    with pytest.raises(AudioUnavailable, match="microphone could not be opened"):
        AudioInput(device=987654).open()
