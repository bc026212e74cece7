"""Held (speculative) turns: a reply prepared during the user's pause is neither heard, shown
nor saved until the pause is confirmed as the end of the turn, and vanishes if the user
goes on. Real engines: the fixture GGUF, the fixture voice, PortAudio, a real SQLite file."""

from __future__ import annotations

import time

import pytest

from desktop.app import Hearth
from desktop.brain.llm import Sampling
from desktop.call.events import ReplyFinished, ReplyStarted, ReplyToken, TurnSaved
from tests.helpers.events import Events, wait_until

pytestmark = pytest.mark.audio


@pytest.fixture
def conversation(hearth_home, pulse):
    hearth = Hearth(hearth_home).open()
    persona = hearth.library.get("org.hearth.wren")
    events = Events()
    conversation = hearth.conversation(persona, events)
    conversation.sampling = Sampling(seed=5, max_tokens=12)
    conversation.start()
    conversation.set_spoken(True)
    conversation.events = events
    yield conversation
    conversation.set_spoken(False)
    conversation.close()
    hearth.close()




def test_a_held_reply_is_prepared_but_not_heard_shown_or_saved_until_released(
        conversation) -> None:
    events = conversation.events
    turn = conversation.say("Tell me about the lighthouse", speech_ended=time.monotonic(),
                            held=True)
    times = conversation.control.times[turn]
    wait_until(lambda: times.first_audio_queued is None and times.first_sentence is not None)
    time.sleep(0.5)  # generated, synthesized, and waiting
    assert times.first_audio_played is None and times.first_audio_queued is None
    assert not events.of(ReplyStarted) and not events.of(ReplyToken)
    assert not events.of(TurnSaved)
    assert conversation.store.turns(conversation.persona.id) == []
    released_at = time.monotonic()
    assert conversation.release(turn, transcribed=released_at)
    finished = events.wait_for(ReplyFinished, 30, turn_id=turn)
    assert not finished.interrupted and finished.heard_text
    assert finished.times.first_audio_played > released_at
    # The meter's account of the wait for the first token: when the prompt began to be read
    # (after recall), and how much of it the cache did not hold (here: all of the turn).
    assert times.submitted <= times.reading <= times.first_token
    assert times.prompt_tokens > conversation.llm.count_tokens("Tell me about the lighthouse")
    assert events.of(ReplyStarted) and events.of(ReplyToken)
    roles = [t.role for t in conversation.store.turns(conversation.persona.id)]
    wait_until(lambda: [t.role for t in conversation.store.turns(conversation.persona.id)]
               == ["user", "assistant"])
    assert roles[0] == "user"


def test_a_withdrawn_reply_leaves_no_trace(conversation) -> None:
    events = conversation.events
    before = list(conversation.history)
    turn = conversation.say("Tell me about", held=True)
    # Withdrawn once it is being prepared: the model has begun to write it.
    wait_until(lambda: conversation.control.times[turn].first_token is not None)
    conversation.withdraw(turn)
    assert conversation.history == before
    assert not conversation.release(turn)  # too late: it is gone
    wait_until(conversation.settled)  # all it was given is done: nothing is on its way
    assert events.items == []
    assert conversation.store.turns(conversation.persona.id) == []
    assert conversation.output.queued_frames() == 0
    # The turn the user really meant goes through as usual.
    real = conversation.say("Tell me about the lighthouse")
    finished = events.wait_for(ReplyFinished, 30, turn_id=real)
    assert finished.heard_text
    assert [m.role for m in conversation.history[-2:]] == ["user", "assistant"]
    assert conversation.history[-2].text == "Tell me about the lighthouse"
