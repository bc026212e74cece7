"""How well an exported generator draws a person's mouth on frames it never trained on.

Each held-out frame is generated exactly as the app generates it: from footage of the person
silent (the first idle-loop frame as the reference; as the blanked copy, the same frame, or
where the self-test has it, a twin of the held-out frame with the same head pose and the
mouth at rest) and the drive window of the held-out frame's sound, so nothing of the true
mouth reaches the model. Inside the inpaint rectangle (the part that is generated), against
the true frame:

- ``heldout_psnr_db``: the mouth (the middle of the lower face, where a speaking and a still
  face differ) generated vs the true frame; ``heldout_lower_face_psnr_db`` over the whole
  rectangle;
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
                     audio: np.ndarray, sample_rate: int, fps: int,
                     contexts: np.ndarray | None = None) -> dict:
    # Long: one held-out evaluation run exactly as the runtime renders, then scored
    import onnxruntime as ort

    session = ort.InferenceSession(str(generator), providers=["CPUExecutionProvider"])
    neutral = crops[neutral_index]
    step = sample_rate // fps

    def generate(context: np.ndarray, index: int) -> np.ndarray:
        from desktop.likeness.model import _blank

        face = np.concatenate([neutral, _blank(context, inpaint)], axis=2)
        face = (face.transpose(2, 0, 1)[None] / 255.0).astype(np.float32)
        (out,) = session.run(["crop"], {"face": face,
                                        "audio": drives[index][None].astype(np.float32)})
        return (np.clip(out[0].transpose(1, 2, 0), 0, 1) * 255 + 0.5).astype(np.uint8)

    x0, y0, x1, y1 = inpaint
    s = crops.shape[1]
    # The mouth: where the generated and a still face differ (the rest of the rectangle is
    # cheek and chin that any good copy of the footage gets right).
    m0, m1, n0, n1 = round(0.28 * s), round(0.72 * s), round(0.42 * s), round(0.78 * s)
    figures: dict = {"frames": len(held_out)}
    ours, base, ours_face, base_face = [], [], [], []
    opening_gen, opening_true, loudness = [], [], []
    for index in held_out:
        truth = crops[index]
        made = generate(neutral, index)  # as the app draws it: on a loop frame
        ours.append(psnr(made[n0:n1, m0:m1], truth[n0:n1, m0:m1]))
        base.append(psnr(neutral[n0:n1, m0:m1], truth[n0:n1, m0:m1]))
        ours_face.append(psnr(made[y0:y1, x0:x1], truth[y0:y1, x0:x1]))
        base_face.append(psnr(neutral[y0:y1, x0:x1], truth[y0:y1, x0:x1]))
        if index < len(speech) and speech[index]:
            opening_gen.append(mouth_opening(made) - mouth_opening(neutral))
            opening_true.append(mouth_opening(truth) - mouth_opening(neutral))
            part = audio[index * step:(index + 1) * step]
            loudness.append(float(np.sqrt(np.mean(part ** 2))) if part.size else 0.0)
    figures.update({
        "heldout_psnr_db": round(float(np.mean(ours)), 2),
        "baseline_psnr_db": round(float(np.mean(base)), 2),
        "heldout_lower_face_psnr_db": round(float(np.mean(ours_face)), 2),
        "baseline_lower_face_psnr_db": round(float(np.mean(base_face)), 2),
        "sync_corr": _corr(opening_gen, opening_true),
        "sync_corr_audio": _corr(opening_gen, loudness),
        "sync_corr_truth_audio": _corr(opening_true, loudness),
        "speech_frames": len(opening_gen),
        "mouth_opening_range_generated": round(float(np.ptp(opening_gen)), 3)
        if opening_gen else None,
        "mouth_opening_range_true": round(float(np.ptp(opening_true)), 3)
        if opening_true else None,
    })
    if contexts is not None:
        # Stricter: at each frame's own head pose (a twin with the mouth at rest), so the
        # only difference left is the mouth itself.
        posed, posed_base = [], []
        for number, index in enumerate(held_out):
            truth, context = crops[index], contexts[number]
            made = generate(context, index)
            posed.append(psnr(made[n0:n1, m0:m1], truth[n0:n1, m0:m1]))
            posed_base.append(psnr(context[n0:n1, m0:m1], truth[n0:n1, m0:m1]))
        figures["posed_psnr_db"] = round(float(np.mean(posed)), 2)
        figures["posed_resting_psnr_db"] = round(float(np.mean(posed_base)), 2)
    return figures
