"""What the call tells the outside world (the UI bridge, the CLI, tests). Plain data: the
engine never calls into Qt; the bridge turns these into signals on the Qt thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desktop.call.frames import TurnTimes


@dataclass(frozen=True)
class ReplyStarted:
    turn_id: int
    spoken: bool


@dataclass(frozen=True)
class ReplyToken:
    turn_id: int
    text: str


@dataclass(frozen=True)
class Caption:
    """What the listener has heard of the reply so far."""

    turn_id: int
    text: str


@dataclass(frozen=True)
class ReplyFinished:
    turn_id: int
    heard_text: str
    full_text: str
    interrupted: bool
    times: TurnTimes


@dataclass(frozen=True)
class TurnSaved:
    turn_id: int
    role: str
    row_id: int


@dataclass(frozen=True)
class MemoriesUsed:
    """The remembered facts a reply was given."""

    turn_id: int
    facts: list


@dataclass(frozen=True)
class MemoryUpdated:
    """Memory changed (facts extracted, a call summarized): views should reload."""

    persona_id: str
    applied: list


@dataclass(frozen=True)
class Notice:
    """Something the user should know: a missing device, a save that failed."""

    level: str  # "info" | "warning" | "error"
    text: str


@dataclass(frozen=True)
class Hearing:
    """What the recognizer heard the user say: partial while they talk, then final."""

    text: str
    final: bool
    language: str | None = None


@dataclass(frozen=True)
class ListeningState:
    """The listening half of a call: "listening", "hearing" (the user is talking),
    "muted", "no-microphone", or "off" (hung up)."""

    state: str


Listener = Callable[[object], None]
