"""How a turn ends and is kept: what the listener heard goes into the history and the store,
the exchange is queued for fact extraction, and the listener hears that the reply finished.
Called from whichever stage ends the turn (the brain for text, the playback monitor for
speech, the conversation for an interruption), always with the state's lock held."""

from __future__ import annotations

import time
from collections.abc import Callable

from desktop.brain.prompt import Message
from desktop.call.events import Notice, ReplyFinished, TurnSaved
from desktop.call.memory_duty import MemoryDuty
from desktop.call.state import CallState, Reply
from desktop.memory.store import Store


class TurnRecorder:
    def __init__(self, state: CallState, store: Store | None, memory: MemoryDuty,
                 settle: Callable[[], None]) -> None:
        self.state = state
        self.store = store
        self.memory = memory
        self.settle = settle  # asks the brain to bring its cache to the new history
        self.last_reply_row = None  # Future of the newest reply's row id (for regenerate)

    def finish(self, reply: Reply, interrupted: bool, heard: str | None = None) -> None:
        if reply.finished:
            return
        reply.finished = True
        times = self.state.control.times[reply.turn_id]
        times.done = time.monotonic()
        heard_text = reply.full_text.strip() if heard is None else heard.strip()
        if heard_text:
            # History keeps the reply's leading whitespace as generated: its tokens then
            # match the KV cache, and the next turn does not re-read the whole reply.
            leading = reply.full_text[:len(reply.full_text) - len(reply.full_text.lstrip())]
            self.state.history.append(Message("assistant", leading + heard_text))
            self.settle()
            status = "interrupted" if interrupted else "complete"
            self.last_reply_row = self.save(reply.turn_id, "assistant", heard_text, status,
                                            full_text=reply.full_text.strip(),
                                            fact_ids=reply.fact_ids)
        self.memory.after_exchange(reply)
        self.state.emit(reply.turn_id, ReplyFinished(reply.turn_id, heard_text,
                                                     reply.full_text.strip(), interrupted,
                                                     times))

    def save(self, turn_id: int, role: str, text: str, status: str = "complete",
             full_text: str | None = None, fact_ids: list[int] | None = None):
        """Append a turn to the store; returns the Future of its row id (None: no store).
        The listener hears TurnSaved once it is committed, or a notice if it was not."""
        if self.store is None:
            return None
        future = self.store.append_turn(self.state.persona.id, role, text, status, full_text,
                                        fact_ids)

        def done(f) -> None:
            error = f.exception()
            if error is not None:
                self.state.listener(Notice("error", f"Not saved: {error}"))
            else:
                self.state.listener(TurnSaved(turn_id, role, f.result()))

        future.add_done_callback(done)
        return future
