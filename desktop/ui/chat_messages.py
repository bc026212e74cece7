"""What the user does to single messages in the chat: swipe the greeting of an empty chat to
another, rewrite a message, delete one; and the speakers' pictures beside the messages.

The links are in the transcript's own text (``hearth:VERB/N``, see desktop.ui.transcript).
Changing a message waits for the store's commit and rebuilds the persona's context, so it
runs on a worker through the bridge; the window's input stays disabled until it is done,
so no message is sent into a context being rebuilt."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, QUrl
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMessageBox

from desktop.errors import HearthError
from desktop.ui.face_widget import to_qimage

AVATAR_PIXELS = 64  # drawn at twice the shown size: sharp on a high-density screen


def round_avatar(picture: QImage | None, letter: str, color: str) -> QImage:
    """A round picture: the middle of ``picture``, or ``letter`` on ``color`` when there is
    none (the user has no portrait)."""
    image = QImage(AVATAR_PIXELS, AVATAR_PIXELS, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    circle = QPainterPath()
    circle.addEllipse(QRectF(0, 0, AVATAR_PIXELS, AVATAR_PIXELS))
    painter.setClipPath(circle)
    if picture is not None and not picture.isNull():
        side = min(picture.width(), picture.height())
        middle = picture.copy((picture.width() - side) // 2, (picture.height() - side) // 2,
                              side, side)
        painter.drawImage(QRectF(0, 0, AVATAR_PIXELS, AVATAR_PIXELS), middle)
    else:
        painter.fillPath(circle, QColor(color))
        font = QFont()
        font.setPixelSize(AVATAR_PIXELS // 2)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#1e1f26"))
        painter.drawText(QRectF(0, 0, AVATAR_PIXELS, AVATAR_PIXELS),
                         Qt.AlignmentFlag.AlignCenter, letter[:1].upper())
    painter.end()
    return image


class ChatMessages(QObject):
    def __init__(self, window: QMainWindow) -> None:
        # The MainWindow (not imported here: it imports this module).
        super().__init__(window)
        self.window = window
        self.edit_dialog: QInputDialog | None = None  # open while a message is rewritten
        self.delete_box: QMessageBox | None = None

    def show_avatars(self, persona, rgb, user_name: str) -> None:
        """The persona's portrait (``rgb``, an array as desktop.face.loading reads it) and
        the user's initial, for the transcript's messages."""
        window = self.window
        picture = to_qimage(np.ascontiguousarray(rgb))
        you = user_name or self.tr("You")
        window.chat.transcript.avatars = {
            "persona": round_avatar(picture, persona.name(window.language), "#9fd8b5"),
            "user": round_avatar(None, you, "#8fb8ff")}

    def clicked(self, url: QUrl) -> None:
        """A link in the transcript: a greeting swiped, a message to edit or delete."""
        verb, _, argument = url.path().partition("/")
        window = self.window
        if url.scheme() != "hearth" or window.conversation is None:
            return
        try:
            number = int(argument)
        except ValueError:
            return
        if verb == "greeting":
            text = window.transcript.swipe(number)
            if text is not None:
                window.conversation.greeting = text
                window.render_transcript()
        elif verb in ("edit", "delete") and 0 <= number < len(window.transcript.lines):
            line = window.transcript.lines[number]
            if line.row is not None:
                (self.edit if verb == "edit" else self.delete)(line.row, line.text)

    def edit(self, row: int, text: str) -> None:
        window = self.window
        dialog = self.edit_dialog = QInputDialog(window)
        dialog.setWindowTitle(self.tr("Edit message"))
        dialog.setLabelText(self.tr("What the message says from now on (the persona reads "
                                    "it so in what follows):"))
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setTextValue(text)
        dialog.resize(520, 260)
        if not dialog.exec() or not dialog.textValue().strip() \
                or dialog.textValue().strip() == text:
            return
        new_text = dialog.textValue().strip()
        self._change(lambda conversation: conversation.edit_message(row, new_text),
                     lambda: self._edited(row, new_text))

    def delete(self, row: int, text: str) -> None:
        window = self.window
        box = self.delete_box = QMessageBox(window)
        box.setWindowTitle(self.tr("Delete message"))
        shown = text if len(text) <= 160 else text[:157] + "…"
        box.setText(self.tr("Delete this message?\n\n“{text}”").format(text=shown))
        box.setInformativeText(self.tr("The persona will no longer read it. What Hearth "
                                       "remembered from it stays in Memory, where you can "
                                       "forget it."))
        delete = box.addButton(self.tr("Delete"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is not delete:
            return
        self._change(lambda conversation: conversation.delete_message(row),
                     lambda: self._deleted(row))

    def _change(self, work, done) -> None:
        window = self.window
        conversation = window.conversation
        window.set_ready(False)

        def finished(_result: object) -> None:
            if conversation is window.conversation:
                done()
                window.set_ready(conversation.llm is not None)

        def failed(error: Exception) -> None:
            if conversation is not window.conversation:
                return
            window.set_ready(conversation.llm is not None)
            why = str(error) if isinstance(error, HearthError) else self.tr(
                "something went wrong inside Hearth. Please report it, with Hearth's log.")
            window.show_problems_text([self.tr("The message was not changed: {why}").format(
                why=why)])

        window.bridge.background(lambda: work(conversation), finished, failed,
                                 name="edit-message")

    def _edited(self, row: int, text: str) -> None:
        index = self.window.transcript.line_of_row(row)
        if index is not None:
            self.window.transcript.lines[index].text = text
        self.window.render_transcript()

    def _deleted(self, row: int) -> None:
        index = self.window.transcript.line_of_row(row)
        if index is not None:
            self.window.transcript.remove(index)
        self.window.render_transcript()
