"""A conversation with one persona: text chat, or a spoken call, on the same pipeline.

``Conversation`` is a facade over stages joined by typed frames (docs/architecture.md):

    say(text) -> [brain: recall -> LLM stream -> guard -> sentences] -> [speech: piper ->
    audio timeline + mouth track] -> [playback monitor: captions, end of turn]

Each stage runs on its own worker (desktop.call.stages) and shares only ``CallState``. Beside
them: ``SafetyDuties`` (guard, crisis referral, AI notice), ``MemoryDuty`` (recall, memory
jobs while idle) and ``TurnRecorder`` (how a turn ends and is saved). An interruption (Stop,
barge-in) cancels the turn in ``TurnControl`` so every stage drops its frames, flushes queued
audio, cuts the mouth track at the played position, and keeps only what the listener heard
in history and in the store.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from pathlib import Path

from desktop.brain.engine import LanguageEngine, prompt_cache
from desktop.brain.llm import Sampling
from desktop.brain.prompt import Message
from desktop.budget import CpuBudget
from desktop.call.brain import MEMORY_IDLE_S, BrainStage
from desktop.call.duties import TEEN_CEILING, SafetyDuties
from desktop.call.events import Listener, ReplyStarted, ReplyToken
from desktop.call.frames import (
    Draft,
    EndOfReply,
    PrepareBackchannels,
    SentenceText,
    Settle,
    TurnControl,
    UserText,
)
from desktop.call.held import HeldTurns
from desktop.call.memory_duty import MemoryDuty
from desktop.call.playback import PlaybackMonitor
from desktop.call.recorder import TurnRecorder
from desktop.call.speech import SpeechStage
from desktop.call.stages import StageThread
from desktop.call.state import CallState, Reply
from desktop.face.animator import FaceAnimator
from desktop.machine import OtherLoad
from desktop.memory.records import Turn
from desktop.memory.store import Store
from desktop.personas.library import Persona
from desktop.voice.audio_out import AudioOutput
from desktop.voice.engines import SpeechEngine

log = logging.getLogger(__name__)


class Conversation:
    def __init__(self, persona: Persona, store: Store | None, llm: LanguageEngine | None,
                 listener: Listener, *, tts: SpeechEngine | None = None,
                 output: AudioOutput | None = None, animator: FaceAnimator | None = None,
                 cache_dir: Path | None = None, sampling: Sampling | None = None,
                 language: str | None = None, budget: CpuBudget | None = None,
                 load: OtherLoad | None = None) -> None:
        self.persona = persona
        self.store = store
        self.llm = llm
        self.tts = tts
        self.animator = animator or FaceAnimator()
        self.listener = listener
        sampling = sampling or Sampling()
        self.language = language or persona.languages[0]
        self.spoken = False  # True during a call: replies are voiced
        self.state = CallState(persona, listener, self.language, output)
        self.duties = SafetyDuties(self.state)
        self.memory = MemoryDuty(self.state, store, llm, cache_dir, sampling.seed)
        self.speech = SpeechStage(self.state, tts, self.animator)
        self._speech = StageThread("tts", self.speech)
        self.recorder = TurnRecorder(self.state, store, self.memory, self._settle)
        self.brain = BrainStage(self.state, llm, self.memory, self.duties, self.recorder,
                                self._speech.put, sampling, budget, cache_dir, load)
        self._brain = StageThread("brain", self.brain, idle_s=MEMORY_IDLE_S)
        self.brain.newer_work = lambda: not self._brain.empty()
        self.monitor = PlaybackMonitor(self.state, self.recorder, self.speech)
        self.held = HeldTurns(self.state, self.memory, self.animator)
        self._call_id = None  # Future of the current call's row id
        # The opening the user chose among the persona's greetings (swiped in an empty chat):
        # what a call greets with, and what a chat begins with.
        self.greeting = persona.greeting(self.language)

    # The parts other code reads: one place each.
    @property
    def control(self) -> TurnControl:
        return self.state.control

    @property
    def history(self) -> list[Message]:
        return self.state.history

    @property
    def output(self) -> AudioOutput | None:
        return self.state.output

    @property
    def sampling(self) -> Sampling:
        return self.brain.sampling

    @sampling.setter
    def sampling(self, value: Sampling) -> None:
        self.brain.sampling = value
        self.memory.seed = value.seed

    @property
    def hands_free(self) -> bool:
        return self.brain.hands_free

    @hands_free.setter
    def hands_free(self, value: bool) -> None:
        self.brain.hands_free = value

    @property
    def can_speak(self) -> bool:
        return self.tts is not None and self.state.speaker_open()

    def reply_of(self, turn_id: int) -> Reply | None:
        return self.state.replies.get(turn_id)

    def settled(self) -> bool:
        """The brain and the voice have processed everything they were given: what a test
        asserts did not happen after this cannot still be on its way."""
        return self._brain.settled() and self._speech.settled()

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> Conversation:
        if self.store is not None:
            self._load_history()
            if self.persona.lore:
                self.store.sync_lore(self.persona.id,
                                     [(entry.keys, entry.text) for entry in self.persona.lore])
            self.memory.load()
        self.state.running = True
        for stage in (self._brain, self._speech, self.monitor):
            stage.start()
        return self

    def close(self) -> None:
        self.stop_speaking()
        self._end_call(summarize=False)  # summarized when this persona is next opened
        self.state.running = False
        for stage in (self._brain, self._speech, self.monitor):
            stage.stop()

    def set_spoken(self, spoken: bool) -> None:
        """Call view on (replies voiced) or off (chat: text only)."""
        if not spoken:
            self.stop_speaking()
            self._end_call(summarize=True)
        elif self.store is not None and self._call_id is None:
            self._call_id = self.store.start_call(self.persona.id)
        self.spoken = spoken and self.can_speak

    def replace_output(self, output: AudioOutput | None) -> None:
        """A speaker went away (None: replies become text) or came back, mid-call."""
        self.stop_speaking()
        with self.state.lock:
            self.state.output = output
            if self._call_id is not None:
                self.spoken = self.can_speak

    def _end_call(self, summarize: bool) -> None:
        if self._call_id is None or self.store is None:
            return
        call_future, self._call_id = self._call_id, None
        try:
            call_id = call_future.result(timeout=10)
        except Exception:
            log.exception("The call was not recorded")
            return
        self.store.end_call(call_id)
        if summarize:
            self.memory.after_call(call_id)

    def _load_history(self) -> list[Turn]:
        """The context is this chat's newest turns, as the store keeps them (Hearth's own
        instructions, such as a teen ceiling, stay after them). Returns those turns."""
        turns = [t for t in self.store.turns(self.persona.id, limit=40, this_chat=True)
                 if t.text]
        ours = [m for m in self.state.history if m.role == "system"]
        self.state.history[:] = [Message(turn.role, turn.text) for turn in turns] + ours
        return turns

    def _settle(self) -> None:
        if self.llm is not None:
            self._brain.put(Settle())

    # -- inputs -------------------------------------------------------------------
    def say(self, text: str, speech_ended: float | None = None,
            transcribed: float | None = None, held: bool = False) -> int:
        """The user said (typed, or spoke: then ``speech_ended`` and ``transcribed`` are the
        monotonic times for the latency meter) ``text``; the reply follows on the workers.

        ``held``: the user only paused; the reply is prepared at once (generated and
        synthesized while we wait to see whether they go on) but nothing of it is heard,
        shown or saved until ``release``; ``withdraw`` drops it without a trace."""
        text = text.strip()
        if not text:
            return 0
        self.stop_speaking()  # talking over the persona interrupts it
        with self.state.lock:
            turn_id = self.control.begin(time.monotonic())
            self.control.times[turn_id].speech_ended = speech_ended
            self.control.times[turn_id].transcribed = transcribed
            reply = Reply(turn_id, spoken=self.spoken, user_text=text)
            self.state.replies[turn_id] = reply
            self.state.history.append(Message("user", text))
        if not held:
            self._commit_user_turn(reply)
        self._brain.put(UserText(turn_id, text))
        cache = prompt_cache(self.llm)
        if cache is not None and not self.brain.prefill_serves(text):
            # A prefill of something else must not make the user wait; one that this
            # message goes on from ends at its next chunk (it sees the newer work) and the
            # reply continues from there.
            cache.interrupt_background()
        return turn_id

    def _commit_user_turn(self, reply: Reply) -> None:
        reply.user_row = self.recorder.save(reply.turn_id, "user", reply.user_text)
        self.duties.check_user_text(reply.user_text)
        reply.released.set()

    def prepare_backchannels(self) -> None:
        """Synthesize the fillers for this call (on the speech worker, which owns piper)."""
        if self.tts is not None:
            self._speech.put(PrepareBackchannels())

    def release(self, turn_id: int, transcribed: float | None = None) -> bool:
        """The held turn is real (the user did stop): save it, show it, let it be heard."""
        reply = self.held.release(turn_id, transcribed)
        if reply is None:
            return False
        self._commit_user_turn(reply)
        for event in reply.held_events:
            self.listener(event)
        reply.held_events = []
        return True

    def withdraw(self, turn_id: int) -> None:
        """The user went on talking: forget the held turn as if it never was."""
        self.held.withdraw(turn_id)

    def typing(self, partial_text: str) -> None:
        """The user is composing ``partial_text``: prefill it on the brain's worker while they
        type, so the reply starts sooner. Only the newest draft is kept."""
        partial_text = partial_text.strip()
        if partial_text and self.llm is not None:
            self.brain.draft = partial_text
            self._brain.put(Draft())

    def open_with_greeting(self) -> None:
        """The user answers the greeting an empty chat shows: it becomes the chat's first
        message (in the context and the store), so the reply follows from the scene it set.
        Its TurnSaved carries turn 0: the opening is no reply to a turn."""
        with self.state.lock:
            if not self.greeting or any(m.role in ("user", "assistant")
                                        for m in self.state.history):
                return
            self.state.history.insert(0, Message("assistant", self.greeting))
            self.recorder.save(0, "assistant", self.greeting)

    def edit_message(self, row_id: int, text: str) -> None:
        """The user rewrote a saved message (``row_id`` in the store). Waits for the commit
        (call it off the Qt thread); the context is rebuilt from the store."""
        self._change_message(self.store.edit_turn(row_id, text.strip()))

    def delete_message(self, row_id: int) -> None:
        """The user deleted a saved message: it leaves the store and the context. What was
        remembered from it stays in the memory view, where it can be forgotten."""
        self._change_message(self.store.delete_turn(row_id))

    def _change_message(self, commit) -> None:
        # No reply may be written while the history it reads is rebuilt; the window keeps
        # its input disabled until this returns, so no new message comes in between.
        self.stop_speaking()
        commit.result(timeout=30)
        with self.state.lock:
            turns = self._load_history()
            # "Again" rewrites the newest reply, which may now be another one.
            newest = Future()
            newest.set_result(turns[-1].id if turns and turns[-1].role == "assistant" else None)
            self.recorder.last_reply_row = newest
        self._settle()

    def greet(self) -> int:
        """Speak the persona's greeting (a call just connected), and say that it is an AI:
        every call starts with that, whatever the persona's text says."""
        notice = self.duties.ai_notice()
        text = " ".join(part for part in (self.greeting, notice) if part)
        self.stop_speaking()
        with self.state.lock:
            turn_id = self.control.begin(time.monotonic())
            reply = Reply(turn_id, spoken=self.spoken, full_text=text)
            reply.released.set()
            reply.generation_done = True
            reply.sentences = 1
            self.state.replies[turn_id] = reply
        self.listener(ReplyStarted(turn_id, reply.spoken))
        self.listener(ReplyToken(turn_id, text))
        if reply.spoken:
            self._speech.put(SentenceText(turn_id, 0, text))
            self._speech.put(EndOfReply(turn_id))
        else:
            with self.state.lock:
                self.recorder.finish(reply, interrupted=False)
        return turn_id

    def replying(self) -> tuple[bool, bool]:
        """(a reply is under way, the listener has begun to hear it)."""
        with self.state.lock:
            reply = self.state.current_reply()
            if reply is None or reply.finished:
                return False, False
            if not reply.spoken:
                return True, bool(reply.full_text)
            return True, self.control.times[reply.turn_id].first_audio_played is not None

    def regenerate(self) -> int:
        """Write the last reply again: it leaves the history and the store, and the persona
        answers the same message anew. Returns the new reply's turn (0: nothing to redo)."""
        self.stop_speaking()
        with self.state.lock:
            history = self.state.history
            if len(history) < 2 or history[-1].role != "assistant":
                return 0
            index = next((i for i in range(len(history) - 1, -1, -1)
                          if history[i].role == "user"), None)
            if index is None:
                return 0
            user_text = history[index].text
            # The reply goes; Hearth's own instructions after the message (a teen ceiling)
            # stay.
            history[index + 1:] = [m for m in history[index + 1:] if m.role == "system"]
            turn_id = self.control.begin(time.monotonic())
            reply = Reply(turn_id, spoken=self.spoken, user_text=user_text)
            reply.released.set()  # the user's message was saved when it was said
            self.state.replies[turn_id] = reply
        row, self.recorder.last_reply_row = self.recorder.last_reply_row, None
        if row is not None and self.store is not None:
            row.add_done_callback(lambda f: None if f.exception() or f.result() is None
                                  else self.store.delete_turn(f.result()))
        self._brain.put(UserText(turn_id, user_text))
        return turn_id

    def new_chat(self) -> None:
        """Start afresh: the persona's context forgets this chat (the store keeps its turns
        and the memories it gave, which recall can still bring back)."""
        self.stop_speaking()
        with self.state.lock:
            self.state.history.clear()
            if self.duties.minor:  # the teen ceiling is kept: it was the user's own word
                self.state.history.append(Message("system", TEEN_CEILING))
            self.memory.shown_facts.clear()
        if self.store is not None:
            self.store.new_chat(self.persona.id)

    def stop_speaking(self) -> bool:
        """Interrupt the current reply now. Returns whether there was one."""
        with self.state.lock:
            turn_id = self.control.current
            reply = self.state.replies.get(turn_id)
            if reply is None or reply.finished:
                return False
            if not reply.released.is_set():
                self.withdraw(turn_id)  # never heard nor shown: as if never said
                return True
            self.control.cancel(turn_id)
            cut = None
            if reply.spoken and self.state.speaker_open():
                cut = self.output.flush()
                self.animator.cut_speech(self.output.seconds(cut))
            # In text chat what was shown is what was "heard".
            heard = reply.full_text if cut is None else reply.tracker.heard_text(cut)
            self.recorder.finish(reply, interrupted=True, heard=heard)
            return True
