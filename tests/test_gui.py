"""Real Qt widgets, offscreen: the library, chat streaming, the call view, missing models."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.app import Hearth
from desktop.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_library_shows_the_bundled_persona_with_its_license(window) -> None:
    item = window.library.item(0)
    assert "Wren Calloway" in item.text()
    assert "Verified" in item.text() and "The Hearth project" in item.text()
    assert window.title.text() == "Wren Calloway"
    assert window.banner.isHidden()


def test_chat_reply_streams_into_the_transcript(window, qtbot) -> None:
    tokens_seen: list[str] = []
    window.bridge.event.connect(
        lambda e: tokens_seen.append(e.text) if type(e).__name__ == "ReplyToken" else None
    )
    window.chat.input.setText("Hello Wren!")
    window.chat.send.click()
    qtbot.waitUntil(lambda: len(tokens_seen) >= 1, timeout=30000)
    qtbot.waitUntil(lambda: window.conversation.history[-1].role == "assistant", timeout=30000)
    reply = window.conversation.history[-1].text.strip()
    # The last tokens reach the transcript through the bridge's timer, after the history.
    qtbot.waitUntil(lambda: reply in window.chat.transcript.toPlainText(), timeout=5000)
    assert "Hello Wren!" in window.chat.transcript.toPlainText()


def test_call_view_paints_rendered_frames_and_captions(window, qtbot) -> None:
    window.call_button.click()
    assert window.pages.currentWidget() is window.call
    window.call.start.click()
    assert window.in_call
    qtbot.waitUntil(lambda: window.mailbox.latest() is not None, timeout=10000)
    painted = window.call.face.painted_frames
    qtbot.waitUntil(lambda: window.call.face.painted_frames > painted + 10, timeout=10000)
    # The greeting is spoken and captioned as it is heard.
    qtbot.waitUntil(lambda: "Wren" in window.call.caption.text(), timeout=30000)
    window.call.input.setText("What is the weather like?")
    window.call.input.returnPressed.emit()
    qtbot.waitUntil(lambda: "ms" in window.call.meter.text(), timeout=60000)
    assert "You are talking to an AI" in window.call.disclosure.text()
    window.call.hangup.click()
    assert not window.in_call


def test_missing_models_screen_says_what_and_where(qtbot, empty_home) -> None:
    hearth = Hearth(empty_home).open()
    win = MainWindow(hearth)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.conversation is not None, timeout=30000)
    from desktop.ui.banner import OPEN_SETUP, SHOW_DETAILS

    assert win.banner.isVisible()
    text = win.banner.text()
    # Words a new user understands and one button; the file names wait under Details.
    assert "Set up" in text and OPEN_SETUP in text and "GGUF" not in text
    win.banner.linkActivated.emit(SHOW_DETAILS)
    text = win.banner.text()
    assert "GGUF" in text and str(empty_home.models / "llm") in text
    assert "voice" in text.lower()
    win.setup_dialog.close()
    win.banner.linkActivated.emit(OPEN_SETUP)
    assert win.setup_dialog is not None and win.setup_dialog.isVisible()
    win.setup_dialog.close()
    assert not win.chat.send.isEnabled()  # no brain: nothing to send to, but no crash
    win.close()
    hearth.close()


def test_models_added_while_the_window_is_open_are_picked_up(qtbot, empty_home,
                                                             fixture_models) -> None:
    """A running window did not notice models added from the command line until Setup →
    Start."""
    import shutil

    hearth = Hearth(empty_home).open()
    win = MainWindow(hearth)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.conversation is not None, timeout=30000)
    assert win.conversation.llm is None
    if win.setup_dialog is not None:
        win.setup_dialog.close()  # the first run offers Setup; the user used the CLI instead
    shutil.copytree(fixture_models, empty_home.models, dirs_exist_ok=True)
    qtbot.waitUntil(lambda: win.conversation is not None and win.conversation.llm is not None,
                    timeout=60000)
    qtbot.waitUntil(win.chat.send.isEnabled, timeout=10000)
    win.close()
    hearth.close()


def test_the_interface_is_translated_to_simplified_chinese(qtbot, empty_home) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop.ui.run import install_translator

    app = QApplication.instance()
    assert install_translator(app, "zh_CN") == "zh"
    try:
        hearth = Hearth(empty_home).open()
        win = MainWindow(hearth, language="zh")
        qtbot.addWidget(win)
        assert win.chat_button.text() == "聊天" and win.call.hangup.text() == "挂断"
        assert win.memory_button.text() == "记忆" and win.setup_button.text() == "设置"
        assert "任" in win.library.item(0).text()  # the persona's own Chinese name
        assert win.settings_button.text() == "偏好设置" and win.chat.new_chat.text() == "新对话"
        qtbot.waitUntil(lambda: win.conversation is not None, timeout=30000)
        assert win.conversation.language == "zh"  # greets and says it is an AI in Chinese
        assert "你好" in win.chat.transcript.toPlainText()
        # The licensor's disclosure in the UI's language, not the English one beside it.
        assert win.call.disclosure.text() == "你正在与 AI 角色交谈。任是一个 AI 角色。"
        from desktop.ui.setup_view import SetupDialog

        setup = SetupDialog(empty_home, ["zh"], win)
        qtbot.addWidget(setup)
        qtbot.waitUntil(lambda: any("轻量" in b.text() for b in setup.tier_buttons), timeout=10000)
        setup.close()
        win.close()
        hearth.close()
    finally:
        for translator in app.findChildren(__import__("PySide6.QtCore").QtCore.QTranslator):
            app.removeTranslator(translator)


def test_a_broken_installed_persona_is_named_not_silently_dropped(qtbot, empty_home) -> None:
    broken = empty_home.personas / "broken"
    broken.mkdir(parents=True)
    (broken / "persona.json").write_text("{not json", encoding="utf-8")
    hearth = Hearth(empty_home).open()
    win = MainWindow(hearth)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.conversation is not None, timeout=30000)
    assert win.library.count() == 1  # the bundled persona still works
    assert "broken" in win.banner.text() and "Reinstall" in win.banner.text()
    win.close()
    hearth.close()


def test_a_repaired_conversation_file_is_announced_until_the_user_has_read_it(
        qtbot, empty_home) -> None:
    from desktop.memory.store import Store
    from desktop.ui.banner import DISMISS_NOTICES

    store = Store(empty_home.database).open()
    store.append_turn("org.hearth.wren", "user", "hello").result(timeout=5)
    store.close()
    empty_home.database.write_bytes(b"garbage" * 2000)
    Store(empty_home.database).open().close()  # repaired by, say, a command-line command
    hearth = Hearth(empty_home).open()
    win = MainWindow(hearth)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.conversation is not None, timeout=30000)
    assert "was damaged" in win.banner.text() and DISMISS_NOTICES in win.banner.text()
    win.banner.linkActivated.emit(DISMISS_NOTICES)
    assert "was damaged" not in win.banner.text()
    assert hearth.store_problems() == []  # dismissed for good, not only hidden
    win.close()
    hearth.close()


def test_a_call_in_the_window_listens_and_shows_what_it_heard(window, qtbot, pulse,
                                                              microphone) -> None:

    from desktop.fixtures.speech import SPEECH
    from tests.conftest import MIC_SINK

    window.call_button.click()
    window.call.start.click()
    qtbot.waitUntil(lambda: window.hands_free is not None, timeout=30000)
    assert window.call.mute.isEnabled()
    qtbot.waitUntil(lambda: "Wren" in window.call.caption.text(), timeout=30000)
    window.stop_reply()  # skip the rest of the greeting
    pulse.play(SPEECH / "user-en.wav", MIC_SINK).wait(timeout=20)
    qtbot.waitUntil(lambda: window.call.hearing.text().startswith("You: hello"), timeout=20000)
    qtbot.waitUntil(lambda: any(line.who == "user" and "hello" in line.text and line.saved
                                for line in window.transcript.lines), timeout=20000)
    window.call.latency.click()  # the meter, on demand
    assert window.call.meter.isVisible()
    qtbot.waitUntil(lambda: window.call.meter.text().startswith("end of speech")
                    and "first sound" in window.call.meter.text(), timeout=30000)
    assert "transcript" in window.call.meter.text()
    window.call.mute.click()
    qtbot.waitUntil(lambda: window.call.hearing.text() == "Muted", timeout=5000)
    # A state the listen thread posted just before the press, drained after it, neither
    # unmutes the call nor says "Listening…".
    window.calls.listening_state("hearing")
    window.calls.listening_state("listening")
    assert window.hands_free.muted and window.call.mute.isChecked()
    assert window.call.hearing.text() == "Muted"
    assert window.call.microphones.count() >= 1 and window.call.speakers.count() >= 1
    window.call.hangup.click()
    assert window.hands_free is None and not window.in_call


def test_the_chat_opens_with_the_greeting_and_the_controls_say_what_can_be_done(
        window, qtbot) -> None:
    """Issue "What a new user hit": an empty chat shows the greeting; Stop is lit only with a
    reply to stop; Hang up only in a call; a call has a timer, markers and an ended card;
    a reply talked over shows what was heard with a quiet note, not "(interrupted)"."""
    greeting = window.persona.greeting("en")
    qtbot.waitUntil(lambda: greeting in window.chat.transcript.toPlainText(), timeout=5000)
    assert not window.chat.stop.isEnabled() and not window.call.hangup.isEnabled()
    # The fixture model writes hundreds of tokens a second: a reply that cannot end on its
    # own before the context is full leaves seconds for Stop, even on a busy machine (200
    # tokens were once all written between the check below and the click).
    window.conversation.sampling = type(window.conversation.sampling)(
        max_tokens=3000, seed=3, logit_bias={window.conversation.llm.token_id("<|im_end|>"):
                                             -100.0})
    window.chat.input.setText("Tell me a long story.")
    window.chat.send.click()
    qtbot.waitUntil(window.chat.stop.isEnabled, timeout=30000)
    qtbot.waitUntil(lambda: len(window.conversation.reply_of(
        window.conversation.control.current).full_text) > 20, timeout=30000)
    window.chat.stop.click()
    qtbot.waitUntil(lambda: not window.chat.stop.isEnabled(), timeout=10000)
    shown = window.chat.transcript.toPlainText()
    assert "cut off" in shown and "(interrupted)" not in shown
    window.call_button.click()
    window.call.start.click()
    assert window.call.hangup.isEnabled() and window.call.timer.text() == "0:00"
    assert "Call started" in window.chat.transcript.toPlainText()
    window.call.hangup.click()
    assert not window.call.hangup.isEnabled()
    assert window.call.caption.text().startswith("Call ended · 0:0")
    assert "Call ended" in window.chat.transcript.toPlainText()


def test_settings_are_one_screen_saved_and_applied_at_once(window, qtbot) -> None:
    """Messages sent users to "Settings", which did not exist."""
    import json

    from desktop.settings import Settings

    window.settings_button.click()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.remote.setText("ftp://nowhere")
    dialog.save()
    assert dialog.isVisible() and "http://" in dialog.problem.text()  # said, not saved
    dialog.remote.setText("")
    dialog.user_name.setText("Sam")
    dialog.reply_length.setCurrentIndex(dialog.reply_length.findData("short"))
    dialog.rate.setValue(1.2)
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    dialog.text_size.setValue(18)
    dialog.language.setCurrentIndex(dialog.language.findData("zh"))
    languages: list[str] = []
    window.language_changed.connect(languages.append)
    dialog.save()
    assert not dialog.isVisible()
    saved = json.loads((window.hearth.dirs.root / "settings.json").read_text())
    assert saved["user_name"] == "Sam" and saved["reply_length"] == "short"
    assert saved["speaking_rates"]["org.hearth.wren"] == 1.2 and saved["text_size"] == 18
    assert "font-size: 18px" in window.styleSheet() and "#f4f2ee" in window.styleSheet()
    assert languages == ["zh"]  # the window is rebuilt in it (desktop.ui.run)
    # What the persona is built from applies to the reopened conversation.
    qtbot.waitUntil(lambda: window.conversation is not None
                    and window.conversation.sampling.max_tokens == 80, timeout=30000)
    assert "The user's name is Sam" in window.conversation.persona.prompt().system_text()
    assert window.hearth.engines.tts.speaking_rate == 1.2
    again = Settings.load(window.hearth.dirs.root)
    window.settings_button.click()
    assert window.settings_dialog.user_name.text() == again.user_name == "Sam"
    window.settings_dialog.reject()


def test_new_chat_starts_afresh_and_stays_new_after_reopening(window, qtbot) -> None:
    window.chat.input.setText("Remember the lighthouse.")
    window.chat.send.click()
    qtbot.waitUntil(lambda: window.conversation.history
                    and window.conversation.history[-1].role == "assistant", timeout=30000)
    qtbot.waitUntil(lambda: not window.chat.stop.isEnabled(), timeout=30000)
    window.chat.new_chat.click()
    assert window.conversation.history == []
    shown = window.chat.transcript.toPlainText()
    assert "lighthouse" not in shown and window.persona.greeting("en") in shown
    qtbot.waitUntil(lambda: any(t.text == "Remember the lighthouse." for t in
                                window.hearth.store.turns(window.persona.id)), timeout=10000)
    window.open_persona(window.persona)  # tomorrow: the new chat is still the chat
    qtbot.waitUntil(lambda: window.conversation is not None
                    and window.conversation.state.running, timeout=30000)
    qtbot.waitUntil(lambda: window.persona.greeting("en")
                    in window.chat.transcript.toPlainText(), timeout=10000)
    assert "lighthouse" not in window.chat.transcript.toPlainText()
    assert window.conversation.history == []


def test_a_message_may_run_over_several_lines_and_every_line_says_when(window, qtbot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    field = window.chat.input
    field.setFocus()
    QTest.keyClicks(field, "First line")
    QTest.keyClick(field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(field, "second line")
    assert field.text() == "First line\nsecond line"  # Shift+Enter: a new line, not sent
    QTest.keyClick(field, Qt.Key.Key_Return)  # Enter sends
    assert field.text() == ""
    qtbot.waitUntil(lambda: "second line" in window.chat.transcript.toPlainText(),
                    timeout=10000)
    shown = window.chat.transcript.toHtml()
    assert "First line" in shown and "<br />second line" in shown.replace("<br>", "<br />")
    assert window.transcript.lines[-1].time or window.transcript.lines[-2].time
    import re
    assert re.search(r"\b\d\d:\d\d\b", window.chat.transcript.toPlainText())


def test_the_last_reply_can_be_written_again(window, qtbot) -> None:
    store, persona = window.hearth.store, window.persona
    assert not window.chat.regenerate.isEnabled()
    window.chat.input.setText("Tell me about the sea.")
    window.chat.send.click()
    qtbot.waitUntil(window.chat.regenerate.isEnabled, timeout=30000)
    # The chat begins with the greeting the user answered.
    roles = ["assistant", "user", "assistant"]
    qtbot.waitUntil(lambda: [t.role for t in store.turns(persona.id)] == roles, timeout=10000)
    first = store.turns(persona.id)[-1].text
    window.conversation.sampling = type(window.conversation.sampling)(seed=99, max_tokens=20)
    window.chat.regenerate.click()
    qtbot.waitUntil(lambda: not window.chat.stop.isEnabled()
                    and window.chat.regenerate.isEnabled(), timeout=30000)
    qtbot.waitUntil(lambda: [t.role for t in store.turns(persona.id)] == roles
                    and store.turns(persona.id)[-1].text != first, timeout=10000)
    # The history is written before the store's commit returns, from the brain's thread.
    qtbot.waitUntil(lambda: [m.role for m in window.conversation.history] == roles,
                    timeout=10000)
    assert [line.who for line in window.transcript.lines] == ["persona", "user", "persona"]
