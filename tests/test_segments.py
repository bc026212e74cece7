"""Recognition while the user speaks (desktop/call/segments.py): where an utterance is cut,
and how its pieces make one text. Pure logic; the call with real engines is in
tests/test_hands_free.py."""

from __future__ import annotations

import os
import sys
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from desktop.call.events import Hearing
from desktop.call.listening import HandsFreeCall
from desktop.call.segments import RATE, AsrJob, Segmenter, StableText, join_words
from desktop.machine import yield_this_thread
from desktop.voice.asr import Transcript


def test_a_segment_closes_at_a_gap_between_words_once_a_second_is_waiting() -> None:
    cutter = Segmenter()
    cutter.start(1000)
    window = 512
    closed = []
    for index in range(1, 200):
        end = 1000 + index * window
        quiet = index % 20 == 0  # a dip between words every 0.64 s
        segment = cutter.close_at(0.2 if quiet else 0.9, end, threshold=0.5)
        if segment:
            closed.append(segment)
    assert closed[0] == (1000, 1000 + 40 * window)  # the first dip after >= 1 s
    assert all(b - a >= RATE for a, b in closed)  # never a sliver
    assert all(closed[i][1] == closed[i + 1][0] for i in range(len(closed) - 1))  # no gap


def test_speech_without_any_gap_is_still_cut_after_six_seconds() -> None:
    cutter = Segmenter()
    cutter.start(0)
    cuts = [cutter.close_at(0.95, end, 0.5) for end in range(512, 20 * RATE, 512)]
    closed = [c for c in cuts if c]
    assert closed and closed[0][1] - closed[0][0] >= 6 * RATE
    assert len(closed) == 3


def test_the_text_is_the_segments_then_the_tail_and_a_new_utterance_starts_afresh() -> None:
    def heard(text: str, language: str = "en", seconds: float = 1.0) -> Transcript:
        return Transcript(text, language, seconds, 5.0)

    stable = StableText()
    stable.add(1, heard("Tell me about"))
    stable.add(1, heard(" the lighthouse ", seconds=1.2))
    whole = stable.with_tail(1, heard("keeper", "zh", 0.1))
    assert whole.text == "Tell me about the lighthouse keeper"
    assert whole.language == "en"  # a breath at the end tagged otherwise does not switch
    assert abs(whole.audio_s - 2.3) < 1e-9
    assert stable.with_tail(2, heard("hello")).text == "hello"  # another utterance: none of it
    stable.add(2, heard("你好", "zh"))
    assert [p.text for p in stable.parts] == ["你好"]
    assert stable.with_tail(2, heard("任", "zh")).text == "你好任"  # no space between hanzi
    assert join_words(["你好", "Wren", "", "今天"]) == "你好 Wren 今天"


def test_a_tail_after_the_last_cut_counts_as_speech_only_once_a_window_may_be_speech() -> None:
    cutter = Segmenter()
    cutter.start(0)
    assert cutter.heard_since_cut  # an utterance begins with speech
    for end in range(512, RATE + 512, 512):
        cutter.close_at(0.9, end, 0.5, 0.35)
    assert cutter.close_at(0.2, RATE + 1024, 0.5, 0.35) is not None  # the pause closes it
    assert not cutter.heard_since_cut
    cutter.close_at(0.1, RATE + 1536, 0.5, 0.35)  # silence after the pause
    assert not cutter.heard_since_cut
    cutter.close_at(0.4, RATE + 2048, 0.5, 0.35)  # a soft syllable: it may be a word
    assert cutter.heard_since_cut


def test_a_pause_closes_the_segment_however_short_so_its_decode_is_kept() -> None:
    """The decode at a pause is a segment's: when the user goes on, the words before the
    pause are not decoded again with the next segment."""
    cutter = Segmenter()
    cutter.start(0)
    for end in range(512, RATE // 2, 512):  # half a second of speech: no cut yet
        assert cutter.close_at(0.9, end, 0.5, 0.35) is None
    assert cutter.close_at(0.2, RATE // 2, 0.5, 0.35, pausing=True) == (0, RATE // 2)
    assert not cutter.heard_since_cut  # the final after it decodes nothing
    # A pause with no speech since the last cut closes nothing: there is nothing to decode.
    assert cutter.close_at(0.1, RATE // 2 + 512, 0.5, 0.35, pausing=True) is None


class _Heard:
    """What a call shows and prefills (the conversation's ``typing``, the listener)."""

    def __init__(self) -> None:
        self.drafts: list[str] = []
        self.captions: list[str] = []
        self.said: list[str] = []  # replies asked for (held or not)
        self.persona = SimpleNamespace(languages=("en",))
        self.language = "en"

    def typing(self, text: str) -> None:
        self.drafts.append(text)

    def say(self, text: str, **_times: object) -> int:
        self.said.append(text)
        return len(self.said)

    def __call__(self, event: object) -> None:
        if isinstance(event, Hearing):
            self.captions.append(event.text)


class _Words:
    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        return Transcript(self.texts.pop(0), "en", len(samples) / RATE, 5.0)


def test_a_segments_words_are_prefilled_at_once_and_a_final_of_silence_is_not_decoded(
        ) -> None:
    """On a slow CPU a short question often has no partial before the user stops: its
    segment's words go to the LLM as soon as they are decoded. A final whose tail held no
    speech is the segments' text, with no decode of silence (~120 ms there)."""
    heard = _Heard()
    words = _Words("Tell me about", "the lighthouse", "the lighthouse")
    call = HandsFreeCall(heard, None, words, heard, open_microphone=lambda: None)
    call._utterance = call._version = 1
    call.turns.state = "speaking"
    call._decode(AsrJob("segment", 1, 1, np.ones(RATE, np.float32)))
    assert heard.drafts == ["Tell me about"] and heard.captions == ["Tell me about"]
    call._decode(AsrJob("partial", 1, 1, np.ones(RATE // 2, np.float32)))
    assert heard.drafts[-1] == "Tell me about the lighthouse"
    call._decode(AsrJob("segment", 1, 1, np.ones(RATE // 2, np.float32)))  # the same words
    assert len(heard.drafts) == 2  # nothing shorter or repeated is typed
    assert call._transcribe(AsrJob("final", 1, 1, np.zeros(0, np.float32))).text == (
        "Tell me about the lighthouse")  # the recognizer was not asked again


def test_a_partial_decoded_beside_the_asr_thread_is_dropped_once_out_of_date() -> None:
    """Partials have a recognizer of their own, so the final never waits behind one; one
    that finishes after a segment of its audio was decoded would repeat the segment's words,
    and one that finishes after the user paused would type an old draft over the final."""
    heard = _Heard()
    call = HandsFreeCall(heard, None, _Words("Tell me about"), heard,
                         open_microphone=lambda: None,
                         partial_recognizer=_Words("Tell me about", "the", "the lighthouse"))
    call._utterance = call._version = 1
    call.turns.state = "speaking"
    audio = np.ones(RATE, np.float32)
    begun_before_the_segment = AsrJob("partial", 1, 1, audio, segments=0)
    call._decode(AsrJob("segment", 1, 1, audio, segments=1))
    call._decode_partial(begun_before_the_segment, call.partial_recognizer)
    assert heard.drafts == ["Tell me about"]  # not "Tell me about Tell me about"
    call._decode_partial(AsrJob("partial", 1, 1, audio, segments=1), call.partial_recognizer)
    assert heard.drafts[-1] == "Tell me about the"
    call.turns.state = "paused"  # the final is on its way
    call._decode_partial(AsrJob("partial", 1, 1, audio, segments=1), call.partial_recognizer)
    assert heard.drafts[-1] == "Tell me about the"


def test_what_was_said_before_a_pause_the_user_talked_on_from_is_read_at_once() -> None:
    """A short question with pauses between its words: the final decoded at a pause the
    user went on from, and a partial begun before it, are the start of the turn; measured
    on a CPU half this machine's speed, dropping them left the LLM nothing to read until
    the user stopped (17 prompt tokens after the transcript instead of 7)."""
    heard = _Heard()
    call = HandsFreeCall(heard, None, _Words("Tell me"), heard, open_microphone=lambda: None,
                         partial_recognizer=_Words("Tell", "Tell me about"))
    call._utterance, call._version = 1, 2  # the user paused (version 1) and went on
    call.turns.state = "speaking"
    audio = np.ones(RATE, np.float32)
    call._decode_partial(AsrJob("partial", 1, 1, audio), call.partial_recognizer)
    assert heard.drafts == ["Tell"]
    call._decode(AsrJob("final", 1, 1, audio))
    assert heard.drafts == ["Tell", "Tell me"]
    assert heard.said == []  # no reply to the part before the pause
    call._decode_partial(AsrJob("partial", 1, 2, audio), call.partial_recognizer)
    assert heard.drafts[-1] == "Tell me about"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_partials_thread_yields_to_the_rest_of_the_call() -> None:
    """The partial still decoding when the user stops must not slow the final or the
    reply's prefill: its thread runs at a lower priority, the others' unchanged."""
    niceness: list[int] = []

    def partial_thread() -> None:
        yield_this_thread()
        niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=partial_thread)
    thread.start()
    thread.join()
    assert niceness and niceness[0] > before
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_the_segment_a_pause_closes_takes_the_words_of_the_partial_that_holds_them() -> None:
    """A partial begun just before the user paused holds the pause's segment: its words are
    the segment's, waited for, not decoded again beside it (on a slow CPU the two decodes
    slowed each other and the transcript came ~100 ms later in half the turns)."""
    heard = _Heard()
    words = _Words("decoded again")  # what the asr thread's recognizer would say
    call = HandsFreeCall(heard, None, words, heard, open_microphone=lambda: None,
                         partial_recognizer=_Words("Tell me", "Tell me about"))
    call._utterance = call._version = 1
    call.turns.state = "speaking"
    segment = np.ones(RATE, np.float32)
    partial = AsrJob("partial", 1, 1, segment[: RATE - 300])  # up to the pausing window
    decoding = threading.Thread(target=call._decode_partial,
                                args=(partial, call.partial_recognizer))
    decoding.start()
    decoding.join()
    call._decode(AsrJob("segment", 1, 1, segment, segments=1, pause=True))
    assert call.stats.segments_from_partials == 1 and words.texts == ["decoded again"]
    assert call._transcribe(AsrJob("final", 1, 1, np.zeros(0, np.float32),
                                   segments=1)).text == "Tell me"
    # Missing the last window, or begun at another cut, or a cut that was no pause: the
    # partial may not hold every word, and the segment is decoded.
    call._decode_partial(AsrJob("partial", 1, 1, segment[: RATE - 600], segments=1),
                         call.partial_recognizer)
    call._decode(AsrJob("segment", 1, 1, segment, segments=2, pause=True))
    assert words.texts == [] and call.stats.segments_from_partials == 1
    call._partial_decode.job = AsrJob("partial", 1, 1, segment, segments=2)
    assert call._partial_holding(AsrJob("segment", 1, 1, segment, segments=3)) is None
    assert call._partial_holding(AsrJob("segment", 1, 1, segment, segments=4,
                                        pause=True)) is None
    assert call._partial_holding(AsrJob("segment", 1, 1, segment, segments=3,
                                        pause=True)).text == "Tell me about"


def test_every_piece_cut_for_a_decode_is_told_where_in_the_utterance_it_begins() -> None:
    """The bench's scripted recognizer gives each piece the words spoken in its stretch: it
    reads where the piece begins from the call's own cut, not from a guess."""
    cuts: list[tuple[int, float]] = []
    heard = _Heard()
    call = HandsFreeCall(heard, None, _Words(), heard, open_microphone=lambda: None,
                         on_cut=lambda piece, start_s: cuts.append((len(piece), start_s)))
    call._audio = np.ones(3 * RATE, np.float32)
    call._audio_start, call._position = RATE, 4 * RATE  # the stream's second to fourth
    call._utterance_start = RATE + RATE // 2
    call._segmenter.start(call._utterance_start)
    call._audio_between(2 * RATE, 3 * RATE)
    call._post("partial")
    assert cuts == [(RATE, 0.5), (5 * RATE // 2, 0.0)]


class _Streamed:
    """A streaming recognizer that notes what it is fed (``open``: a stream per utterance)."""

    def __init__(self) -> None:
        self.fed: list[int] = []
        self.settled = 0

    def open(self) -> _Streamed:
        return self

    def accept(self, samples: np.ndarray) -> Transcript:
        self.fed.append(len(samples))
        return Transcript("so far", "en", sum(self.fed) / RATE, 1.0)

    def settle(self) -> Transcript:
        self.settled += 1
        return Transcript("so far", "en", sum(self.fed) / RATE, 1.0)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        raise AssertionError("a streaming recognizer is fed, never asked for a whole piece")


def test_a_streaming_recognizer_is_fed_while_the_user_speaks_and_not_in_their_pause() -> None:
    """The stream hears every sample of the speech, in order, and is settled at the pause;
    the pause's silence waits (the reply starts in it and needs the cores) and is fed only
    when the user goes on."""
    heard, streamed = _Heard(), _Streamed()
    call = HandsFreeCall(heard, None, streamed, heard, open_microphone=lambda: None)
    assert call.streaming
    call._utterance = call._version = 1

    def heard_until(seconds: int) -> None:  # the microphone's audio, read up to here
        call._audio = np.ones(seconds * RATE, np.float32)
        call._position = seconds * RATE

    call.turns.state = "speaking"
    heard_until(1)
    call._feed()
    call.turns.state = "paused"
    heard_until(2)
    call._feed()  # a read in the pause: held back
    assert call._jobs.qsize() == 1
    call._post("final", 0.0)  # the pause: the audio up to it, then the settle
    call.turns.state = "speaking"  # the user goes on
    heard_until(3)
    call._feed()
    while not call._jobs.empty():
        call._decode(call._jobs.get())
    assert streamed.fed == [RATE, RATE, RATE] and streamed.settled == 1
    assert heard.said == ["so far"]  # the reply, started (held) at the pause
    assert heard.drafts == ["so far"]  # typed while speaking, once (the text did not change)
