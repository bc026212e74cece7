"""Recognition while the user speaks (desktop/call/segments.py): where an utterance is cut,
and how its pieces make one text. Pure logic; the call with real engines is in
tests/test_hands_free.py."""

from __future__ import annotations

from desktop.call.segments import RATE, Segmenter, StableText, join_words
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
