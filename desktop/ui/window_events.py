"""The window's own events, posted through the bridge beside the call's (desktop.call.events):
a persona's conversation is ready, saving is stuck or works again."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.call.session import Conversation
from desktop.call.video import FaceLoop
from desktop.ui.transcript import TranscriptLine


@dataclass(frozen=True)
class Ready:
    """A persona's conversation is loaded (on a worker) and can be shown."""

    generation: int  # which open_persona it answers; an older one is closed unseen
    conversation: Conversation
    lines: list[TranscriptLine]
    problems: list
    face_loop: FaceLoop | None


@dataclass(frozen=True)
class StoreProblem:
    """Saving is stuck (a full disk) or works again (None), from the store's writer."""

    text: str | None
