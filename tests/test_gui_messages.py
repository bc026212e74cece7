"""Single messages in the real window, offscreen: the greeting swiped to another before the
user answers, a message rewritten or deleted (in the store and in what the persona reads),
and the speakers' pictures beside the messages."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.gui


def _click(window, link: str) -> None:
    from PySide6.QtCore import QUrl

    assert link in window.chat.transcript.toHtml() or link in window.transcript.to_html(
        window._labels(), editable=True)
    window.chat.transcript.anchorClicked.emit(QUrl(link))


def _wait_settled(window, qtbot) -> None:
    qtbot.waitUntil(lambda: window.conversation.history
                    and window.conversation.history[-1].role == "assistant"
                    and not window.chat.stop.isEnabled() and window.chat.send.isEnabled(),
                    timeout=30000)


def test_the_greeting_is_swiped_and_the_chat_begins_with_the_one_answered(window, qtbot
                                                                         ) -> None:
    greetings = window.persona.greetings_in("en")
    assert len(greetings) == 3  # Wren has two other openings
    qtbot.waitUntil(lambda: greetings[0] in window.chat.transcript.toPlainText(), timeout=5000)
    assert "1/3" in window.chat.transcript.toPlainText()
    _click(window, "hearth:greeting/1")
    shown = window.chat.transcript.toPlainText()
    assert greetings[1] in shown and greetings[0] not in shown and "2/3" in shown
    assert window.conversation.greeting == greetings[1]  # a call would greet with it too
    window.chat.input.setText("The mint is doing well, then?")
    window.chat.send.click()
    _wait_settled(window, qtbot)
    store, persona_id = window.hearth.store, window.persona.id
    qtbot.waitUntil(lambda: len(store.turns(persona_id)) == 3, timeout=10000)
    assert [(t.role, t.text) for t in store.turns(persona_id)][:2] == [
        ("assistant", greetings[1]), ("user", "The mint is doing well, then?")]
    assert window.conversation.history[0].text == greetings[1]
    assert "2/3" not in window.chat.transcript.toPlainText()  # answered: no more swiping
    qtbot.waitUntil(lambda: all(line.row is not None for line in window.transcript.lines),
                    timeout=10000)
    assert "hearth:edit/0" in window.transcript.to_html(window._labels(), editable=True)


def test_a_message_is_rewritten_and_another_deleted_everywhere(window, qtbot,
                                                                monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    store, persona_id = window.hearth.store, window.persona.id
    window.chat.input.setText("My dog is called Rex.")
    window.chat.send.click()
    _wait_settled(window, qtbot)
    qtbot.waitUntil(lambda: all(line.row is not None for line in window.transcript.lines),
                    timeout=10000)
    user_line = next(i for i, line in enumerate(window.transcript.lines) if line.who == "user")
    monkeypatch.setattr(QInputDialog, "exec", lambda self: (
        self.setTextValue("My dog is called Biscuit."), 1)[1])
    _click(window, f"hearth:edit/{user_line}")
    qtbot.waitUntil(lambda: "Biscuit" in window.chat.transcript.toPlainText(), timeout=10000)
    assert "Rex" not in window.chat.transcript.toPlainText()
    assert any(t.text == "My dog is called Biscuit." for t in store.turns(persona_id))
    assert not any("Rex" in t.text for t in store.turns(persona_id))
    assert "My dog is called Biscuit." in [m.text for m in window.conversation.history]
    qtbot.waitUntil(window.chat.send.isEnabled, timeout=10000)  # input is back

    reply_line = len(window.transcript.lines) - 1
    reply_text = window.transcript.lines[reply_line].text
    asked: list[str] = []

    def confirm(box) -> int:
        asked.append(box.text())
        next(b for b in box.buttons() if b.text() == "Delete").click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", confirm)
    _click(window, f"hearth:delete/{reply_line}")
    qtbot.waitUntil(lambda: len(window.transcript.lines) == reply_line, timeout=10000)
    assert asked and "Delete this message?" in asked[0]
    assert reply_text not in [t.text for t in store.turns(persona_id)]
    assert [m.role for m in window.conversation.history if m.role != "system"][-1] == "user"
    assert not window.chat.regenerate.isEnabled()  # the reply it would write again is gone
    # The persona answers from the changed chat.
    window.chat.input.setText("What is my dog called?")
    window.chat.send.click()
    _wait_settled(window, qtbot)
    texts = [m.text for m in window.conversation.history]
    assert "My dog is called Biscuit." in texts and reply_text not in texts


def test_a_cancelled_edit_or_delete_changes_nothing(window, qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    window.chat.input.setText("Keep me.")
    window.chat.send.click()
    _wait_settled(window, qtbot)
    qtbot.waitUntil(lambda: all(line.row is not None for line in window.transcript.lines),
                    timeout=10000)
    before = [t.text for t in window.hearth.store.turns(window.persona.id)]
    line = next(i for i, line in enumerate(window.transcript.lines) if line.who == "user")
    monkeypatch.setattr(QInputDialog, "exec", lambda self: 0)
    monkeypatch.setattr(QMessageBox, "exec", lambda self: 0)
    _click(window, f"hearth:edit/{line}")
    _click(window, f"hearth:delete/{line}")
    assert [t.text for t in window.hearth.store.turns(window.persona.id)] == before
    assert window.chat.send.isEnabled()


def test_each_message_has_its_speakers_picture(window) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QImage, QTextDocument

    view = window.chat.transcript
    persona = view.loadResource(QTextDocument.ResourceType.ImageResource.value,
                                QUrl("avatar:persona"))
    user = view.loadResource(QTextDocument.ResourceType.ImageResource.value,
                             QUrl("avatar:user"))
    assert isinstance(persona, QImage) and not persona.isNull() and not user.isNull()
    # The persona's is its portrait (many colours); the user's an initial on one colour.
    middle = persona.pixelColor(32, 32).name(), persona.pixelColor(20, 40).name()
    assert persona.pixelColor(32, 32) != user.pixelColor(32, 32) or middle[0] != middle[1]
    assert persona.pixelColor(0, 0).alpha() == 0  # round: the corners are clear
    assert "avatar:persona" in view.toHtml()
    assert view.loadResource(QTextDocument.ResourceType.ImageResource.value,
                             QUrl("file:///etc/passwd")) is None  # nothing else is loaded
