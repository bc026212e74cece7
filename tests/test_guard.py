"""The license's output rules, on the guard alone and in a conversation whose fixture model is
forced (by logit bias) to say a forbidden word."""

from __future__ import annotations

import logging
from pathlib import Path

from desktop.brain.llm import Sampling
from desktop.call.events import ReplyFinished, ReplyToken
from desktop.call.guard import REFUSALS, OutputGuard
from desktop.call.session import Conversation
from desktop.paths import DataDirs
from desktop.personas.library import PersonaLibrary
from tests.test_first_call import Events


def test_the_guard_matches_whole_words_phrases_and_chinese() -> None:
    guard = OutputGuard(["Rain", "the secret code"], ["胡说"])
    assert guard.violation("I love the RAIN.") == "never-say phrase 1"
    assert guard.violation("I took the train.") is None  # not a whole word
    assert guard.violation("that is THE  secret\ncode") == "never-say phrase 2"
    assert guard.violation("别胡说八道") == "forbidden topic '胡说'"
    assert guard.hold == len("the secret code")
    assert guard.releasable("x" * 40) == 40 - guard.hold
    assert guard.releasable("x" * 40, final=True) == 40
    assert not OutputGuard([], []).active and OutputGuard([], []).releasable("abc") == 3


def test_a_forced_forbidden_word_never_reaches_the_screen(tiny_llm, wren, open_conversation,
                                                          caplog) -> None:
    llm = tiny_llm()
    (rain,) = llm.model.tokenize(b" rain", add_bos=False)
    wren.license = {**wren.license, "never_say": ["rain"]}
    conversation, events = open_conversation(wren, llm, sampling=Sampling(
        seed=1, max_tokens=12, logit_bias={rain: 100.0}))
    caplog.set_level(logging.WARNING, logger="desktop.call.brain")
    turn = conversation.say("Tell me about the weather")
    finished = events.wait_for(ReplyFinished, turn_id=turn)
    shown = "".join(e.text for e in events.of(ReplyToken))
    assert "rain" not in shown.lower()
    assert finished.full_text.endswith(REFUSALS["en"])
    assert conversation.history[-1].text.strip() == finished.full_text
    assert "never-say phrase 1" in caplog.text and "Tell me" not in caplog.text


def test_every_call_starts_by_saying_the_persona_is_an_ai(tmp_path: Path) -> None:
    from desktop.call.duties import AI_NOTICES

    persona = PersonaLibrary(DataDirs(tmp_path)).get("org.hearth.wren")
    events = Events()
    conversation = Conversation(persona, None, None, events).start()
    try:
        turn = conversation.greet()
        finished = events.wait_for(ReplyFinished, turn_id=turn)
    finally:
        conversation.close()
    assert finished.full_text.startswith(persona.greeting())
    assert finished.full_text.endswith(AI_NOTICES["en"])
