"""Held turns: a reply started the moment the user paused (``say(held=True)``), generated and
synthesized while we wait to see whether they go on, but neither heard, shown nor saved until
the pause turns out to be the end of their turn. Released, it plays (with a filler first if
its own words are slow in coming); withdrawn, it leaves no trace: not in the history, the memory
notes, the store, the speaker or the mouth."""

from __future__ import annotations

from desktop.call.memory_duty import MemoryDuty
from desktop.call.state import CallState, Reply
from desktop.face.animator import FaceAnimator


class HeldTurns:
    def __init__(self, state: CallState, memory: MemoryDuty, animator: FaceAnimator) -> None:
        self.state = state
        self.memory = memory
        self.animator = animator

    def release(self, turn_id: int, transcribed: float | None = None) -> Reply | None:
        """Let the held reply be heard; its waiting events are left in ``held_events`` for
        the caller to deliver after it saved the user's turn. None if there is nothing to
        release (unknown, interrupted, or released already)."""
        state, control = self.state, self.state.control
        with state.lock:
            reply = state.replies.get(turn_id)
            if reply is None or not control.is_live(turn_id) or reply.released.is_set():
                return None
            if transcribed is not None:
                control.times[turn_id].transcribed = transcribed
            # A reply whose words are slow gets its filler from the playback monitor, once
            # the wait is long (desktop.call.playback.FILLER_AFTER_S), not at every release.
            return reply

    def withdraw(self, turn_id: int) -> None:
        state = self.state
        with state.lock:
            reply = state.replies.get(turn_id)
            if reply is None or reply.released.is_set():
                return
            state.control.cancel(turn_id)
            reply.finished = reply.withdrawn = True
            reply.held_events.clear()
            self.memory.withdraw_note(reply)
            index = state.last_user_message(reply.user_text)
            if index is not None:
                del state.history[index]
            if state.speaker_open():
                output = state.output
                self.animator.cut_speech(output.seconds(output.played_frames()))
