"""The window's transcript as plain data (desktop/ui/transcript.py): no Qt, the call's own
events."""

from __future__ import annotations

from desktop.call.events import MemoriesUsed, ReplyFinished, ReplyStarted, ReplyToken, TurnSaved
from desktop.call.frames import TurnTimes
from desktop.memory.facts import Fact
from desktop.ui.transcript import Labels, Transcript

LABELS = Labels(persona="Wren")


def test_a_typed_turn_waits_for_its_save_and_its_reply_streams_in() -> None:
    transcript = Transcript()
    transcript.typed("hello", turn_id=1)
    assert [(line.who, line.text, line.saved) for line in transcript.lines] == [
        ("user", "hello", False)]
    for event in (ReplyStarted(2, False), ReplyToken(2, "Hi"), ReplyToken(2, " there."),
                  TurnSaved(1, "user", 7)):
        assert transcript.apply(event, LABELS)
    assert [(line.who, line.text, line.saved) for line in transcript.lines] == [
        ("user", "hello", True), ("persona", "Hi there.", True)]
    assert "saving" not in transcript.to_html(LABELS)


def test_an_interrupted_reply_keeps_what_was_heard_and_says_so() -> None:
    transcript = Transcript()
    transcript.apply(ReplyStarted(1, True), LABELS)
    transcript.apply(ReplyToken(1, "One. Two. Three."), LABELS)
    transcript.apply(ReplyFinished(1, "One.", "One. Two. Three.", True, TurnTimes()), LABELS)
    assert transcript.lines[-1].text == "One." and transcript.lines[-1].interrupted
    assert "— cut off" in transcript.to_html(LABELS)  # a quiet note, not part of the text


def test_an_empty_chat_opens_with_the_greeting_and_calls_leave_markers() -> None:
    transcript = Transcript()
    transcript.greet(["Hello, it's Wren."])
    transcript.greet(["again"])  # only an empty chat is greeted
    transcript.marker("Call ended · 1:05")
    assert [(line.who, line.text) for line in transcript.lines] == [
        ("persona", "Hello, it's Wren."), ("marker", "Call ended · 1:05")]
    assert "— Call ended · 1:05 —" in transcript.to_html(LABELS)


def test_spoken_lines_are_saved_in_the_order_said_and_memories_go_to_their_reply() -> None:
    transcript = Transcript()
    transcript.spoke("first")
    transcript.spoke("second")
    transcript.apply(ReplyStarted(3, True), LABELS)
    fact = Fact(id=1, persona_id="p", key="dog", text="The dog is Rex.", importance=5,
                confidence=1.0, pinned=False, source="user", source_turn_id=None, mentions=1,
                superseded_by=None, created_at="", updated_at="", last_recalled_at=None)
    assert transcript.apply(MemoriesUsed(3, [fact]), LABELS)
    transcript.apply(TurnSaved(10, "user", 1), LABELS)
    assert [line.saved for line in transcript.lines] == [True, False, True]
    assert "The dog is Rex." in transcript.to_html(LABELS)
    assert not transcript.apply(MemoriesUsed(99, [fact]), LABELS)  # no such reply: no change


def test_text_is_escaped() -> None:
    transcript = Transcript()
    transcript.typed("<b>bold</b> & co", turn_id=1)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in transcript.to_html(LABELS)


def test_the_greeting_can_be_swiped_until_the_user_answers_then_it_is_the_first_message() -> None:
    transcript = Transcript()
    transcript.greet(["Hello.", "Evening.", "Oh, there you are."])
    shown = transcript.to_html(LABELS, editable=True)
    assert "hearth:greeting/1" in shown and "1/3" in shown
    assert transcript.swipe(-1) == "Oh, there you are." == transcript.greeting
    assert transcript.swipe(1) == "Hello." and transcript.swipe(1) == "Evening."
    transcript.typed("Evening to you.", turn_id=1)
    assert transcript.greeting is None and transcript.swipe(1) is None  # answered: it stays
    assert transcript.lines[0].text == "Evening."
    assert "hearth:greeting" not in transcript.to_html(LABELS, editable=True)
    # The opening's save arrives as turn 0: the greeting becomes a message like the others.
    transcript.apply(TurnSaved(0, "assistant", 41), LABELS)
    transcript.apply(TurnSaved(1, "user", 42), LABELS)
    assert [line.row for line in transcript.lines] == [41, 42]
    shown = transcript.to_html(LABELS, editable=True)
    assert "hearth:edit/0" in shown and "hearth:delete/1" in shown
    assert "hearth:edit" not in transcript.to_html(LABELS)  # links only where they work


def test_a_single_greeting_has_no_arrows_and_a_call_ends_the_swiping() -> None:
    transcript = Transcript()
    transcript.greet(["Hello."])
    assert "hearth:greeting" not in transcript.to_html(LABELS, editable=True)
    other = Transcript()
    other.greet(["Hello.", "Evening."])
    other.marker("Call started")
    assert other.swipe(1) is None and other.greeting is None


def test_a_deleted_line_goes_and_the_lines_after_it_still_get_their_saves() -> None:
    transcript = Transcript()
    transcript.typed("one", turn_id=1)
    transcript.apply(TurnSaved(1, "user", 5), LABELS)
    transcript.apply(ReplyStarted(2, False), LABELS)
    transcript.apply(ReplyToken(2, "Reply one."), LABELS)
    transcript.typed("two", turn_id=3)
    transcript.remove(transcript.line_of_row(5))
    assert [line.text for line in transcript.lines] == ["Reply one.", "two"]
    transcript.apply(TurnSaved(2, "assistant", 6), LABELS)
    transcript.apply(TurnSaved(3, "user", 7), LABELS)
    assert [(line.row, line.saved) for line in transcript.lines] == [(6, True), (7, True)]
    assert transcript.line_of_row(5) is None


def test_every_message_sits_beside_its_speakers_picture() -> None:
    transcript = Transcript()
    transcript.typed("hi", turn_id=1)
    transcript.apply(ReplyStarted(2, False), LABELS)
    shown = transcript.to_html(LABELS)
    assert "src='avatar:user'" in shown and "src='avatar:persona'" in shown
