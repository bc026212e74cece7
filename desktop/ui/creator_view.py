"""Making a persona of one's own: a photo (a file or a webcam frame), the eyes and mouth placed
by dragging points on it, a description, how it writes, a greeting and a voice; a preview of
the face speaking; then install, or export as a .persona signed with the user's key.

Heavy work (decoding, the webcam, rendering the preview, exporting) runs on worker threads.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.app import Hearth
from desktop.errors import HearthError
from desktop.ui.bridge import EngineBridge

POINTS = ("left_eye", "right_eye", "mouth")
START = {"left_eye": (-0.15, -0.13), "right_eye": (0.15, -0.13), "mouth": (0.0, 0.14)}


class PortraitEditor(QWidget):
    """The photo with three draggable points (eyes and mouth), in grid coordinates."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(280, 280)
        self.image: QImage | None = None
        self.points = dict(START)
        self._dragging: str | None = None

    def set_photo(self, rgb: np.ndarray) -> None:
        height, width, _ = rgb.shape
        self._rgb = np.ascontiguousarray(rgb)
        self.image = QImage(self._rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        self.update()

    def _square(self):
        side = min(self.width(), self.height())
        return (self.width() - side) / 2, (self.height() - side) / 2, side

    def to_screen(self, point: tuple[float, float]) -> QPointF:
        left, top, side = self._square()
        return QPointF(left + (point[0] + 1) / 2 * side, top + (point[1] + 1) / 2 * side)

    def to_grid(self, position: QPointF) -> tuple[float, float]:
        left, top, side = self._square()
        return (max(-1.0, min(1.0, (position.x() - left) / side * 2 - 1)),
                max(-1.0, min(1.0, (position.y() - top) / side * 2 - 1)))

    def move_point(self, name: str, grid: tuple[float, float]) -> None:
        self.points[name] = grid
        self.changed.emit()
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1e1f26"))
        left, top, _side = self._square()
        if self.image is not None:
            painter.drawImage(self.rect().adjusted(int(left), int(top), -int(left), -int(top)),
                              self.image)
        painter.setPen(QPen(QColor("#9fd8b5"), 2))
        labels = {"left_eye": self.tr("left eye"), "right_eye": self.tr("right eye"),
                  "mouth": self.tr("mouth")}
        for name, point in self.points.items():
            centre = self.to_screen(point)
            painter.drawEllipse(centre, 7, 7)
            painter.drawText(centre + QPointF(10, 4), labels.get(name, name))

    def mousePressEvent(self, event) -> None:
        position = event.position()
        nearest = min(self.points, key=lambda n: (self.to_screen(self.points[n]) - position)
                      .manhattanLength())
        if (self.to_screen(self.points[nearest]) - position).manhattanLength() < 30:
            self._dragging = nearest

    def mouseMoveEvent(self, event) -> None:
        if self._dragging:
            self.move_point(self._dragging, self.to_grid(event.position()))

    def mouseReleaseEvent(self, _event) -> None:
        self._dragging = None


class CreatorDialog(QDialog):
    created = Signal(str)  # the id of the installed persona

    def __init__(self, hearth: Hearth, parent: QWidget | None = None) -> None:
        # Long: the dialog's widgets and their layout, in the order they appear on it
        super().__init__(parent)
        self.hearth = hearth
        self.photo: bytes = b""
        self.bridge = EngineBridge(self)
        self.setWindowTitle(self.tr("Create a persona"))
        self.resize(900, 600)

        self.editor = PortraitEditor()
        self.preview = QLabel(self.tr("Preview appears here"))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(200, 200)
        self.photo_button = QPushButton(self.tr("Choose a photo…"))
        self.webcam_button = QPushButton(self.tr("Use the webcam"))
        self.preview_button = QPushButton(self.tr("Preview"))
        self.name = QLineEdit()
        self.language = QComboBox()
        self.language.addItems(["en", "zh"])
        # A new persona speaks the user's language unless they choose otherwise.
        self.language.setCurrentText("zh" if getattr(parent, "language", "en") == "zh" else "en")
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(self.tr("Who is this persona? About 200 characters."))
        self.counter = QLabel("0 / 200")
        self.samples = QPlainTextEdit()
        self.samples.setPlaceholderText(self.tr("How it writes: one line each."))
        self.greeting = QLineEdit()
        self.voice = QComboBox()
        self.voice.addItem(self.tr("(any voice in its language)"), None)
        for name in sorted(hearth.inventory.voices()):
            self.voice.addItem(name, name)
        # Whose face this is (docs/face.md, consent): asked before anything is made.
        self.likeness = QComboBox()
        self.likeness.addItem(self.tr("Choose…"), "")
        self.likeness.addItem(self.tr("My own face"), "own")
        self.likeness.addItem(self.tr("Someone who gave me permission"), "permission")
        self.likeness.addItem(self.tr("Nobody real (a drawing, a character)"), "none")
        self.evidence_button = QPushButton(self.tr("Add evidence of permission…"))
        self.evidence_button.setToolTip(self.tr(
            "A signed release or a recording of them agreeing. Without it the persona stays on "
            "this computer: it can be installed, never exported."))
        self.evidence: bytes = b""
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.install_button = QPushButton(self.tr("Install"))
        self.export_button = QPushButton(self.tr("Export…"))

        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self.tr("Description"), self.description)
        form.addRow("", self.counter)
        form.addRow(self.tr("Samples"), self.samples)
        form.addRow(self.tr("Greeting"), self.greeting)
        form.addRow(self.tr("Voice"), self.voice)
        form.addRow(self.tr("Whose face?"), self.likeness)
        form.addRow("", self.evidence_button)
        photo_row = QHBoxLayout()
        for button in (self.photo_button, self.webcam_button, self.preview_button):
            photo_row.addWidget(button)
        left = QVBoxLayout()
        left.addWidget(self.editor, 1)
        left.addLayout(photo_row)
        left.addWidget(self.preview)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.install_button)
        right.addLayout(buttons)
        body = QHBoxLayout(self)
        body.addLayout(left, 1)
        body.addLayout(right, 1)

        self.description.textChanged.connect(
            lambda: self.counter.setText(f"{len(self.description.toPlainText())} / 200"))
        self.photo_button.clicked.connect(self.choose_photo)
        self.webcam_button.clicked.connect(self.capture_webcam)
        self.preview_button.clicked.connect(self.render_preview)
        self.install_button.clicked.connect(self.install)
        self.export_button.clicked.connect(self.export)
        self.evidence_button.clicked.connect(self.choose_evidence)
        self.likeness.currentIndexChanged.connect(self._likeness_changed)
        self._likeness_changed()

    def _likeness_changed(self) -> None:
        basis = self.likeness.currentData()
        self.evidence_button.setVisible(basis == "permission")
        private = basis == "permission" and not self.evidence
        self.export_button.setEnabled(bool(basis) and not private)
        self.install_button.setEnabled(bool(basis))
        if private:
            self.status.setText(self.tr("Without evidence of their permission this persona "
                                        "stays on this computer: install it, it cannot be "
                                        "exported."))

    def choose_evidence(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Evidence of permission"))
        if path:
            self.evidence = Path(path).read_bytes()
            self.status.setText(self.tr("Evidence added."))
            self._likeness_changed()

    # -- plumbing ----------------------------------------------------------------------------
    def _background(self, work: Callable[[], object], done: Callable[[object], None]) -> None:
        self.bridge.background(work, done, lambda error: self.status.setText(str(error)),
                               "creator")

    # -- the photo ---------------------------------------------------------------------------
    def set_photo(self, data: bytes) -> None:
        """Decode ``data`` off the Qt thread and show it for placing the points."""
        def decode() -> tuple[bytes, np.ndarray, dict | None, str]:
            import cv2

            from desktop.personas.creator import square_photo

            try:
                png, square = square_photo(data)
            except HearthError as error:
                raise ValueError(self.tr("That photo cannot be read; choose a PNG or JPEG."
                                         )) from error
            try:
                found, why = self.hearth.find_face(square), ""
            except HearthError as error:
                found, why = None, str(error)
            return png, cv2.cvtColor(square, cv2.COLOR_BGR2RGB), found, why

        def show(result: tuple[bytes, np.ndarray, dict | None, str]) -> None:
            self.photo, rgb, found, why = result
            self.editor.set_photo(rgb)
            if found:
                for name, point in found.items():
                    self.editor.move_point(name, point)
                self.status.setText(self.tr("Hearth found the face. Drag a point if it is off."))
            else:
                self.status.setText(" ".join(part for part in (why, self.tr(
                    "Drag the points onto the eyes and the mouth.")) if part))

        self._background(decode, show)

    def choose_photo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Choose a photo"), "",
                                                    self.tr("Images (*.png *.jpg *.jpeg)"))
        if path:
            self.set_photo(Path(path).read_bytes())

    def capture_webcam(self) -> None:
        def grab() -> bytes:
            import cv2

            camera = cv2.VideoCapture(0)
            try:
                ok, frame = camera.read() if camera.isOpened() else (False, None)
            finally:
                camera.release()
            if not ok:
                raise RuntimeError(self.tr("No camera could be opened. Choose a photo instead."))
            return cv2.imencode(".png", frame)[1].tobytes()

        self._background(grab, self.set_photo)

    # -- the persona ------------------------------------------------------------------------------
    def draft(self):
        import re

        from desktop.face.contract import rig_from_points
        from desktop.personas.creator import PersonaDraft

        name = self.name.text().strip()
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "persona"
        import hashlib

        points = self.editor.points
        basis = self.likeness.currentData()
        evidence = [hashlib.sha256(data).hexdigest() for data in (
            self.photo if basis == "own" else b"", self.evidence) if data]
        return PersonaDraft(
            f"user.{slug}", name, self.description.toPlainText(), self.photo,
            self.language.currentText(), sample_lines=[
                line.strip() for line in self.samples.toPlainText().splitlines() if line.strip()],
            greeting=self.greeting.text(), voice=self.voice.currentData(),
            face_rig=rig_from_points(points["left_eye"], points["right_eye"], points["mouth"]),
            likeness=basis if basis in ("own", "permission") else None,
            evidence_sha256=evidence)

    def render_preview(self) -> None:
        if not self.photo:
            self.status.setText(self.tr("Choose a photo first."))
            return
        rig = self.draft().face_rig

        def render() -> np.ndarray:
            import cv2

            from desktop.face.contract import FaceParams, FaceRig
            from desktop.face.renderer import FaceRenderer
            from desktop.paths import asset_path

            portrait = cv2.cvtColor(cv2.imdecode(np.frombuffer(self.photo, np.uint8),
                                                 cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            renderer = FaceRenderer.load(asset_path("renderer", "builtin-warp.onnx"), portrait,
                                         FaceRig.from_dict(rig), size=256)
            params = FaceParams()
            params["jaw_open"] = 0.7  # speaking: shows whether the mouth point is right
            return renderer.render(params)

        def show(frame: np.ndarray) -> None:
            from PySide6.QtGui import QPixmap

            self._preview_rgb = np.ascontiguousarray(frame[..., :3])
            height, width, _ = self._preview_rgb.shape
            image = QImage(self._preview_rgb.data, width, height, 3 * width,
                           QImage.Format.Format_RGB888)
            self.preview.setPixmap(QPixmap.fromImage(image))

        self._background(render, show)

    def _signer(self):
        from desktop.personas.creator import user_signer

        return user_signer(self.hearth.dirs.root / "keys")

    def install(self) -> None:
        draft = self.draft()

        def work() -> str:
            from desktop.personas.creator import export_draft

            with tempfile.TemporaryDirectory() as folder:
                # A private likeness is installed from a file that is gone right after.
                path = export_draft(draft, Path(folder) / "new.persona", self._signer(),
                                    allow_private=True)
                return self.hearth.import_bundle(path).persona_id

        def done(persona_id: str) -> None:
            self.status.setText(self.tr("Installed."))
            self.created.emit(persona_id)

        self._background(work, done)

    def export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Export the persona"),
                                                    "persona.persona",
                                                    self.tr("Persona bundles (*.persona)"))
        if not path:
            return
        draft = self.draft()

        def work() -> Path:
            from desktop.personas.creator import export_draft

            return export_draft(draft, Path(path), self._signer())

        self._background(work, lambda p: self.status.setText(
            self.tr("Exported to {path}, signed with your key.").format(path=p)))
