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


def test_a_flush_drops_the_device_buffer_and_the_speaker_plays_on(pulse) -> None:
    """Stop aborts the stream (discarding what the device holds) and starts it again: that
    must not look like an unplugged speaker, and the next reply must be heard."""
    microphone = AudioInput(target_rate=16000).open()
    speaker = AudioOutput().open()
    try:
        rate = speaker.rate
        t = np.arange(int(rate * 2.0)) / rate
        tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        speaker.enqueue(tone, rate, 1)
        deadline = time.monotonic() + 5  # a null sink takes a moment to wake up
        while time.monotonic() < deadline and speaker.played_frames() < rate // 4:
            time.sleep(0.02)
        cut = speaker.flush()
        assert 0 < cut < len(tone)
        assert speaker.error is None and speaker.stream.active
        assert speaker.queued_frames() == 0
        time.sleep(0.4)
        microphone.read()  # forget the first tone
        segment = speaker.enqueue(tone[: rate // 2], rate, 2)
        deadline = time.monotonic() + 3
        captured = []
        while time.monotonic() < deadline and speaker.played_frames() < segment.end:
            time.sleep(0.05)
            captured.append(microphone.read())
        time.sleep(0.2)
        captured.append(microphone.read())
    finally:
        speaker.close()
        microphone.close()
    assert speaker.played_frames() >= segment.end  # the clock counts the new reply
    assert np.sum(np.abs(np.concatenate(captured)) > 0.05) > 16000 * 0.25  # and it was heard
