"""The memory view and the "remembered" line, on real Qt widgets offscreen and a real store."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QInputDialog, QMessageBox

from desktop.memory.facts import FactUpdate

pytestmark = pytest.mark.gui
WREN = "org.hearth.wren"


@pytest.fixture
def gui_hearth(gui_hearth):
    gui_hearth.store.remember(WREN, [
        FactUpdate("The user's dog is called Biscuit.", "dog_name", 6),
        FactUpdate("The user plays the cello.", "instrument", 5)]).result(timeout=5)
    return gui_hearth


def texts(dialog) -> list[str]:
    return [dialog.fact_list.item(i).text() for i in range(dialog.fact_list.count())]


def test_a_reply_shows_which_memories_it_used(window, qtbot) -> None:
    window.chat.input.setText("How is my dog doing?")
    window.chat.send.click()
    qtbot.waitUntil(lambda: "Remembered:" in window.chat.transcript.toHtml(), timeout=30000)
    assert "Biscuit" in window.chat.transcript.toPlainText()
    qtbot.waitUntil(lambda: window.conversation.history[-1].role == "assistant", timeout=30000)
    # After a restart the line is still there, read back from the store.
    old = window.conversation
    window.open_persona(window.persona)
    qtbot.waitUntil(lambda: window.conversation not in (None, old), timeout=30000)
    assert "Biscuit" in window.chat.transcript.toPlainText()


def test_the_memory_view_lists_searches_edits_pins_and_deletes(window, qtbot, monkeypatch
                                                               ) -> None:
    window.memory_button.click()
    dialog = window.memory_dialog
    qtbot.waitUntil(lambda: dialog.fact_list.count() == 2, timeout=10000)
    dialog.search.setText("cello")
    dialog.reload()
    qtbot.waitUntil(lambda: dialog.fact_list.count() == 1, timeout=10000)
    assert "cello" in texts(dialog)[0]
    dialog.fact_list.setCurrentRow(0)
    monkeypatch.setattr(QInputDialog, "getText",
                        lambda *a, **k: ("The user plays the viola.", True))
    dialog.edit_button.click()
    dialog.search.setText("")
    qtbot.waitUntil(lambda: any("viola" in t for t in texts(dialog)), timeout=10000)
    assert "you wrote it" in next(t for t in texts(dialog) if "viola" in t)
    dialog.fact_list.setCurrentRow(next(i for i, t in enumerate(texts(dialog)) if "dog" in t))
    dialog.pin_button.click()
    qtbot.waitUntil(lambda: texts(dialog) and texts(dialog)[0].startswith("★"), timeout=10000)
    assert window.hearth.store.facts(WREN)[0].pinned
    dialog.fact_list.setCurrentRow(0)
    dialog.delete_button.click()
    qtbot.waitUntil(lambda: dialog.fact_list.count() == 1, timeout=10000)
    assert [f.text for f in window.hearth.store.facts(WREN)] == ["The user plays the viola."]
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("I hate olives.", True))
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.fact_list.count() == 2, timeout=10000)


def test_forget_everything_empties_the_view_and_the_open_conversation(window, qtbot,
                                                                     monkeypatch) -> None:
    window.chat.input.setText("Remember that I love kites.")
    window.chat.send.click()
    qtbot.waitUntil(lambda: window.conversation.history[-1].role == "assistant", timeout=30000)
    # The greeting it answered, the message and the reply.
    qtbot.waitUntil(lambda: len(window.hearth.store.turns(WREN)) == 3, timeout=10000)
    window.memory_button.click()
    dialog = window.memory_dialog
    qtbot.waitUntil(lambda: dialog.fact_list.count() >= 2, timeout=10000)
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    old = window.conversation
    dialog.forget_button.click()
    qtbot.waitUntil(lambda: "Forgotten" in dialog.status.text(), timeout=30000)
    qtbot.waitUntil(lambda: dialog.fact_list.count() == 0, timeout=10000)
    qtbot.waitUntil(lambda: window.conversation is not None and window.conversation is not old,
                    timeout=30000)
    assert "kites" not in window.chat.transcript.toPlainText()
    assert not [m for m in window.conversation.history if "kites" in m.text]
    assert window.hearth.store.turns(WREN) == []


def test_a_message_shows_as_saving_until_its_commit_and_a_full_disk_says_so(window, qtbot
                                                                            ) -> None:
    store = window.hearth.store
    store.submit(lambda c: c.execute("PRAGMA max_page_count = 1")).result(timeout=5)
    window.chat.input.setText("x" * 50_000)  # larger than what the full file can take
    window.chat.send.click()
    qtbot.waitUntil(lambda: "disk is full" in window.banner.text(), timeout=15000)
    assert window.banner.isVisible()
    assert "saving…" in window.chat.transcript.toPlainText()
    store._writer.execute("PRAGMA max_page_count = 1073741823")  # space comes back
    qtbot.waitUntil(lambda: "saving…" not in window.chat.transcript.toPlainText(),
                    timeout=20000)
    qtbot.waitUntil(lambda: "disk is full" not in window.banner.text(), timeout=10000)


def test_a_crisis_statement_shows_the_referral_in_the_window(window, qtbot) -> None:
    window.chat.input.setText("I don't want to live anymore")
    window.chat.send.click()
    qtbot.waitUntil(lambda: "findahelpline.com" in window.banner.text(), timeout=30000)
    assert window.banner.isVisible() and "not alone" in window.banner.text()
