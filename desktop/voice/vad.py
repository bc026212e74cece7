"""Voice activity: Silero VAD (v4 or v5 ONNX graphs) on onnxruntime.

    vad = SileroVAD.load(path)
    for probability in vad.push(samples_16k):   # one per 32 ms window
        ...

We run the graph ourselves rather than through sherpa-onnx's detector because the call needs
the raw probability of every window: end-of-turn and barge-in are decided by our own
turn-taking rules (desktop.call.turns), not by a fixed segmenter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.errors import HearthError, require

SAMPLE_RATE = 16000
WINDOW = 512  # samples per decision at 16 kHz: 32 ms
WINDOW_S = WINDOW / SAMPLE_RATE
V5_CONTEXT = 64  # v5 sees the last 64 samples of the previous window as well


class VadUnusable(HearthError):
    """A file that is not a Silero VAD graph Hearth can run."""


class SileroVAD:
    def __init__(self, path: Path, threads: int = 1) -> None:
        self.path = Path(path)
        self.threads = threads
        self.session = None
        self.version = 0
        self._pending = np.zeros(0, np.float32)
        self._context = np.zeros(V5_CONTEXT, np.float32)
        self._state: dict[str, np.ndarray] = {}

    @classmethod
    def load(cls, path: Path, threads: int = 1) -> SileroVAD:
        vad = cls(path, threads)
        vad._open()
        return vad

    def _open(self) -> None:
        ort = require("onnxruntime", "onnxruntime", "Listening (voice activity detection)")
        if not self.path.is_file():
            raise VadUnusable(f"The voice activity model {self.path} is missing.",
                              "Download it in Setup, or put silero_vad.onnx in the models "
                              "folder's 'vad' directory.")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(self.path), options,
                                           providers=["CPUExecutionProvider"])
        except Exception as error:
            raise VadUnusable(f"{self.path.name} is not a loadable ONNX model ({error}).",
                              "Download the voice activity model again in Setup.") from error
        inputs = [i.name for i in session.get_inputs()]
        outputs = [o.name for o in session.get_outputs()]
        if inputs == ["input", "state", "sr"] and outputs == ["output", "stateN"]:
            self.version = 5
        elif inputs == ["input", "sr", "h", "c"] and outputs == ["output", "hn", "cn"]:
            self.version = 4
        else:
            raise VadUnusable(
                f"{self.path.name} is not a Silero VAD v4/v5 model (inputs {inputs}).",
                "Use silero_vad.onnx from the catalog.")
        self.session = session
        self.reset()

    def reset(self) -> None:
        """Forget the stream so far (a new call, or a device change)."""
        self._pending = np.zeros(0, np.float32)
        self._context = np.zeros(V5_CONTEXT, np.float32)
        if self.version == 5:
            self._state = {"state": np.zeros((2, 1, 128), np.float32)}
        else:
            self._state = {"h": np.zeros((2, 1, 64), np.float32),
                           "c": np.zeros((2, 1, 64), np.float32)}

    def push(self, samples: np.ndarray) -> list[float]:
        """Speech probability of every whole window completed by ``samples`` (16 kHz mono)."""
        self._pending = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        probabilities = []
        while len(self._pending) >= WINDOW:
            window, self._pending = self._pending[:WINDOW], self._pending[WINDOW:]
            probabilities.append(self._run(window))
        return probabilities

    def _run(self, window: np.ndarray) -> float:
        rate = np.array(SAMPLE_RATE, np.int64)
        if self.version == 5:
            framed = np.concatenate([self._context, window])[None, :]
            self._context = window[-V5_CONTEXT:]
            output, state = self.session.run(None, {"input": framed, "sr": rate, **self._state})
            self._state = {"state": state}
        else:
            output, h, c = self.session.run(None, {"input": window[None, :], "sr": rate,
                                                   **self._state})
            self._state = {"h": h, "c": c}
        return float(np.asarray(output).reshape(-1)[0])


def trial_load_child(path: Path) -> None:
    """desktop.trial's one load of a VAD graph, in its child process."""
    SileroVAD.load(path).push(np.zeros(1024, np.float32))
