"""How well an exported generator draws a person's mouth on frames it never trained on.

Each held-out frame is generated exactly as training samples were made: the frame's crop with
the lower face blanked, a neutral reference (the first idle-loop frame's crop, mouth closed)
and the drive window of its sound. Inside the inpaint rectangle (the part that is generated):

- ``heldout_psnr_db``: generated vs the true frame;
- ``baseline_psnr_db``: the neutral crop pasted instead, i.e. a face that never moves;
- ``sync_corr``: Pearson correlation, over held-out frames with speech, of the generated
  mouth's opening (how dark the mouth's middle is) with the true frame's opening;
- ``sync_corr_audio``: the same opening against the loudness of the sound in that frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def mouth_opening(crop: np.ndarray) -> float:
    """Darkness of the middle of the mouth (crop pixels, RGB uint8), 0 light .. 1 dark."""
    s = crop.shape[0]
    middle = crop[round(s * 0.5): round(s * 0.68), round(s * 0.35): round(s * 0.65)]
    luma = middle[..., 0] * 0.299 + middle[..., 1] * 0.587 + middle[..., 2] * 0.114
    return 1.0 - float(np.mean(luma)) / 255.0


def _corr(a: list[float], b: list[float]) -> float | None:
    if len(a) < 3 or np.std(a) < 1e-9 or np.std(b) < 1e-9:
        return None
    return round(float(np.corrcoef(a, b)[0, 1]), 3)


def evaluate_heldout(generator: Path, crops: np.ndarray, drives: np.ndarray,
                     held_out: np.ndarray, neutral_index: int,
                     inpaint: tuple[int, int, int, int], speech: np.ndarray,
                     audio: np.ndarray, sample_rate: int, fps: int) -> dict:
    import onnxruntime as ort

    from desktop.likeness.model import _blank

    session = ort.InferenceSession(str(generator), providers=["CPUExecutionProvider"])
    x0, y0, x1, y1 = inpaint
    neutral = crops[neutral_index]
    step = sample_rate // fps
    ours, base = [], []
    opening_gen, opening_true, loudness = [], [], []
    for index in held_out:
        truth = crops[index]
        face = np.concatenate([neutral, _blank(truth, inpaint)], axis=2)
        face = (face.transpose(2, 0, 1)[None] / 255.0).astype(np.float32)
        (out,) = session.run(["crop"], {"face": face,
                                        "audio": drives[index][None].astype(np.float32)})
        made = (np.clip(out[0].transpose(1, 2, 0), 0, 1) * 255 + 0.5).astype(np.uint8)
        ours.append(psnr(made[y0:y1, x0:x1], truth[y0:y1, x0:x1]))
        base.append(psnr(neutral[y0:y1, x0:x1], truth[y0:y1, x0:x1]))
        if index < len(speech) and speech[index]:
            opening_gen.append(mouth_opening(made))
            opening_true.append(mouth_opening(truth))
            part = audio[index * step:(index + 1) * step]
            loudness.append(float(np.sqrt(np.mean(part ** 2))) if part.size else 0.0)
    return {
        "heldout_psnr_db": round(float(np.mean(ours)), 2),
        "baseline_psnr_db": round(float(np.mean(base)), 2),
        "sync_corr": _corr(opening_gen, opening_true),
        "sync_corr_audio": _corr(opening_gen, loudness),
        "sync_corr_truth_audio": _corr(opening_true, loudness),
        "frames": len(held_out), "speech_frames": len(opening_gen),
    }
