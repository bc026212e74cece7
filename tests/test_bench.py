"""The benchmark's own logic: the scripted recognizer's words per piece, the loaded figures'
names and ratios, and the processes that stand for a busy or a slower machine."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

import numpy as np
import pytest

from desktop.bench.common import loaded_figures
from desktop.bench.machine_load import BusyCore, SlowerCpu, pace
from desktop.bench.voice import _ScriptedRecognizer, _ScriptedStreaming
from desktop.call.listening import PREROLL_S
from desktop.call.segments import StableText
from desktop.voice.asr import SAMPLE_RATE, Transcript


@dataclass
class _CostOnly:
    """Stands for the real recognizer's cost; only its audio length is read."""

    def transcribe(self, samples: np.ndarray) -> Transcript:
        return Transcript("w1 w2", "ko", len(samples) / SAMPLE_RATE, 1.0)


def _audio(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * SAMPLE_RATE)).astype(
        np.float32)


class _Cutter:
    """Cuts pieces of an utterance as the call does, telling the script where each begins."""

    def __init__(self, recognizer: _ScriptedRecognizer, utterance: np.ndarray) -> None:
        self.recognizer, self.utterance = recognizer, utterance

    def __call__(self, start_s: float, end_s: float | None = None) -> np.ndarray:
        start = int(start_s * SAMPLE_RATE)
        piece = self.utterance[start:None if end_s is None else int(end_s * SAMPLE_RATE)]
        self.recognizer.piece_at(piece, start_s)
        return piece


def test_segments_and_tail_join_to_the_sentence_with_no_word_twice() -> None:
    recognizer = _ScriptedRecognizer(_CostOnly())
    partials = recognizer.partials(_CostOnly())
    words = "one two three four five six seven eight"
    recognizer.say(words, 4.0)
    cut = _Cutter(recognizer, _audio(4.2, 0))  # longer than the speech: pre-roll, hangover
    stable = StableText()
    # As the call posts them: partial tails from a cut, the segment that closes there, ...
    partials.transcribe(cut(0.0, 1.0))
    stable.add(0, recognizer.transcribe(cut(0.0, 1.5)))
    # A partial at the new cut, decoded before the segment that made the cut.
    early = partials.transcribe(cut(1.5, 2.2))
    assert stable.with_tail(0, early).text == "one two three four"
    stable.add(0, recognizer.transcribe(cut(1.5, 3.0)))
    final = stable.with_tail(0, recognizer.transcribe(cut(3.0)))
    assert final.text == words
    assert final.language == "en"


def test_a_segment_taken_from_a_partial_moves_the_words_on_as_a_decoded_one_does() -> None:
    """The call takes the segment a pause closes from the partial still decoding it (its
    words are not decoded twice): the piece after that cut starts where the partial ended."""
    recognizer = _ScriptedRecognizer(_CostOnly())
    partials = recognizer.partials(_CostOnly())
    words = "one two three four five six seven eight"
    recognizer.say(words, 4.0)
    cut = _Cutter(recognizer, _audio(4.2, 3))
    stable = StableText()
    stable.add(0, recognizer.transcribe(cut(0.0, 1.5)))
    stable.add(0, partials.transcribe(cut(1.5, 3.0)))  # the pause's segment
    after = partials.transcribe(cut(3.0, 3.6))  # the user goes on
    assert stable.with_tail(0, after).text == "one two three four five six seven"
    final = stable.with_tail(0, recognizer.transcribe(cut(3.0)))
    assert final.text == words


def test_a_new_sentence_starts_the_words_again() -> None:
    recognizer = _ScriptedRecognizer(_CostOnly())
    recognizer.say("a b", 1.0)
    assert recognizer.transcribe(_Cutter(recognizer, _audio(1.2, 1))(0.0)).text == "a b"
    recognizer.say("c d e", 1.0)
    assert recognizer.transcribe(_Cutter(recognizer, _audio(1.2, 2))(0.0)).text == "c d e"


def test_a_scripted_stream_hears_a_word_once_its_chunks_reach_past_it(
        streaming_recognizer) -> None:
    """The bench's streaming recognizer: the real fixture's decoding cost, the sentence's
    words as far as the decoded chunks reach (after the pre-roll), all of them once settled."""
    from desktop.voice.streaming_asr import StreamingRecognizer

    script = _ScriptedStreaming(StreamingRecognizer.load(streaming_recognizer))
    script.say("one two three four", 2.0)  # two seconds of speech after the pre-roll
    stream = script.open()
    assert stream.accept(np.zeros(int(PREROLL_S * SAMPLE_RATE), np.float32)).text == ""
    heard = stream.accept(_audio(1.0, 1) * 0.01)
    # 1.3 s fed: three 320 ms chunks decoded (0.96 s), 0.66 s of them speech: one word.
    assert stream.stream.chunks == 3 and heard.text == "one"
    assert stream.accept(_audio(1.0, 2) * 0.01).text == "one two three"
    assert stream.settle().text == "one two three four"


def test_loaded_figures_are_named_as_the_issue_names_them_with_the_ratio_to_idle() -> None:
    idle = {"text_to_first_audio_ms_p50": 200.0, "text_to_first_audio_ms_p90": 300.0,
            "backchannel_share": 0.0}
    busy = {"text_to_first_audio_ms_p50": 260.0, "text_to_first_audio_ms_p90": 390.0,
            "backchannel_share": 0.25}
    out = loaded_figures(idle, busy, ("text_to_first_audio_ms_p50",
                                      "text_to_first_audio_ms_p90", "backchannel_share",
                                      "missing_ms_p50"))
    assert out == {"text_to_first_audio_loaded_ms_p50": 260.0,
                   "text_to_first_audio_loaded_ratio": 1.3,
                   "text_to_first_audio_loaded_ms_p90": 390.0,
                   "backchannel_share_loaded": 0.25}


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states in /proc")
def test_a_busy_core_is_another_process_that_spins_until_the_block_ends() -> None:
    with BusyCore() as busy:
        process = busy._process
        assert process is not None and process.poll() is None
        assert _state(process.pid) == "R"
    assert process.poll() is not None


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states in /proc")
def test_the_pacer_stops_and_continues_and_always_leaves_the_process_running() -> None:
    with BusyCore() as busy:
        pid = busy._process.pid
        pacer_pid = os.fork()
        if pacer_pid == 0:  # the pacer, as its own process would run it
            pace(pid, 0.3)
            os._exit(0)
        seen = {_state(pid) for _ in range(400) if time.sleep(0.001) is None}
        os.kill(pacer_pid, signal.SIGTERM)
        os.waitpid(pacer_pid, 0)
        assert {"T", "R"} <= seen  # stopped and running, in turns
        assert _state(pid) == "R"


def test_a_slower_cpu_paces_this_process_only_inside_the_block() -> None:
    with SlowerCpu(1.0) as same:
        assert same._pacer is None  # this CPU as it is: nothing to pace
    with SlowerCpu(0.5) as slower:
        pacer = slower._pacer
        assert pacer is not None and pacer.poll() is None
        list(range(200_000))  # work goes on, only slower
    assert pacer.poll() is not None  # ended with the block


def test_a_share_outside_what_can_be_paced_is_refused_with_what_to_give() -> None:
    with pytest.raises(ValueError, match=r"between 0\.05 and 1"):
        SlowerCpu(2.0)


def test_the_bench_models_read_the_users_words_as_a_real_vocabulary_does(tmp_path) -> None:
    """Spelled byte by byte, "Tell me about the lighthouse" was 14 tokens where a real model
    reads about 5: every spoken turn prefilled three times too much on the user's clock."""
    from desktop.bench.common import SPOKEN_QUESTION, bench_words
    from desktop.brain.llm import LocalLLM
    from desktop.fixtures.gguf_model import TINY, write_qwen2_gguf

    assert {"Tell", "lighthouse", "Wait", "question"} <= set(bench_words())
    path = write_qwen2_gguf(tmp_path / "words.gguf", TINY, float_type="f32",
                            words=bench_words())
    llm = LocalLLM.load(path)
    assert llm.count_tokens(SPOKEN_QUESTION) == len(SPOKEN_QUESTION.split())
    # The reply's header, read after every transcript: 5 tokens in Qwen's vocabulary.
    assert len(llm.model.tokenize(b"<|im_end|>\n<|im_start|>assistant\n", add_bos=False,
                                  special=True)) == 5
    plain = LocalLLM.load(write_qwen2_gguf(tmp_path / "plain.gguf", TINY, float_type="f32"))
    assert plain.count_tokens(SPOKEN_QUESTION) > 2 * len(SPOKEN_QUESTION.split())
