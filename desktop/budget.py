"""One explicit CPU budget shared by the LLM, TTS and the face renderer.

Measured on a 2-core machine: llama.cpp at 2 threads decodes ~56 tok/s alone but ~16 tok/s
with piper beside it, because its threads stall at barriers when they share a core with
another engine. So the LLM never gets every core while others run: it keeps cores - 1 for
decoding, and the last core is the media core, shared by TTS and the renderer, each with one
thread (piper runs at ~0.05 real-time factor and the renderer at ~9 ms a frame, so together
they leave that core partly idle). Prefill happens before the reply is spoken, with nothing
else busy, so it may use every core.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.machine import usable_cores


@dataclass(frozen=True)
class ThreadShare:
    """An engine's threads: for decoding (one token at a time) and for prefill (batches)."""

    decode: int = 1
    prefill: int = 1


@dataclass(frozen=True)
class CpuBudget:
    cores: int
    llm: ThreadShare
    tts_threads: int
    render_threads: int

    @classmethod
    def for_machine(cls, cores: int | None = None) -> CpuBudget:
        cores = max(1, cores or usable_cores())
        decode = max(1, cores - 1)
        return cls(cores=cores, llm=ThreadShare(decode=decode, prefill=cores),
                   tts_threads=1, render_threads=1)

    def under_load(self, other_cores: float) -> CpuBudget:
        """The budget when other programs keep ``other_cores`` busy: Hearth plans on the
        cores left (at least one), so no llama.cpp thread waits at a barrier for a core that
        another program holds."""
        free = max(1, self.cores - int(other_cores + 0.5))
        if free >= self.cores:
            return self
        return CpuBudget(cores=free, llm=ThreadShare(decode=max(1, free - 1), prefill=free),
                         tts_threads=1, render_threads=1)

    def llm_alone(self) -> ThreadShare:
        """The share while nothing else runs: prefill and the first clause of a reply."""
        return ThreadShare(decode=self.cores, prefill=self.cores)

    def llm_beside_listening(self) -> ThreadShare:
        """The share for prefilling what the user is still saying: the recognizer decodes
        partial results at the same time, and llama.cpp threads that share a core with it
        stall at every barrier (measured: a 16-token draft took 850 ms on 2 threads beside
        the recognizer)."""
        return ThreadShare(decode=self.llm.decode, prefill=max(1, self.cores - 1))

    def busy_threads_while_speaking(self) -> int:
        """Native threads that may run at once while a reply is spoken. TTS and renderer
        share the media core, so they count once."""
        return self.llm.decode + 1
