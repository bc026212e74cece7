"""The window's two pages (chat, call) and its style sheet: widgets only, no behaviour."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.face_widget import FaceWidget

STYLE = """
QMainWindow, QWidget { background: #26272f; color: #e8e6e3; font-size: 14px; }
QListWidget { background: #1e1f26; border: none; padding: 6px; }
QListWidget::item { padding: 10px; border-radius: 8px; margin: 2px; }
QListWidget::item:selected { background: #3b3d4a; }
QTextBrowser, QLineEdit { background: #1e1f26; border: 1px solid #3b3d4a; border-radius: 8px;
    padding: 8px; }
QPushButton { background: #3b3d4a; border: none; border-radius: 8px; padding: 8px 16px; }
QPushButton:hover { background: #4a4c5c; }
QPushButton:disabled { color: #777; }
QPushButton#call { background: #2e7d5b; }
QPushButton#stop { background: #a3423a; }
QLabel#banner { background: #5a4a1e; border-radius: 8px; padding: 10px; color: #fff3cf; }
QLabel#caption { font-size: 18px; padding: 8px; color: #fdfcf8; }
QLabel#badge { color: #9fd8b5; }
QLabel#meter { color: #9a98a0; font-size: 12px; }
QLabel#hearing { color: #8fb8ff; font-size: 14px; padding: 2px; }
QGroupBox { border: 1px solid #3b3d4a; border-radius: 8px; margin-top: 14px; padding: 10px; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; color: #9fd8b5; }
QProgressBar { background: #1e1f26; border: 1px solid #3b3d4a; border-radius: 6px;
    text-align: center; }
QProgressBar::chunk { background: #2e7d5b; border-radius: 6px; }
QRadioButton::indicator { width: 12px; height: 12px; border-radius: 7px;
    border: 2px solid #9fd8b5; }
QRadioButton::indicator:checked { background: #9fd8b5; }
"""


class ChatPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transcript = QTextBrowser()
        self.transcript.setOpenExternalLinks(False)
        self.input = QLineEdit()
        self.input.setPlaceholderText(self.tr("Write a message…"))
        self.send = QPushButton(self.tr("Send"))
        self.stop = QPushButton(self.tr("Stop"))
        self.stop.setObjectName("stop")
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send)
        row.addWidget(self.stop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(row)


class CallPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.face = FaceWidget()
        self.disclosure = QLabel()
        self.disclosure.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.disclosure.setObjectName("meter")
        self.caption = QLabel("")
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setMinimumHeight(64)
        # What Hearth hears the user say, live, and whether it is listening at all.
        self.hearing = QLabel("")
        self.hearing.setObjectName("hearing")
        self.hearing.setWordWrap(True)
        self.hearing.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.meter = QLabel("")
        self.meter.setObjectName("meter")
        self.meter.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.meter.hide()  # on demand: the Latency button
        self.input = QLineEdit()
        self.input.setPlaceholderText(self.tr("Say something (type it)…"))
        self.start = QPushButton(self.tr("Call"))
        self.start.setObjectName("call")
        self.stop = QPushButton(self.tr("Stop"))
        self.stop.setObjectName("stop")
        self.hangup = QPushButton(self.tr("Hang up"))
        self.hangup.setEnabled(False)  # until a call is on
        self.timer = QLabel("")  # how long the call has lasted
        self.timer.setObjectName("meter")
        self.timer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.mute = QPushButton(self.tr("Mute"))
        self.mute.setCheckable(True)
        self.mute.setEnabled(False)
        self.latency = QPushButton(self.tr("Latency"))
        self.latency.setCheckable(True)
        self.latency.toggled.connect(self.meter.setVisible)
        self.microphones = QComboBox()
        self.speakers = QComboBox()
        self.microphones.setToolTip(self.tr("Microphone"))
        self.speakers.setToolTip(self.tr("Speaker"))
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.start)
        row.addWidget(self.mute)
        row.addWidget(self.stop)
        row.addWidget(self.hangup)
        devices = QHBoxLayout()
        devices.addWidget(self.microphones, 1)
        devices.addWidget(self.speakers, 1)
        devices.addWidget(self.latency)
        layout = QVBoxLayout(self)
        layout.addWidget(self.face, 1)
        layout.addWidget(self.disclosure)
        layout.addWidget(self.timer)
        layout.addWidget(self.caption)
        layout.addWidget(self.hearing)
        layout.addWidget(self.meter)
        layout.addLayout(row)
        layout.addLayout(devices)
