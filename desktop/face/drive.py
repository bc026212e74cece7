"""The drive of a hearth-face-v2 generator: log-mel features of the voice's own audio.

The recipe is fixed here and named in the face manifest (``drive.kind = "log_mel"``), so a
model trained on the rights holder's recorded speech is driven at run time by the TTS audio
with exactly the same features:

- mono float audio resampled to ``sample_rate`` (16 kHz) with soxr;
- a periodic Hann window of ``win_length`` samples, FFT of ``n_fft``, hop ``hop`` samples
  (``mels_per_frame`` mel frames per video frame: hop = sample_rate / fps / mels_per_frame);
- power spectrum through ``n_mels`` triangular HTK-mel filters from ``fmin`` to ``fmax``;
- ``max(0, (log10(max(mel, 1e-5)) + 5) / 5)``: digital silence is exactly 0, which is the neutral
  drive, and speech lies roughly in [0, 1.5].

``DriveTrack`` keeps these features on the reply's audio timeline. The TTS worker adds each
chunk's audio when it is queued for the speaker (the media core computes the features, never
the face loop), so the features for a frame and its lookahead exist before the frame is due.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from desktop.errors import require


@dataclass(frozen=True)
class MelRecipe:
    sample_rate: int = 16000
    fps: int = 25
    mels_per_frame: int = 2
    n_fft: int = 512
    win_length: int = 400
    n_mels: int = 40
    fmin: float = 55.0
    fmax: float = 7600.0

    @property
    def hop(self) -> int:
        return self.sample_rate // (self.fps * self.mels_per_frame)

    def check(self) -> None:
        if self.sample_rate % (self.fps * self.mels_per_frame):
            raise ValueError("sample_rate must be a multiple of fps x mels_per_frame")
        if not (self.win_length <= self.n_fft and self.fmin < self.fmax <= self.sample_rate / 2):
            raise ValueError("the mel recipe's window or band is out of range")

    def filterbank(self) -> np.ndarray:
        """[n_mels, n_fft // 2 + 1] triangular filters on the HTK mel scale."""
        def mel(hz: np.ndarray | float) -> np.ndarray:
            return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)

        def hz(m: np.ndarray) -> np.ndarray:
            return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

        edges = hz(np.linspace(mel(self.fmin), mel(self.fmax), self.n_mels + 2))
        bins = np.linspace(0, self.sample_rate / 2, self.n_fft // 2 + 1)
        bank = np.zeros((self.n_mels, bins.size))
        for i in range(self.n_mels):
            low, mid, high = edges[i], edges[i + 1], edges[i + 2]
            rising = (bins - low) / (mid - low)
            falling = (high - bins) / (high - mid)
            bank[i] = np.clip(np.minimum(rising, falling), 0.0, None)
        return bank.astype(np.float32)


class MelExtractor:
    """Features of whole chunks of audio; frame j is centred on sample j * hop."""

    def __init__(self, recipe: MelRecipe) -> None:
        recipe.check()
        self.recipe = recipe
        self._bank = recipe.filterbank()
        n = np.arange(recipe.win_length)
        window = 0.5 - 0.5 * np.cos(2 * math.pi * n / recipe.win_length)  # periodic Hann
        pad = (recipe.n_fft - recipe.win_length) // 2
        self._window = np.pad(window, (pad, recipe.n_fft - recipe.win_length - pad)).astype(
            np.float32)

    def resample(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        if sample_rate == self.recipe.sample_rate or audio.size == 0:
            return audio
        soxr = require("soxr", "soxr", "The face's audio features")
        return soxr.resample(audio, sample_rate, self.recipe.sample_rate).astype(np.float32)

    def features(self, audio: np.ndarray, sample_rate: int | None = None) -> np.ndarray:
        """[frames, n_mels] float32 for ``audio`` (mono), ceil(samples / hop) frames."""
        recipe = self.recipe
        if sample_rate is not None:
            audio = self.resample(audio, sample_rate)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        count = -(-audio.size // recipe.hop)
        if count == 0:
            return np.zeros((0, recipe.n_mels), np.float32)
        half = recipe.n_fft // 2
        padded = np.pad(audio, (half, half + count * recipe.hop))
        starts = np.arange(count) * recipe.hop
        frames = np.lib.stride_tricks.sliding_window_view(padded, recipe.n_fft)[starts]
        spectrum = np.fft.rfft(frames * self._window, axis=1)
        power = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)
        mel = power @ self._bank.T
        # Clipped at 0 so that silence is exactly the neutral drive despite rounding.
        return np.maximum(0.0, (np.log10(np.maximum(mel, 1e-5)) + 5.0) / 5.0).astype(np.float32)


class DriveTrack:
    """Drive features on the speech timeline (seconds of reply audio), for one call.

    Thread-safe: the TTS worker adds chunks and barge-in cuts them, the face loop reads
    windows. Time outside any chunk is silence, whose features are the neutral drive (0).
    """

    def __init__(self, extractor: MelExtractor, past: int, future: int) -> None:
        self.extractor = extractor
        self.recipe = extractor.recipe
        self.past, self.future = past, future
        self._features = np.zeros((0, self.recipe.n_mels), np.float32)
        self._lock = threading.Lock()

    @property
    def window_mels(self) -> int:
        return (self.past + 1 + self.future) * self.recipe.mels_per_frame

    def add_audio(self, audio: np.ndarray, sample_rate: int, start_s: float,
                  features: np.ndarray | None = None) -> None:
        """Called on the TTS worker for each chunk queued at ``start_s``; ``features`` are
        the chunk's own, computed before its audio was queued (``self.extractor.features``)
        so that a frame's lookahead exists before the frame's sound is heard."""
        if features is None:
            features = self.extractor.features(audio, sample_rate)
        if not len(features):
            return
        first = max(0, round(start_s * self.recipe.sample_rate / self.recipe.hop))
        with self._lock:
            end = first + len(features)
            if end > len(self._features):
                # Grown by doubling: a long call adds hundreds of chunks, and copying the
                # whole timeline for each one would cost the TTS worker more every turn.
                # The spare room is zeros, which is silence: what the track means there.
                grown = np.zeros((max(end, 2 * len(self._features)), self.recipe.n_mels),
                                 np.float32)
                grown[: len(self._features)] = self._features
                self._features = grown
            self._features[first:end] = features

    def cut_after(self, at_s: float) -> None:
        """Barge-in: what was not played is never shown."""
        cut = max(0, round(at_s * self.recipe.sample_rate / self.recipe.hop))
        with self._lock:
            self._features[cut:] = 0.0

    def clear(self) -> None:
        with self._lock:
            self._features = np.zeros((0, self.recipe.n_mels), np.float32)

    def window(self, speech_t: float) -> np.ndarray:
        """[window_mels, n_mels]: the frames [t - past, t + future] around ``speech_t``."""
        recipe = self.recipe
        frame = math.floor(speech_t * recipe.fps + 1e-6)
        first = (frame - self.past) * recipe.mels_per_frame
        out = np.zeros((self.window_mels, recipe.n_mels), np.float32)
        with self._lock:
            lo, hi = max(0, first), min(len(self._features), first + self.window_mels)
            if hi > lo:
                out[lo - first: hi - first] = self._features[lo:hi]
        return out
