"""``hearth bench --parts voice``: hands-free calls measured through the audio devices.

One PulseAudio null sink is both the room and the wire: the app plays into it, the app's
microphone is its monitor (so every reply echoes back into the microphone at full level, the
hardest case for the echo canceller), and the benchmark "speaks" by playing espeak-ng
speech into it. One recording of the sink therefore holds the user and the app on a single
clock. The played speech is then found in the recording by cross-correlation and subtracted
sample for sample (both at 48 kHz, so the server mixes without resampling), which leaves the
app's output alone, and:

- voice_to_first_audio_ms: from the last voiced 10 ms of the user's question to the first
  non-silent 10 ms of the app's output after it (a backchannel counts: it is sound);
- voice_to_first_words_ms: to the reply's own first words (backchannels excluded), and
  transcript_ready_after_speech_ms, from the call's clock (stream time of the end of speech);
  backchannel_share: fillers played per spoken turn;
- barge_in_stop_ms: from the first voiced 10 ms of the user talking over a reply to the
  start of the silence (at least 400 ms long) that follows in the app's output;
- false_barge_ins per 100 replies: replies (typed turns, nobody talking) that the app
  interrupted on its own, with its own voice in the microphone.

Engines: the Qwen2.5-shaped GGUF and piper-medium-shaped voice of the other parts, the
recognizer the app picks for the persona, in its real shapes with random weights (its
transcripts are noise, its cost is real): the streaming Zipformer transducer
(desktop/fixtures/streaming_asr.py) or SenseVoice-Small (desktop/fixtures/sense_voice_small.py;
``--recognizers streaming sense-voice`` measures both in one run), WebRTC AEC3, and the
Silero-format VAD fixture (Silero v5 costs about a millisecond per 32 ms window, a small part
of one core).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from desktop.bench.common import (
    SPOKEN_INTERRUPT,
    SPOKEN_QUESTION,
    USER_LINES,
    percentile,
    speakable_bias,
)
from desktop.brain.llm import LocalLLM, Sampling
from desktop.budget import CpuBudget
from desktop.call.listening import PREROLL_S
from desktop.fixtures.pulse import window_rms
from desktop.machine import OtherLoad
from desktop.paths import DataDirs
from desktop.voice.asr import SAMPLE_RATE
from desktop.voice.streaming_asr import FRAME_SHIFT

RATE = 48000
WINDOW = RATE // 100  # 10 ms
VOICED = 0.004  # RMS of a 10 ms window that counts as sound (-48 dBFS)
QUIET_AFTER_STOP_S = 0.4
REPLY_SEED = 14


def _load_48k(path: Path) -> np.ndarray:
    import soxr

    from desktop.fixtures.pulse import read_wav

    audio, rate = read_wav(path)
    return soxr.resample(audio, rate, RATE).astype(np.float32)


def _write_48k(path: Path, audio: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def _voiced_extent(audio: np.ndarray) -> tuple[int, int]:
    """First and last sample of the voiced 10 ms windows."""
    loud = np.nonzero(window_rms(audio, RATE) > VOICED)[0]
    return int(loud[0]) * WINDOW, int(loud[-1] + 1) * WINDOW


def _voiced_seconds(clip: np.ndarray) -> float:
    """How long the speech in ``clip`` lasts, from its first voiced 10 ms to its last."""
    start, end = _voiced_extent(clip)
    return (end - start) / RATE


def _locate(recording: np.ndarray, clip: np.ndarray, guess: int, span: int) -> int:
    """Where ``clip`` starts in ``recording``, searched around ``guess``."""
    start = max(0, guess - span)
    end = min(len(recording), guess + span + len(clip))
    region = recording[start:end]
    if len(region) < len(clip):
        return guess
    size = 1 << int(np.ceil(np.log2(len(region) + len(clip))))
    correlation = np.fft.irfft(np.fft.rfft(region, size) * np.conj(np.fft.rfft(clip, size)),
                               size)[: len(region) - len(clip) + 1]
    return start + int(np.argmax(correlation))


def analyse(recording: np.ndarray, plays: list[tuple[str, float, np.ndarray]],
            recording_started: float) -> tuple[list[float], list[float]]:
    """(voice_to_first_audio_ms, barge_in_stop_ms) from a recording of user + app."""
    residual = recording.copy()
    located = []
    # The recorder starts capturing some time after it was launched; the first clip, found
    # with a wide search, tells how late, and the rest are searched near where that says.
    late = 0
    for kind, played_at, clip in plays:
        guess = int((played_at - recording_started) * RATE) - late
        offset = _locate(recording, clip, guess, 3 * RATE if not located else RATE // 2)
        late += guess - offset
        end = min(len(residual), offset + len(clip))
        residual[offset:end] -= clip[: end - offset]  # what remains is the app alone
        located.append((kind, offset, clip))
    rms = window_rms(residual, RATE)
    first_audio, stops = [], []
    for kind, offset, clip in located:
        voiced_start, voiced_end = _voiced_extent(clip)
        if kind == "question":
            ended = (offset + voiced_end) // WINDOW
            after = np.nonzero(rms[ended + 1:] > VOICED)[0]
            if len(after):
                first_audio.append((after[0] + 1) * 10.0)
        else:
            onset = (offset + voiced_start) // WINDOW
            quiet = rms[onset:] <= VOICED
            needed = int(QUIET_AFTER_STOP_S * 100)
            run = 0
            for index, is_quiet in enumerate(quiet):
                run = run + 1 if is_quiet else 0
                if run >= needed:
                    stops.append((index - needed + 1) * 10.0)
                    break
    return first_audio, stops


class _ScriptedRecognizer:
    """The SenseVoice-Small-shaped recognizer's real decoding cost, with the words the user
    actually said: a random-weight model writes noise ("w10599 w22842 ..."), three times as
    many tokens as the sentence, and the LLM would pay to prefill noise.

    The call decodes an utterance in pieces (desktop/call/segments.py): segments, each once and
    in order, and tails that start where the last segment ended. Each piece gets the words
    spoken in its stretch of the sentence (by its share of the sentence's audio), so the
    segments and the tail join to the sentence, no word twice. Where a piece starts is told
    by the call's own cut (``piece_at``, HandsFreeCall's ``on_cut``): guessed from the
    order of decodes, it went wrong when a partial, decoded beside the segments, began at a
    cut whose segment was still decoding, or the call took a pause's segment from a partial.
    The utterance's first piece begins with the call's pre-roll, audio from before the
    speech: a word counts as heard once the audio after the pre-roll reaches it, never sooner
    (a draft must not know a word before the user said it).

    ``partials()`` is the call's partial recognizer: another real one, reading the same
    script."""

    def __init__(self, recognizer, script: _ScriptedRecognizer | None = None) -> None:
        self.recognizer = recognizer
        self.script = script or self  # whose words and pieces
        self.words: list[str] = []
        self.seconds = 1.0
        self._starts: dict[bytes, float] = {}  # first samples of a piece -> its offset (s)

    def partials(self, recognizer) -> _ScriptedRecognizer:
        return _ScriptedRecognizer(recognizer, self)

    def say(self, text: str, seconds: float) -> None:
        self.words, self.seconds, self._starts = text.split(), seconds, {}

    def piece_at(self, samples: np.ndarray, start_s: float) -> None:
        """The call cut ``samples`` from its utterance ``start_s`` seconds in."""
        self._starts[self._key(samples)] = start_s

    @staticmethod
    def _key(samples: np.ndarray) -> bytes:
        return np.asarray(samples[:160], dtype=np.float32).tobytes()

    def _words_between(self, start_s: float, end_s: float) -> str:
        count = len(self.words)
        first = min(count, max(0, round(start_s / self.seconds * count)))
        last = count if end_s >= self.seconds else round(end_s / self.seconds * count)
        return " ".join(self.words[first:max(first, last)])

    def transcribe(self, samples: np.ndarray):
        from dataclasses import replace

        heard = self.recognizer.transcribe(samples)  # the cost is real
        script = self.script
        start = script._starts.get(self._key(samples), 0.0)
        return replace(heard, text=script._words_between(start - PREROLL_S,
                                                         start + heard.audio_s - PREROLL_S),
                       language="en")


class _ScriptedStreaming(_ScriptedRecognizer):
    """The streaming Zipformer-shaped recognizer's real cost (every chunk decoded as the
    audio comes, and the padded chunk at a pause), with the words the user said: a stream
    has heard a word once the chunks it decoded reach past it (after the call's pre-roll),
    and all of them once it settled."""

    def open(self) -> _ScriptedStream:
        return _ScriptedStream(self, self.recognizer.open())


class _ScriptedStream:
    def __init__(self, script: _ScriptedStreaming, stream) -> None:
        self.script, self.stream = script, stream

    def _heard(self, heard, seconds: float):
        from dataclasses import replace

        return replace(heard, text=self.script._words_between(0.0, seconds - PREROLL_S),
                       language="en")

    def accept(self, samples: np.ndarray):
        heard = self.stream.accept(samples)
        decoded = self.stream.chunks * self.stream.recognizer.chunk_frames * FRAME_SHIFT
        return self._heard(heard, min(decoded, self.stream.speech_samples) / SAMPLE_RATE)

    def settle(self):
        heard = self.stream.settle()
        return self._heard(heard, self.stream.speech_samples / SAMPLE_RATE)


def _bench_recognizer(listening: Path, kind: str, budget: CpuBudget):
    """The call's recognizer, and its partial recognizer (SenseVoice's, as the app loads
    one), built once in the real shapes (a few minutes for SenseVoice)."""
    from desktop.voice.asr import SpeechRecognizer
    from desktop.voice.streaming_asr import StreamingRecognizer

    if kind == "streaming":
        # "v2": built in the shapes of the model's own export script (the first build's
        # third and fourth stacks had the recipe's wider feed-forwards); a new name, so a
        # cached build of the old shapes is not measured again.
        folder = listening / "streaming-zipformer-bilingual-zh-en-v2"
        if not (folder / "tokens.txt").is_file():
            from desktop.fixtures.streaming_asr import write_streaming_zipformer

            write_streaming_zipformer(folder)
        return _ScriptedStreaming(StreamingRecognizer.load(folder, budget.tts_threads)), None
    folder = listening / "sense-voice-small"
    if not (folder / "tokens.txt").is_file():
        from desktop.fixtures.sense_voice_small import write_sense_voice_small

        write_sense_voice_small(folder)
    recognizer = _ScriptedRecognizer(SpeechRecognizer.load(folder, threads=budget.tts_threads))
    return recognizer, recognizer.partials(SpeechRecognizer.load(
        folder, threads=budget.tts_threads))


def measure_voice(dirs: DataDirs, llm_path: Path, voice_path: Path, budget: CpuBudget,
                  pulse, turns: int, replies: int, recognizer_kind: str = "streaming") -> dict:

    # Long: one measured call, set up, driven and analysed in order; a benchmark reads best top to
    # bottom
    from desktop.call.events import Hearing, ReplyFinished
    from desktop.call.listening import HandsFreeCall
    from desktop.call.session import Conversation
    from desktop.fixtures.asr_models import write_silero_vad_v5
    from desktop.fixtures.pulse import read_wav, stop_recording
    from desktop.fixtures.speech import SPEECH
    from desktop.personas.library import PersonaLibrary
    from desktop.voice.audio_in import AudioInput
    from desktop.voice.audio_out import AudioOutput
    from desktop.voice.echo import EchoCanceller
    from desktop.voice.tts import PiperTTS
    from desktop.voice.vad import SileroVAD

    listening = dirs.cache / "bench" / "listening"
    if not (listening / "silero_vad.onnx").is_file():
        write_silero_vad_v5(listening / "silero_vad.onnx")
    persona = PersonaLibrary(dirs).list()[0]
    llm = LocalLLM.load(llm_path, budget.llm)
    tts = PiperTTS.load(voice_path, threads=budget.tts_threads)
    output = AudioOutput().open()  # as the app opens it
    events: list = []
    conversation = Conversation(persona, None, llm, events.append, tts=tts, output=output,
                                cache_dir=dirs.cache, budget=budget,
                                # One seed for every reply: the same prompt then draws the
                                # same first clause, whichever recognizer heard it (unseeded,
                                # a clause one token longer moved a p50 by a decode step).
                                sampling=Sampling(max_tokens=24, seed=REPLY_SEED,
                                                  logit_bias=speakable_bias(llm)),
                                load=OtherLoad())  # as the app re-budgets under load
    conversation.start()
    conversation.set_spoken(True)
    llm.warm(persona.prompt(), dirs.cache)
    pulse.set_default_source("hearth_out.monitor")  # the room: the app hears itself
    recognizer, partial_recognizer = _bench_recognizer(listening, recognizer_kind, budget)
    call = HandsFreeCall(
        conversation, SileroVAD.load(listening / "silero_vad.onnx"), recognizer,
        events.append, open_microphone=lambda: AudioInput().open(),
        echo=EchoCanceller.load(),
        # where each piece the call decodes begins (SenseVoice's segments and tails)
        partial_recognizer=partial_recognizer, on_cut=recognizer.piece_at)
    folder = Path(tempfile.mkdtemp(prefix="hearth-voice-bench-"))
    question = _load_48k(SPEECH / "user-question.wav")
    interrupt = _load_48k(SPEECH / "user-interrupt.wav")
    question_file = _write_48k(folder / "question.wav", question)
    interrupt_file = _write_48k(folder / "interrupt.wav", interrupt)
    recording_path = folder / "session.wav"
    recorder = pulse.record(recording_path, rate=RATE)
    recording_started = time.monotonic()
    call.start(ring=True, greet=False)
    time.sleep(3.0)  # the ring plays (and trains the canceller); the null sink wakes up

    def finished(turn_id: int) -> ReplyFinished | None:
        return next((e for e in events if isinstance(e, ReplyFinished)
                     and e.turn_id == turn_id), None)

    def wait(condition, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.01)
        return False

    plays: list[tuple[str, float, np.ndarray]] = []
    meter: dict[str, list[float]] = {"transcribed": [], "reading": [], "first_token": [],
                                     "first_sentence": [], "first_audio_queued": [],
                                     "first_audio_played": [], "first_words_played": []}
    prompt_tokens: list[int] = []  # what each reply read that the cache did not hold
    for _ in range(turns):
        before = conversation.control.current
        recognizer.say(SPOKEN_QUESTION, _voiced_seconds(question))
        plays.append(("question", time.monotonic(), question))
        pulse.play(question_file, "hearth_out").wait(timeout=30)
        if not wait(lambda b=before: conversation.control.current > b and conversation.control
                    .times[conversation.control.current].first_audio_played is not None):
            continue
        asked = conversation.control.current
        # Talk over the reply's own words (not a backchannel), well under way.
        if not wait(lambda a=asked: conversation.control.times[a].first_words_played
                    is not None, 20):
            continue
        time.sleep(0.6)
        if finished(asked) is not None:
            continue  # it was over already: nothing to talk over
        recognizer.say(SPOKEN_INTERRUPT, _voiced_seconds(interrupt))
        plays.append(("interrupt", time.monotonic(), interrupt))
        pulse.play(interrupt_file, "hearth_out").wait(timeout=30)
        wait(lambda a=asked: finished(a) is not None, 10)
        times = conversation.control.times[asked]
        for name in meter:
            value = times.since_speech_ms(name)
            if value is not None:
                meter[name].append(value)
        prompt_tokens.append(times.prompt_tokens or 0)
        # The interruption is a turn of its own: let its reply play out.
        wait(lambda a=asked: conversation.control.current > a, 15)
        wait(lambda: finished(conversation.control.current) is not None, 60)
        time.sleep(0.8)
    spoken_barge_ins = call.stats.barge_ins
    spoken_turns = call.stats.turns
    spoken_backchannels = conversation.speech.backchannels_played
    interrupted = 0
    completed = 0
    for index in range(replies):
        turn = conversation.say(USER_LINES[index % len(USER_LINES)])
        if wait(lambda t=turn: finished(t) is not None, 60):
            completed += 1
            interrupted += int(finished(turn).interrupted)
        time.sleep(0.3)
    false_barge_ins = call.stats.barge_ins - spoken_barge_ins
    heard_itself = call.stats.turns - spoken_turns  # its own voice taken for the user's
    backchannels = conversation.speech.backchannels_played
    call.hang_up()
    conversation.close()
    output.close()
    time.sleep(0.3)
    stop_recording(recorder)
    recording, rate = read_wav(recording_path)
    assert rate == RATE
    first_audio, stops = analyse(recording, plays, recording_started)
    return {
        "voice_to_first_audio_ms_p50": percentile(first_audio, 50),
        "voice_to_first_audio_ms_p90": percentile(first_audio, 90),
        "voice_turns_measured": len(first_audio),
        # The questions whose final transcript was the whole question (the reply answered
        # what was said, not a part of it).
        "questions_heard_whole": round(sum(
            1 for e in events if isinstance(e, Hearing) and e.final
            and e.text == SPOKEN_QUESTION) / max(1, turns), 2),
        # Tokens the model reads for the spoken question (a real vocabulary's count).
        "question_tokens": llm.count_tokens(SPOKEN_QUESTION),
        # The reply's own first words (a backchannel such as "Mm," is not counted), from the
        # end of the user's speech on the call's stream clock.
        "voice_to_first_words_ms_p50": percentile(meter["first_words_played"], 50),
        "voice_to_first_words_ms_p90": percentile(meter["first_words_played"], 90),
        "transcript_ready_after_speech_ms_p50": percentile(meter["transcribed"], 50),
        "transcript_ready_after_speech_ms_p90": percentile(meter["transcribed"], 90),
        "reply_prompt_tokens_p50": percentile(prompt_tokens, 50),
        # How often a filler played before the reply's own words, per spoken turn.
        "backchannel_share": round(spoken_backchannels / max(1, spoken_turns), 2),
        "barge_in_stop_ms_p50": percentile(stops, 50),
        "barge_in_stop_ms_p90": percentile(stops, 90),
        "barge_ins_measured": len(stops),
        # From the call's own clocks (stream time of the end of speech): the latency meter.
        "voice_meter_ms_p50": {name: round(statistics.median(values), 1)
                         for name, values in meter.items() if values},
        "replies_with_echo": completed,
        "false_barge_ins": false_barge_ins,
        "false_barge_ins_per_100_replies": round(100.0 * false_barge_ins / max(1, completed),
                                                 1),
        "replies_cut_short": interrupted,
        "own_voice_taken_for_user_turns": heard_itself,
        "backchannels_played": backchannels,
        "speculative_replies_released": call.stats.speculative_hits,
        # Segments a pause closed whose words a partial already decoding held.
        "segments_from_partials": call.stats.segments_from_partials,
        "final_decode_wait_ms_p50": percentile(call.stats.final_wait_ms, 50),
        "final_decode_wait_ms_p90": percentile(call.stats.final_wait_ms, 90),
        # The end of speech -> the pause heard by the VAD: transcript ready minus this is
        # the recognizer's own share.
        "pause_heard_after_speech_ms_p50": percentile(call.stats.pause_heard_ms, 50),
        "final_decode_ms_p50": percentile(call.stats.final_decode_ms, 50),
        "final_decode_ms_p90": percentile(call.stats.final_decode_ms, 90),
        "recognizer": recognizer_kind,
        "barge_in_onset_to_flushed_ms_p50": percentile(call.stats.stop_ms, 50),
    }
