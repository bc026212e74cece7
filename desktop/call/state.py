"""What the stages of one conversation share: the turns alive, the replies under way, the
history the model reads, where audio goes, and the one lock that guards them.

The lock is re-entrant and guards the history, the replies, and the cancel-and-flush step of
an interruption: audio of a cancelled turn is checked and enqueued under it, so none can slip
into the speaker after the flush. Held replies (``Conversation.say(held=True)``) keep their
events here until released.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from desktop.brain.prompt import Message
from desktop.call.events import Listener
from desktop.call.frames import HeardTracker, TurnControl
from desktop.memory.facts import Fact
from desktop.personas.library import Persona
from desktop.voice.audio_out import AudioOutput


@dataclass
class Reply:
    """One reply's progress through the stages."""

    turn_id: int
    spoken: bool
    full_text: str = ""  # what passed the guard, shown and (if spoken) queued for the voice
    tracker: HeardTracker = field(default_factory=HeardTracker)
    sentences: int = 0  # sentences placed on the audio timeline, backchannel included
    last_caption: str = ""
    user_text: str = ""
    user_row: object = None  # Future of the user turn's row id
    fact_ids: list[int] = field(default_factory=list)  # the memories the reply was given
    known_facts: list[Fact] = field(default_factory=list)
    memory_message: Message | None = None  # the note inserted into the history for it
    note_ids: list[int] = field(default_factory=list)
    # Where it is: the brain has written it all / the voice has synthesized it all / it has
    # ended (played out, interrupted or withdrawn).
    generation_done: bool = False
    synthesis_done: bool = False
    finished: bool = False
    # A speculative reply (``say(held=True)``) is prepared but not heard until released:
    # its audio waits, its events wait, and nothing of it is saved. Withdrawn: it never was.
    released: threading.Event = field(default_factory=threading.Event)
    # The voice has the reply's first audio (synthesized, maybe not yet heard).
    voice_started: threading.Event = field(default_factory=threading.Event)
    held_events: list = field(default_factory=list)
    withdrawn: bool = False


class CallState:
    def __init__(self, persona: Persona, listener: Listener, language: str,
                 output: AudioOutput | None = None) -> None:
        self.persona = persona
        self.listener = listener
        self.language = language
        self.output = output  # replaced when a speaker goes away or comes back
        self.control = TurnControl()
        self.history: list[Message] = []
        self.replies: dict[int, Reply] = {}
        self.lock = threading.RLock()
        self.running = False

    def emit(self, turn_id: int, event: object) -> None:
        """Tell the listener, except that a held reply's events wait for its release."""
        with self.lock:
            reply = self.replies.get(turn_id)
            if reply is not None and not reply.released.is_set():
                if not reply.withdrawn:
                    reply.held_events.append(event)
                return
        self.listener(event)

    def current_reply(self) -> Reply | None:
        return self.replies.get(self.control.current)

    def generating(self) -> bool:
        """A reply is still being written (an unfinished one the brain has not completed)."""
        with self.lock:
            return any(not r.generation_done for r in self.replies.values() if not r.finished)

    def all_finished(self) -> bool:
        with self.lock:
            return all(r.finished for r in self.replies.values())

    def speaker_open(self) -> bool:
        return self.output is not None and self.output.is_open

    def last_user_message(self, text: str) -> int | None:
        """Where the user's newest message with this text sits in the history (lock held)."""
        for index in range(len(self.history) - 1, -1, -1):
            message = self.history[index]
            if message.role == "user" and message.text == text:
                return index
        return None
