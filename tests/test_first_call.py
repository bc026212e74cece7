"""The first call end to end on real engines: fixture GGUF through llama-cpp-python, the
fixture voice through piper, the built-in renderer through onnxruntime, PortAudio into a
PulseAudio null sink recorded back from its monitor, and a real SQLite file."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest

from desktop.app import Hearth
from desktop.brain.llm import Sampling
from desktop.call.events import ReplyFinished, ReplyToken, TurnSaved
from desktop.call.video import FrameMailbox
from desktop.face.animator import FaceAnimator
from desktop.fixtures.pulse import read_wav, stop_recording, voiced_seconds
from tests.helpers.events import Events, wait_until

pytestmark = pytest.mark.audio


def mouth_crop(image: np.ndarray, persona) -> np.ndarray:
    size = image.shape[0]
    mx, my = persona.rig.mouth_center
    cx, cy = int((mx + 1) / 2 * size), int((my + 1) / 2 * size)
    half = size // 10
    return image[cy - half : cy + half, cx - half : cx + half].astype(np.float32)


@pytest.fixture
def call(hearth_home, pulse):
    hearth = Hearth(hearth_home).open()
    persona = hearth.library.get("org.hearth.wren")
    events = Events()
    animator = FaceAnimator()
    conversation = hearth.conversation(persona, events, animator)
    assert hearth.engines.problems == [], [p.text for p in hearth.engines.problems]
    conversation.start()
    conversation.set_spoken(True)
    assert conversation.spoken
    yield hearth, persona, conversation, events, animator
    conversation.close()
    hearth.close()


def test_typed_message_is_spoken_with_a_moving_face_and_saved(call, pulse, tmp_path: Path
                                                              ) -> None:
    hearth, persona, conversation, events, animator = call
    mailbox = FrameMailbox()
    face = hearth.face_loop(persona, animator, mailbox)
    face.start()
    recording = start_recording(pulse, tmp_path / "out.wav")
    samples: list[tuple[bool, np.ndarray]] = []
    turn = conversation.say("Hello Wren, how was the sea today?")
    deadline = time.monotonic() + 60
    last_number = -1
    while time.monotonic() < deadline and not events.of(ReplyFinished):
        frame = mailbox.latest()
        if frame is not None and frame.number != last_number:
            last_number = frame.number
            speaking = not conversation.output.is_idle()
            samples.append((speaking, mouth_crop(frame.image, persona)))
        time.sleep(0.01)
    finished = events.wait_for(ReplyFinished, turn_id=turn)
    # The mouth closes as the last sound ends (its release, ~0.2 s): rest is judged after.
    time.sleep(0.4)
    samples.append((None, None))  # a new stretch: no step is counted across the wait
    for _ in range(40):  # most of a second of silence after the reply
        frame = mailbox.latest()
        if frame.number != last_number:
            last_number = frame.number
            samples.append((False, mouth_crop(frame.image, persona)))
        time.sleep(0.02)
    face.stop()
    time.sleep(0.3)
    stop_recording(recording)

    assert not finished.interrupted
    assert finished.full_text and finished.heard_text == finished.full_text
    assert events.of(ReplyToken), "the reply streamed token by token"
    # Sound reached the device and came back from the null sink's monitor.
    audio, rate = read_wav(tmp_path / "out.wav")
    segments = [s for s in conversation.output.segments if s.turn_id == turn]
    synthesized = sum(s.end - s.start for s in segments) / conversation.output.rate
    heard = voiced_seconds(audio, rate)
    assert synthesized > 0.3
    assert 0.3 * synthesized < heard <= synthesized + 0.2, (heard, synthesized)
    # The mouth moves while audio plays and rests in silence.
    def motion(flags: bool) -> float:
        # Frame to frame within one stretch (not from the silence before the reply to the
        # silence after it, which would count the whole reply as one step).
        diffs = [np.abs(a[1] - b[1]).mean() for a, b in itertools.pairwise(samples)
                 if a[0] == b[0] == flags]
        return float(np.percentile(diffs, 90)) if diffs else 0.0

    speaking_motion, silent_motion = motion(True), motion(False)
    assert speaking_motion > 3.0 * max(silent_motion, 0.2), (speaking_motion, silent_motion)
    # Both turns are in the SQLite file, and survive a reopen.
    events.wait_for(TurnSaved, where=lambda e: e.role == "assistant")
    turns = hearth.store.turns(persona.id)
    assert [t.role for t in turns][-2:] == ["user", "assistant"]
    assert turns[-1].text == finished.full_text and turns[-1].status == "complete"


def test_stop_silences_playback_ends_generation_and_keeps_the_heard_prefix(
    call, pulse, tmp_path: Path
) -> None:
    hearth, persona, conversation, events, _ = call
    end_of_turn = conversation.llm.token_id("<|im_end|>")
    conversation.sampling = Sampling(max_tokens=200, logit_bias={end_of_turn: -100.0}, seed=3)
    recording = start_recording(pulse, tmp_path / "stop.wav")
    started = time.monotonic()
    turn = conversation.say("Tell me a long story about the lighthouse.")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        times = conversation.control.times[turn]
        if times.first_audio_played and time.monotonic() - times.first_audio_played > 1.2:
            break
        time.sleep(0.01)
    stopped_at = time.monotonic()
    assert conversation.stop_speaking()
    finished = events.wait_for(ReplyFinished, turn_id=turn, timeout=5)
    time.sleep(1.0)
    stop_recording(recording)

    assert finished.interrupted
    # History and the store hold only what was heard: a proper prefix of the full reply.
    heard, full = words(finished.heard_text), words(finished.full_text)
    assert heard and full[: len(heard)] == heard
    assert len(heard) < len(full)
    assert conversation.history[-1].text.strip() == finished.heard_text
    events.wait_for(TurnSaved, where=lambda e: e.role == "assistant" and e.turn_id == turn)
    last = hearth.store.turns(persona.id)[-1]
    assert (last.text, last.status) == (finished.heard_text, "interrupted")
    # Generation ended: no token of this turn arrives after the stop settles.
    tokens_then = len([e for e in events.of(ReplyToken) if e.turn_id == turn])
    wait_until(conversation.settled)  # the brain and the voice did all they were given
    assert len([e for e in events.of(ReplyToken) if e.turn_id == turn]) == tokens_then
    # Playback ended: the recording goes quiet within 0.3 s of Stop (device buffers included).
    audio, rate = read_wav(tmp_path / "stop.wav")
    offset = int((stopped_at - started + 0.3) * rate)
    assert voiced_seconds(audio[:offset], rate) > 0.3
    assert voiced_seconds(audio[offset:], rate) < 0.05


def words(text: str) -> list[str]:
    return [w.strip(".,!?…") for w in text.split() if any(c.isalnum() for c in w)]


def start_recording(pulse, path: Path):
    process = pulse.record(path)
    time.sleep(0.3)  # parecord needs a moment to attach to the monitor
    return process
