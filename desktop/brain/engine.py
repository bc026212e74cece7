"""The seams between the conversation and its language engine (piper's voice.py idea: a small
API, one generator verb). Every engine speaks ``LanguageEngine``; an engine that keeps the
persona's prompt in a cache it controls (llama.cpp here) also offers ``PromptCache``, and the
conversation uses that only where it is offered, so a remote engine implements only what it
has."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from desktop.brain.prompt import Message, PersonaPrompt
from desktop.budget import ThreadShare


@runtime_checkable
class LanguageEngine(Protocol):
    def stream(self, persona: PersonaPrompt, history: list[Message],
               should_stop: Callable[[], bool] = ..., sampling=None,
               grammar: str | None = None, prefill_chunk: int | None = None) -> Iterator[str]:
        """The reply's text, piece by piece; stops early when ``should_stop()``."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def overflow(self, persona: PersonaPrompt, history: list[Message], reserve: int) -> int:
        """How many of the oldest messages must leave the prompt for ``reserve`` tokens."""
        ...


@runtime_checkable
class PromptCache(Protocol):
    """An engine whose prompt cache Hearth steers: warm from disk, prefill ahead of the user,
    share the cores, forget."""

    def warm(self, persona: PersonaPrompt, cache_dir: Path | None) -> str: ...

    def prefill(self, persona: PersonaPrompt, history: list[Message], keep_back: int = 1,
                should_stop: Callable[[], bool] | None = None, chunk: int = 8) -> int: ...

    def prefill_history(self, persona: PersonaPrompt, history: list[Message],
                        should_stop: Callable[[], bool] | None = None,
                        chunk: int = 16) -> int: ...

    def interrupt_background(self) -> None: ...

    def set_threads(self, threads: ThreadShare) -> None: ...

    def clear_context(self) -> None: ...


def prompt_cache(engine: object) -> PromptCache | None:
    """The engine's prompt cache, if it has one."""
    return engine if isinstance(engine, PromptCache) else None
