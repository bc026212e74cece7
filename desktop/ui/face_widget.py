"""Paints the newest frame from the face mailbox. It never renders: a timer picks up
whatever frame the face worker last finished and paints it, or the still portrait."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.call.video import FrameMailbox


def to_qimage(rgb: np.ndarray) -> QImage:
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels; the numpy buffer may be replaced


class FaceWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mailbox: FrameMailbox | None = None
        self.still: QImage | None = None
        self.painted_frames = 0
        self._last_number = -1
        self._image: QImage | None = None
        self.setMinimumSize(240, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def set_still(self, rgb: np.ndarray) -> None:
        self.still = to_qimage(rgb)
        self.update()

    def _poll(self) -> None:
        if self.mailbox is None:
            return
        frame = self.mailbox.latest()
        if frame is None or (frame.number == self._last_number and self._image is not None):
            return
        self._last_number = frame.number
        self._image = to_qimage(frame.image)
        self.update()

    def current_image(self) -> QImage | None:
        return self._image if self.mailbox is not None and self._image else self.still

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), QColor("#1e1f26"))
        image = self.current_image()
        if image is None:
            return
        # Fit the frame inside the widget with its own aspect ratio (a 2:3 portrait or a 16:9
        # loop is letterboxed, never squashed).
        room_w, room_h = self.width() - 16, self.height() - 16
        scale = min(room_w / image.width(), room_h / image.height())
        w, h = image.width() * scale, image.height() * scale
        target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        path = QPainterPath()
        path.addRoundedRect(target, 18, 18)
        painter.setClipPath(path)
        painter.drawImage(target, image)
        self.painted_frames += 1
