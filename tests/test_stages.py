"""Each stage of the call alone, over a list of frames, with fakes: milliseconds, no engine,
no thread (desktop.call.stages.run_frames). The whole pipeline with the real engines is proven
by tests/test_first_call.py, test_held_turns.py and test_hands_free.py."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.brain.llm import Sampling
from desktop.brain.prompt import Message
from desktop.budget import CpuBudget
from desktop.call.brain import APOLOGIES, BrainStage
from desktop.call.duties import SafetyDuties
from desktop.call.events import Caption, ReplyFinished, ReplyStarted, ReplyToken
from desktop.call.frames import EndOfReply, SentenceText, UserText
from desktop.call.guard import REFUSALS
from desktop.call.memory_duty import MemoryDuty
from desktop.call.playback import PlaybackMonitor
from desktop.call.recorder import TurnRecorder
from desktop.call.speech import SpeechStage
from desktop.call.stages import run_frames
from desktop.call.state import CallState, Reply
from desktop.face.animator import FaceAnimator
from desktop.paths import DataDirs
from desktop.personas.library import PersonaLibrary
from tests.helpers.events import Events
from tests.helpers.fakes import ClockedOutput, ScriptedLLM, SilentVoice


class Call:
    """The parts a stage is built from, joined the way Conversation joins them, with the
    frames each stage sends on collected instead of queued."""

    def __init__(self, tmp_path: Path, llm=None, license_: dict | None = None) -> None:
        persona = PersonaLibrary(DataDirs(tmp_path)).get("org.hearth.wren")
        if license_:
            persona.license = {**persona.license, **license_}
        self.events = Events()
        self.output = ClockedOutput()
        self.state = CallState(persona, self.events, "en", self.output)
        self.state.running = True
        self.duties = SafetyDuties(self.state)
        self.memory = MemoryDuty(self.state, None, llm, None, None)
        self.settled = 0
        self.recorder = TurnRecorder(self.state, None, self.memory, self._settle)
        self.to_speech: list = []
        self.brain = BrainStage(self.state, llm, self.memory, self.duties, self.recorder,
                                self.to_speech.append, Sampling(), None, None)
        self.speech = SpeechStage(self.state, SilentVoice(), FaceAnimator())
        self.monitor = PlaybackMonitor(self.state, self.recorder, self.speech)

    def _settle(self) -> None:
        self.settled += 1

    def user_turn(self, text: str, spoken: bool = True) -> UserText:
        turn_id = self.state.control.begin(0.0)
        reply = Reply(turn_id, spoken=spoken, user_text=text)
        reply.released.set()
        self.state.replies[turn_id] = reply
        self.state.history.append(Message("user", text))
        return UserText(turn_id, text)

    def shown(self, turn_id: int) -> str:
        return "".join(e.text for e in self.events.of(ReplyToken) if e.turn_id == turn_id)


def test_the_brain_writes_a_spoken_reply_sentence_by_sentence(tmp_path: Path) -> None:
    call = Call(tmp_path, ScriptedLLM(["Hello", " there.", " How", " are you?"]))
    frame = call.user_turn("hi")
    run_frames(call.brain, [frame])
    assert [type(e) for e in call.events.of(ReplyStarted)] == [ReplyStarted]
    assert call.shown(frame.turn_id) == "Hello there. How are you?"
    sentences = [f for f in call.to_speech if isinstance(f, SentenceText)]
    assert [(f.index, f.text) for f in sentences] == [(0, "Hello there."), (1, "How are you?")]
    assert isinstance(call.to_speech[-1], EndOfReply)
    assert call.state.replies[frame.turn_id].generation_done
    assert not call.events.of(ReplyFinished)  # a spoken reply ends when it has been played


def test_a_text_reply_ends_at_once_and_joins_the_history(tmp_path: Path) -> None:
    call = Call(tmp_path, ScriptedLLM(["Fine", ", thanks."]))
    frame = call.user_turn("how are you", spoken=False)
    run_frames(call.brain, [frame])
    (finished,) = call.events.of(ReplyFinished)
    assert finished.full_text == "Fine, thanks." and not finished.interrupted
    assert call.state.history[-1] == Message("assistant", "Fine, thanks.")
    assert call.to_speech == [] and call.settled == 1


def test_the_guard_stops_a_violation_before_any_of_it_is_shown(tmp_path: Path) -> None:
    call = Call(tmp_path, ScriptedLLM(["I like", " the", " rain", " a lot."]),
                {"never_say": ["rain"]})
    frame = call.user_turn("talk about the weather", spoken=False)
    run_frames(call.brain, [frame])
    shown = call.shown(frame.turn_id)
    assert "rain" not in shown and shown.endswith(REFUSALS["en"])


def test_an_engine_that_goes_away_gets_one_retry_then_an_apology(tmp_path: Path,
                                                                 monkeypatch) -> None:
    monkeypatch.setattr("desktop.call.brain.ENGINE_RETRY_DELAY_S", 0.0)
    retried = Call(tmp_path, ScriptedLLM(["Back", " again."], failures=1))
    frame = retried.user_turn("hello", spoken=False)
    run_frames(retried.brain, [frame])
    assert retried.shown(frame.turn_id) == "Back again."
    gone = Call(tmp_path, ScriptedLLM(["never"], failures=2))
    frame = gone.user_turn("hello", spoken=False)
    run_frames(gone.brain, [frame])
    assert gone.shown(frame.turn_id) == APOLOGIES["en"]


def test_a_cancelled_turn_is_dropped_by_every_stage(tmp_path: Path) -> None:
    call = Call(tmp_path, ScriptedLLM(["Never", " said."]))
    frame = call.user_turn("hi")
    call.state.control.cancel(frame.turn_id)
    run_frames(call.brain, [frame])
    run_frames(call.speech, [SentenceText(frame.turn_id, 0, "Never said.")])
    assert call.events.items == [] and call.to_speech == [] and call.output.queued == []


def test_speech_places_sentences_on_the_timeline_and_playback_captions_and_ends(
        tmp_path: Path) -> None:
    call = Call(tmp_path, ScriptedLLM(["One.", " Two."]))
    frame = call.user_turn("count")
    run_frames(call.brain, [frame])
    run_frames(call.speech, call.to_speech)
    reply = call.state.replies[frame.turn_id]
    assert [(s.start, s.end) for s in call.output.queued] == [(0, 640), (640, 1280)]
    assert reply.synthesis_done and reply.tracker.spans == {0: (0, 640), 1: (640, 1280)}
    call.output.played = 700
    call.monitor.tick()
    assert call.events.of(Caption)[-1].text == "One."  # heard so far
    assert not call.events.of(ReplyFinished)
    call.output.played = 1280
    call.monitor.tick()
    (finished,) = call.events.of(ReplyFinished)
    assert finished.heard_text == "One. Two."
    assert call.state.control.times[frame.turn_id].first_audio_played is not None


def test_a_held_replys_events_wait_for_its_release(tmp_path: Path) -> None:
    call = Call(tmp_path, ScriptedLLM(["Sure."]))
    frame = call.user_turn("maybe", spoken=False)
    call.state.replies[frame.turn_id].released.clear()  # the user only paused
    run_frames(call.brain, [frame])
    assert call.events.items == []
    reply = call.state.replies[frame.turn_id]
    assert [type(e) for e in reply.held_events] == [ReplyStarted, ReplyToken, ReplyFinished]


@pytest.mark.parametrize("text, crisis", [("I want to kill myself", True), ("hello", False)])
def test_every_reply_ends_with_the_referral_when_the_user_needs_it(tmp_path: Path, text: str,
                                                                   crisis: bool) -> None:
    call = Call(tmp_path, ScriptedLLM(["I hear you."]))
    frame = call.user_turn(text, spoken=False)
    run_frames(call.brain, [frame])
    assert ("findahelpline.com" in call.shown(frame.turn_id)) is crisis


def test_the_engines_speak_the_protocols_and_the_remote_one_only_what_it_has() -> None:
    from desktop.brain.engine import LanguageEngine, PromptCache
    from desktop.brain.llm import LocalLLM
    from desktop.brain.remote import RemoteLLM

    assert issubclass(LocalLLM, LanguageEngine) and issubclass(LocalLLM, PromptCache)
    assert issubclass(RemoteLLM, LanguageEngine) and not issubclass(RemoteLLM, PromptCache)


def test_an_engine_without_a_prompt_cache_still_answers_and_drafts_are_skipped(
        tmp_path: Path) -> None:
    from desktop.brain.engine import prompt_cache
    from desktop.call.frames import Draft

    class Streaming:  # what a remote server offers: a stream, token counts, no cache
        def stream(self, persona, history, should_stop=lambda: False, sampling=None,
                   grammar=None, prefill_chunk=None):
            yield "Hello."

        def count_tokens(self, text: str) -> int:
            return 1

        def overflow(self, persona, history, reserve: int) -> int:
            return 0

    call = Call(tmp_path, Streaming())
    assert prompt_cache(call.brain.llm) is None
    call.brain.draft = "typing"
    frame = call.user_turn("hi", spoken=False)
    run_frames(call.brain, [Draft(), frame])
    assert call.shown(frame.turn_id) == "Hello."


def test_every_voice_engine_speaks_its_protocol_and_loads_one_way() -> None:
    from desktop.face.detector import FaceDetector
    from desktop.face.neural import NeuralFace
    from desktop.face.renderer import FaceRenderer
    from desktop.face.source import FaceSource
    from desktop.voice.asr import SpeechRecognizer
    from desktop.voice.echo import EchoCanceller
    from desktop.voice.engines import EchoCancelling, Recognizer, SpeechEngine, VoiceActivity
    from desktop.voice.tts import PiperTTS
    from desktop.voice.vad import SileroVAD

    pairs = [(PiperTTS, SpeechEngine), (SpeechRecognizer, Recognizer),
             (SileroVAD, VoiceActivity), (EchoCanceller, EchoCancelling),
             (NeuralFace, FaceSource)]
    assert [(engine.__name__, seam.__name__) for engine, seam in pairs
            if not issubclass(engine, seam)] == []
    engines = [PiperTTS, SpeechRecognizer, SileroVAD, EchoCanceller, FaceDetector, FaceRenderer,
               NeuralFace, __import__("desktop.brain.llm", fromlist=["LocalLLM"]).LocalLLM]
    # One idiom: Engine.load(...) builds and loads; no engine is loaded by a method call on an
    # instance made by hand.
    assert [e.__name__ for e in engines if not isinstance(e.__dict__.get("load"),
                                                          staticmethod | classmethod)] == []


def test_narration_is_shown_but_not_spoken_or_captioned(tmp_path: Path) -> None:
    from desktop.text import dialogue
    from desktop.ui.transcript import Labels, Transcript

    assert dialogue("*She smiles.* Hello there. *waves*") == "Hello there."
    assert dialogue("5 * 3 is fifteen.") == "5 * 3 is fifteen."  # a lone asterisk is not it
    call = Call(tmp_path, ScriptedLLM(["*She looks up.*", " Hello.", " *She waves.*"]))
    spoken: list[str] = []

    class Recording(SilentVoice):
        def synthesize(self, text: str):
            spoken.append(text)
            yield from super().synthesize(text)

    call.speech.tts = Recording()
    frame = call.user_turn("hi")
    run_frames(call.brain, [frame])
    run_frames(call.speech, call.to_speech)
    assert spoken and all("*" not in text and "looks up" not in text for text in spoken)
    assert "Hello." in " ".join(spoken)
    call.output.played = call.output.end
    call.monitor.tick()
    assert call.events.of(ReplyFinished)  # a turn with narration in it still ends
    caption = call.events.of(Caption)[-1].text
    assert caption == "Hello."  # captions are what is heard
    transcript = Transcript()
    transcript.apply(ReplyStarted(9, False), Labels())
    transcript.apply(ReplyToken(9, "*She smiles.* Hi & bye"), Labels())
    shown = transcript.to_html(Labels())
    assert "<i style='color:#b9b4c7'>She smiles.</i> Hi &amp; bye" in shown


@pytest.mark.parametrize("waited_s, filler", [(0.2, False), (1.2, True)])
def test_a_filler_is_said_only_when_the_replys_own_words_are_slow(tmp_path: Path,
                                                                  waited_s: float,
                                                                  filler: bool) -> None:
    """Issue "Answers, not backchannels": "Mm," played on every turn. Now a reply whose words
    come within a human turn gap starts with them; only a long wait gets the filler, and
    the filler is then the start of the reply (its first audio, not its first words)."""
    import time

    from desktop.call.frames import PrepareBackchannels

    call = Call(tmp_path, ScriptedLLM(["Sure."]))
    run_frames(call.speech, [PrepareBackchannels()])
    frame = call.user_turn("well")
    times = call.state.control.times[frame.turn_id]
    times.speech_ended = time.monotonic() - waited_s
    call.monitor.tick()
    assert call.speech.backchannels_played == int(filler)
    assert (times.first_audio_queued is not None) == filler
    assert len(call.output.queued) == int(filler)
    run_frames(call.brain, [frame])
    run_frames(call.speech, call.to_speech)
    call.monitor.tick()  # never a second filler for the same reply
    assert call.speech.backchannels_played == int(filler)
    reply = call.state.replies[frame.turn_id]
    assert (-1 in reply.tracker.spans) == filler  # the filler is heard first, as the reply's
    own = reply.tracker.spans[max(reply.tracker.spans)]
    assert own == (call.output.queued[-1].start, call.output.queued[-1].end)


def test_no_filler_once_the_replys_first_sentence_is_with_the_voice(tmp_path: Path) -> None:
    """A filler queued while the first sentence was being synthesized held the reply's own
    words back by the filler's length (first words 1.18 s instead of about 0.8 s on a CPU
    half this machine's speed)."""
    import time

    from desktop.call.frames import PrepareBackchannels

    call = Call(tmp_path, ScriptedLLM(["Sure."]))
    run_frames(call.speech, [PrepareBackchannels()])
    frame = call.user_turn("well")
    times = call.state.control.times[frame.turn_id]
    times.speech_ended = time.monotonic() - 2.0  # long past the filler's moment
    times.first_sentence = time.monotonic()  # but the words are at the voice
    call.monitor.tick()
    assert call.speech.backchannels_played == 0 and call.output.queued == []


@pytest.mark.parametrize("waited_s, filler", [(1.0, False), (1.6, True)])
def test_no_filler_while_the_model_writes_the_first_piece_unless_that_takes_long(
        tmp_path: Path, waited_s: float, filler: bool) -> None:
    """The first piece is a few tokens once the first has come: an "Mm," begun then held
    the words back by its length (first words 400 ms after the piece was written, on a
    CPU half this machine's speed). Only a model still not done with it much later gets
    the filler."""
    import time

    from desktop.call.frames import PrepareBackchannels

    call = Call(tmp_path, ScriptedLLM(["Sure."]))
    run_frames(call.speech, [PrepareBackchannels()])
    frame = call.user_turn("well")
    times = call.state.control.times[frame.turn_id]
    times.speech_ended = time.monotonic() - waited_s
    times.first_token = time.monotonic() - 0.2  # it is writing
    call.monitor.tick()
    assert call.speech.backchannels_played == int(filler)


def test_a_held_reply_gets_no_filler_before_it_is_released(tmp_path: Path) -> None:
    import time

    from desktop.call.frames import PrepareBackchannels

    call = Call(tmp_path, ScriptedLLM(["Sure."]))
    run_frames(call.speech, [PrepareBackchannels()])
    frame = call.user_turn("maybe")
    call.state.replies[frame.turn_id].released.clear()  # the user only paused
    call.state.control.times[frame.turn_id].speech_ended = time.monotonic() - 5
    call.monitor.tick()
    assert call.speech.backchannels_played == 0 and call.output.queued == []


def test_other_programs_load_is_measured_and_the_threads_rebudgeted(tmp_path: Path) -> None:
    """Issue "Answers, not backchannels": beside one busy core, typed turns went from 0.6 s
    to 6 s (two llama.cpp threads, one core free). The reply plans on the free cores, and
    its times say how busy the computer was."""
    from desktop.budget import CpuBudget
    from desktop.machine import OtherLoad

    ticks = {"busy": 0, "total": 0, "own": 0}
    load = OtherLoad(lambda: (ticks["busy"], ticks["total"], 2), lambda: ticks["own"])
    call = Call(tmp_path, ScriptedLLM(["Sure."]))
    budget = CpuBudget.for_machine(2)
    call.brain.budget = call.brain.base_budget = budget
    call.brain.load = load
    load.cores()  # the count starts
    # One second on two CPUs: 200 ticks; 130 busy, 30 of them Hearth's own.
    ticks.update(busy=130, total=200, own=30)
    frame = call.user_turn("hello", spoken=False)
    run_frames(call.brain, [frame])
    times = call.state.control.times[frame.turn_id]
    assert times.others_busy_cores == 1.0
    assert call.brain.budget.cores == 1 and call.brain.budget.llm.prefill == 1
    assert "computer busy (1.0 core" in times.latency_line()
    # The other program stopped: every core again.
    ticks.update(busy=160, total=400, own=60)
    frame = call.user_turn("again", spoken=False)
    run_frames(call.brain, [frame])
    assert call.brain.budget == budget
    assert "busy" not in call.state.control.times[frame.turn_id].latency_line()


def test_a_real_busy_core_is_seen_as_other_programs_load() -> None:
    import subprocess
    import sys
    import time

    from desktop.machine import OtherLoad

    load = OtherLoad()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        load.cores()
        time.sleep(1.0)
        busy = load.cores()
    finally:
        spinner.kill()
        spinner.wait()
    assert busy >= 0.6  # the spinner's core (and whatever else runs), never Hearth's own


def test_the_users_message_does_not_cut_a_prefill_it_goes_on_from(tmp_path: Path) -> None:
    """A draft's prefill cut mid-batch by the message that repeats it threw its work away and
    the reply did it again (about 250 ms on a slow CPU): only a prefill of something else is
    cut; the settling history serves every next turn."""
    from desktop.call.frames import Draft

    class Cached(ScriptedLLM):  # with the whole prompt-cache protocol
        def clear_context(self) -> None:
            pass

    llm = Cached(["Yes."])
    call = Call(tmp_path, llm)
    seen: list[tuple[str | None, bool, bool, bool]] = []

    def prefill(prompt, history, should_stop=lambda: False) -> int:
        brain = call.brain
        seen.append((brain.prefilling, brain.prefill_serves("Tell me about the lighthouse"),
                     brain.prefill_serves("Tell me about the harbour"),
                     brain.prefill_serves("Tell me about the lighthouses")))
        return 0

    llm.prefill = prefill
    llm.prefill_history = prefill
    call.brain.draft = "Tell me about the"
    run_frames(call.brain, [Draft()])
    call.brain.draft = "Tell me about the lighthouse"
    run_frames(call.brain, [Draft()])
    assert seen == [("Tell me about the", True, True, True),
                    ("Tell me about the lighthouse", True, False, False)]
    assert call.brain.prefilling is None  # nothing runs: nothing to spare
    assert not call.brain.prefill_serves("Tell me about the lighthouse")
    call.brain.prefilling = ""  # the finished history settling
    assert call.brain.prefill_serves("Anything at all")
    # In a call a spoken draft is prefilled on the one core the recognizer leaves, a few
    # tokens at a time: the reply cuts it and reads on every core.
    call.brain.hands_free = True
    assert call.brain.prefill_serves("Anything at all")  # the history still serves
    call.brain.prefilling = "Tell me about the"
    assert not call.brain.prefill_serves("Tell me about the lighthouse")


@pytest.mark.parametrize("cores", [1, 2])
def test_on_one_free_core_the_brain_lets_the_voice_start_before_writing_on(
        tmp_path: Path, cores: int) -> None:
    """Beside a busy core piper and llama.cpp share the one left, each at half speed: the
    first audio (what the user waits for) comes sooner if the brain pauses until the voice
    has it. With a core each, the brain writes on at once."""
    call = Call(tmp_path, ScriptedLLM(["Hello", " there.", " How", " are you?"]))
    call.brain.budget = CpuBudget.for_machine(cores)
    frame = call.user_turn("hi")
    reply = call.state.replies[frame.turn_id]
    voice_had_first_audio: list[bool] = []

    def speak(sent) -> None:
        if isinstance(sent, SentenceText) and sent.index == 0:
            threading.Timer(0.05, reply.voice_started.set).start()  # piper's first chunk
        elif isinstance(sent, SentenceText):
            voice_had_first_audio.append(reply.voice_started.is_set())

    call.brain.speak = speak
    run_frames(call.brain, [frame])
    assert voice_had_first_audio == [cores == 1]


def test_the_brain_learns_how_fast_the_model_writes_to_size_the_next_first_piece(
        tmp_path: Path) -> None:
    words = [f" word{i}" for i in range(12)]
    call = Call(tmp_path, ScriptedLLM(["Hello", *words, "."]))
    assert call.brain.decode_tok_s is None  # not known before the first reply
    run_frames(call.brain, [call.user_turn("hi")])
    assert call.brain.decode_tok_s is not None and call.brain.decode_tok_s > 0
