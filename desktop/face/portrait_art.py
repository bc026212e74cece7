"""Draws the bundled persona's portrait with OpenCV: original artwork made by code, no photo.

``python -m desktop.face.portrait_art`` rewrites ``personas/wren/portrait.png``
and prints the face rig (grid coordinates) that goes into the persona's ``persona.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.errors import require

SIZE = 512


def _grid(px: float) -> float:
    return round(px / SIZE * 2.0 - 1.0, 4)


def draw_portrait() -> tuple[np.ndarray, dict]:
    # Long: one drawing, stroke by stroke
    cv2 = require("cv2", "opencv-python-headless", "Drawing the portrait")
    s = SIZE
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    # Warm evening background: a vertical gradient with a soft lamp glow.
    bg = np.stack([
        0.28 + 0.25 * yy, 0.30 + 0.15 * yy, 0.45 - 0.1 * yy,
    ], axis=-1)
    glow = np.exp(-(((xx - 0.78) ** 2 + (yy - 0.22) ** 2) / 0.03))[..., None]
    bg = bg + glow * np.array([0.35, 0.30, 0.15])
    image = (np.clip(bg, 0, 1) * 255).astype(np.uint8)  # RGB

    def color(r: int, g: int, b: int) -> tuple[int, int, int]:
        return (r, g, b)

    skin, skin_shadow = color(224, 178, 148), color(196, 146, 118)
    hair, hair_light = color(92, 58, 44), color(128, 84, 60)
    sweater = color(70, 112, 104)
    cx, cy = s // 2, int(s * 0.46)
    face_w, face_h = int(s * 0.19), int(s * 0.25)

    cv2.ellipse(image, (cx, int(s * 1.02)), (int(s * 0.40), int(s * 0.22)), 0, 180, 360,
                sweater, -1, cv2.LINE_AA)
    cv2.rectangle(image, (cx - int(s * 0.06), cy + int(face_h * 0.7)),
                  (cx + int(s * 0.06), int(s * 0.86)), skin_shadow, -1, cv2.LINE_AA)
    # Hair behind the face.
    cv2.ellipse(image, (cx, cy - int(face_h * 0.08)), (int(face_w * 1.28), int(face_h * 1.12)),
                0, 0, 360, hair, -1, cv2.LINE_AA)
    cv2.ellipse(image, (cx, cy), (face_w, face_h), 0, 0, 360, skin, -1, cv2.LINE_AA)
    # Fringe.
    cv2.ellipse(image, (cx - int(face_w * 0.35), cy - int(face_h * 0.78)),
                (int(face_w * 0.85), int(face_h * 0.38)), -12, 0, 360, hair, -1, cv2.LINE_AA)
    cv2.ellipse(image, (cx + int(face_w * 0.55), cy - int(face_h * 0.82)),
                (int(face_w * 0.6), int(face_h * 0.3)), 15, 0, 360, hair_light, -1, cv2.LINE_AA)
    # Ears.
    for side in (-1, 1):
        cv2.ellipse(image, (cx + side * face_w, cy + int(face_h * 0.05)),
                    (int(face_w * 0.14), int(face_h * 0.16)), 0, 0, 360, skin_shadow, -1,
                    cv2.LINE_AA)
    eye_y = cy - int(face_h * 0.10)
    eye_dx = int(face_w * 0.42)
    eyes = []
    for side in (-1, 1):
        ex = cx + side * eye_dx
        eyes.append((ex, eye_y))
        cv2.ellipse(image, (ex, eye_y), (int(face_w * 0.22), int(face_h * 0.075)), 0, 0, 360,
                    color(250, 246, 240), -1, cv2.LINE_AA)
        cv2.circle(image, (ex, eye_y), int(face_h * 0.062), color(74, 110, 92), -1, cv2.LINE_AA)
        cv2.circle(image, (ex, eye_y), int(face_h * 0.03), color(20, 20, 24), -1, cv2.LINE_AA)
        cv2.circle(image, (ex + 4, eye_y - 4), 3, color(255, 255, 255), -1, cv2.LINE_AA)
        cv2.ellipse(image, (ex, eye_y), (int(face_w * 0.23), int(face_h * 0.08)), 0, 190, 350,
                    color(60, 40, 36), 3, cv2.LINE_AA)
        cv2.ellipse(image, (ex, eye_y - int(face_h * 0.19)), (int(face_w * 0.24), 10), 0, 200,
                    340, hair, 6, cv2.LINE_AA)
    # Nose.
    cv2.ellipse(image, (cx, cy + int(face_h * 0.16)), (int(face_w * 0.1), int(face_h * 0.06)),
                0, 10, 170, skin_shadow, 3, cv2.LINE_AA)
    # Cheeks.
    for side in (-1, 1):
        overlay = image.copy()
        cv2.circle(overlay, (cx + side * int(face_w * 0.55), cy + int(face_h * 0.22)),
                   int(face_w * 0.16), color(236, 150, 140), -1, cv2.LINE_AA)
        image = cv2.addWeighted(overlay, 0.35, image, 0.65, 0)
    # Lips, closed and smiling a little.
    mouth_y = cy + int(face_h * 0.45)
    mouth_w, mouth_h = int(face_w * 0.36), int(face_h * 0.07)
    cv2.ellipse(image, (cx, mouth_y), (mouth_w, mouth_h), 0, 0, 180, color(178, 86, 92), -1,
                cv2.LINE_AA)
    cv2.ellipse(image, (cx, mouth_y), (mouth_w, int(mouth_h * 0.6)), 0, 180, 360,
                color(160, 72, 80), -1, cv2.LINE_AA)
    cv2.line(image, (cx - mouth_w, mouth_y), (cx + mouth_w, mouth_y), color(110, 50, 56), 2,
             cv2.LINE_AA)
    rig = {
        "left_eye": [_grid(eyes[0][0]), _grid(eyes[0][1])],
        "right_eye": [_grid(eyes[1][0]), _grid(eyes[1][1])],
        "mouth_center": [_grid(cx), _grid(mouth_y)],
        "mouth_size": [round(2 * mouth_w / s * 2, 4), round(2 * mouth_h / s * 2, 4)],
        "face_center": [_grid(cx), _grid(cy)],
        "face_size": [round(2 * face_w / s * 2, 4), round(2 * face_h / s * 2, 4)],
    }
    return image, rig


def write_portrait(path: Path) -> dict:
    cv2 = require("cv2", "opencv-python-headless", "Drawing the portrait")
    image, rig = draw_portrait()
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return rig


if __name__ == "__main__":
    import json

    from desktop.paths import shipped

    print(json.dumps(write_portrait(shipped("personas", "wren", "portrait.png"))))
