"""The window's two pages (chat, call) and its style sheet: widgets only, no behaviour."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.face_widget import FaceWidget

# The window's colours: dark (the default) and light. Every colour the style sheet uses.
THEMES = {
    "dark": {"bg": "#26272f", "fg": "#e8e6e3", "field": "#1e1f26", "line": "#3b3d4a",
             "hover": "#4a4c5c", "muted": "#9a98a0", "accent": "#9fd8b5", "call": "#2e7d5b",
             "stop": "#a3423a", "banner": "#5a4a1e", "banner_fg": "#fff3cf",
             "caption": "#fdfcf8", "hearing": "#8fb8ff", "disabled": "#777"},
    "light": {"bg": "#f4f2ee", "fg": "#23232a", "field": "#ffffff", "line": "#cfcbc4",
              "hover": "#e2ded7", "muted": "#6c6a72", "accent": "#2e7d5b", "call": "#3d9c72",
              "stop": "#c0574e", "banner": "#f6e3b0", "banner_fg": "#4a3a10",
              "caption": "#1b1b20", "hearing": "#2f5fb3", "disabled": "#a8a5a0"},
}


def style_sheet(theme: str = "dark", text_size: int = 14) -> str:
    """The window's style sheet in ``theme`` with text of ``text_size`` points (the caption
    and the small labels keep their proportion)."""
    c = {**THEMES.get(theme, THEMES["dark"]), "size": text_size,
         "big": round(text_size * 9 / 7), "small": max(9, round(text_size * 6 / 7))}
    return """
QMainWindow, QWidget, QDialog {{ background: {bg}; color: {fg}; font-size: {size}px; }}
QListWidget {{ background: {field}; border: none; padding: 6px; }}
QListWidget::item {{ padding: 10px; border-radius: 8px; margin: 2px; }}
QListWidget::item:selected {{ background: {line}; }}
QTextBrowser, QLineEdit, QPlainTextEdit, QComboBox, QSpinBox, QDoubleSpinBox {{
    background: {field}; border: 1px solid {line}; border-radius: 8px; padding: 8px; }}
QPushButton {{ background: {line}; border: none; border-radius: 8px; padding: 8px 16px; }}
QPushButton:hover {{ background: {hover}; }}
QPushButton:disabled {{ color: {disabled}; }}
QPushButton#call {{ background: {call}; }}
QPushButton#stop {{ background: {stop}; }}
QPushButton#call:disabled, QPushButton#stop:disabled {{ background: {line}; }}
QLabel#banner {{ background: {banner}; border-radius: 8px; padding: 10px; color: {banner_fg}; }}
QLabel#caption {{ font-size: {big}px; padding: 8px; color: {caption}; }}
QLabel#badge {{ color: {accent}; }}
QLabel#meter {{ color: {muted}; font-size: {small}px; }}
QLabel#hearing {{ color: {hearing}; font-size: {size}px; padding: 2px; }}
QGroupBox {{ border: 1px solid {line}; border-radius: 8px; margin-top: 14px; padding: 10px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; color: {accent}; }}
QProgressBar {{ background: {field}; border: 1px solid {line}; border-radius: 6px;
    text-align: center; }}
QProgressBar::chunk {{ background: {call}; border-radius: 6px; }}
QRadioButton::indicator {{ width: 12px; height: 12px; border-radius: 7px;
    border: 2px solid {accent}; }}
QRadioButton::indicator:checked {{ background: {accent}; }}
""".format(**c)


STYLE = style_sheet()


class MessageInput(QPlainTextEdit):
    """Where a chat message is written: Enter sends, Shift+Enter starts a new line, and it
    grows to a few lines as the message does. Speaks QLineEdit's verbs, so the window treats
    both inputs alike."""

    returnPressed = Signal()
    textEdited = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._changed)
        self._fit()

    def keyPressEvent(self, event) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.returnPressed.emit()
            return
        super().keyPressEvent(event)

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:
        self.setPlainText(text)

    def _changed(self) -> None:
        self._fit()
        self.textEdited.emit(self.toPlainText())

    def _fit(self) -> None:
        blocks = self.document().blockCount()
        lines = min(6, max(1, blocks))
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded if blocks > 6
                                        else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        height = self.fontMetrics().lineSpacing() * lines + 26
        self.setFixedHeight(height)


class TranscriptView(QTextBrowser):
    """The chat's messages. Its links are the chat's own actions (the window handles them),
    never followed; the speakers' pictures come from ``avatars`` (``avatar:user``,
    ``avatar:persona``), which survive every re-render."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.avatars: dict[str, QImage] = {}

    def loadResource(self, kind: int, url: QUrl) -> object:
        if url.scheme() == "avatar":
            return self.avatars.get(url.path(), QImage())
        return None  # nothing else is loaded: no file, no network


class ChatPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transcript = TranscriptView()
        self.input = MessageInput()
        self.input.setPlaceholderText(self.tr("Write a message…"))
        self.send = QPushButton(self.tr("Send"))
        self.stop = QPushButton(self.tr("Stop"))
        self.stop.setObjectName("stop")
        self.regenerate = QPushButton(self.tr("Again"))
        self.regenerate.setToolTip(self.tr("Write the last reply again"))
        self.regenerate.setEnabled(False)
        self.new_chat = QPushButton(self.tr("New chat"))
        self.new_chat.setToolTip(self.tr("Start afresh; what it remembers about you stays"))
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send)
        row.addWidget(self.stop)
        row.addWidget(self.regenerate)
        row.addWidget(self.new_chat)
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
