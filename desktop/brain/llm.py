"""The local LLM engine on llama-cpp-python.

    llm = LocalLLM.load(gguf_path, threads=ThreadShare(decode=1, prefill=2))
    llm.warm(persona)                      # persona prefix from disk, or computed and saved
    for piece in llm.stream(persona, history, should_stop): ...

The persona prefix's KV state is saved per persona and model, so a call starts warm. Between
turns llama-cpp-python reuses the longest common token prefix of the cache, so only new turns
are prefilled.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from desktop.brain.prompt import CHAT_FORMATS, Message, PersonaPrompt
from desktop.budget import ThreadShare
from desktop.errors import HearthError, require
from desktop.machine import cpu_flags

log = logging.getLogger(__name__)

STATE_MAGIC = b"HEARTHKV"
STATE_VERSION = 1


class ModelRejected(HearthError):
    """A model file that cannot be used."""


class EngineBusy(HearthError):
    """A second thread tried to enter the model while another was inside it. Two threads in
    one llama.cpp context corrupt it and end in a native abort (GGML_ASSERT) that kills the
    whole app, so the engine refuses instead."""


class EngineUnavailable(HearthError):
    """The engine stopped answering mid-conversation (a remote server went away): the
    conversation apologizes and goes on, rather than failing the turn silently."""


@dataclass
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    repeat_penalty: float = 1.1
    max_tokens: int = 160
    seed: int | None = None
    # Token id -> bias; e.g. tests keep a reply going by forbidding the end-of-turn token.
    logit_bias: dict[int, float] | None = None


# llama.cpp's names for the instruction sets it was compiled with -> the CPU's flags.
CPU_FEATURE_FLAGS = {"AVX": "avx", "AVX2": "avx2", "FMA": "fma", "F16C": "f16c",
                     "BMI2": "bmi2", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
                     "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16",
                     "AVX_VNNI": "avx_vnni"}


def cpu_features_in_use(system_info: str) -> set[str]:
    """The instruction sets this build of llama.cpp uses, from ``llama_print_system_info``
    ("CPU : SSE3 = 1 | AVX2 = 1 | ...")."""
    return {part.split("=")[0].split(":")[-1].strip() for part in system_info.split("|")
            if part.strip().endswith("= 1")}


def missing_cpu_features(system_info: str, flags: set[str]) -> list[str]:
    """What this build of llama.cpp uses that the CPU (its /proc/cpuinfo ``flags``) does not
    have. Nothing is said when the CPU's flags are unknown (not Linux) or for another
    architecture's features."""
    if not flags or "neon" in flags or "asimd" in flags:
        return []
    used = cpu_features_in_use(system_info)
    return [name for name, flag in CPU_FEATURE_FLAGS.items() if name in used
            and flag not in flags]


class LocalLLM:
    def __init__(self, model: object, model_path: Path, chat_format: str, n_ctx: int) -> None:
        self.model = model
        self.model_path = model_path
        self.format = CHAT_FORMATS[chat_format](self._tokenize)
        self.n_ctx = n_ctx
        self.last_prefill_tokens = 0
        self.last_warm_source = "none"
        self._grammars: dict[str, object] = {}
        # Background prefills (drafts, the settled history) can be cut short mid-batch by
        # the user's message: see interrupt_background().
        self._abort: _AbortSwitch | None = None
        # One thread at a time inside the llama.cpp context (see EngineBusy); the verbs that
        # only tokenize or trip the abort switch do not need it.
        self._inside = threading.Lock()
        self._inside_thread: str | None = None

    @staticmethod
    def load(
        path: Path,
        threads: ThreadShare = ThreadShare(),
        n_ctx: int = 4096,
        chat_format: str = "chatml",
        seed: int = 0,
    ) -> LocalLLM:
        if not path.is_file():
            raise ModelRejected(f"The language model {path.name} is missing.",
                                f"Put a GGUF file at {path}.")
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic != b"GGUF":
            raise ModelRejected(f"{path.name} is not a GGUF model file.",
                                "Download the model again or choose a .gguf file.")
        llama_cpp = require("llama_cpp", "llama-cpp-python", "The local language model")
        missing = missing_cpu_features(llama_cpp.llama_print_system_info().decode(
            errors="replace"), cpu_flags())
        if missing:
            # Running it would end the process with "Illegal instruction", mid-call.
            raise ModelRejected(
                f"This computer's processor lacks {', '.join(missing)}, which Hearth's "
                "language engine was built for.",
                "Use another computer on your network as the engine (Setup → Use a computer "
                "on my network), or build Hearth for this processor (docs/packaging.md).")
        try:
            model = llama_cpp.Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=threads.decode,
                n_threads_batch=threads.prefill, seed=seed, verbose=False,
                # Never let the library pick a chat handler from the GGUF's embedded template.
                chat_format=chat_format,
            )
        except (ValueError, RuntimeError) as error:
            raise ModelRejected(f"llama.cpp could not load {path.name} ({error}).",
                                "The file may be truncated or for another llama.cpp version; "
                                "download it again.") from error
        llm = LocalLLM(model, path, chat_format, n_ctx)
        llm._abort = _AbortSwitch.install(llama_cpp, model.ctx)
        return llm

    # -- tokens ---------------------------------------------------------------
    def _tokenize(self, data: bytes, special: bool) -> list[int]:
        return self.model.tokenize(data, add_bos=False, special=special)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenize(text.encode("utf-8"), False))

    def overflow(self, persona: PersonaPrompt, history: list[Message], reserve: int) -> int:
        """How many of the oldest messages to drop so that the prompt and ``reserve`` more
        tokens fit the context. When it must drop, it frees half the conversation space at
        once: the kept history then starts at the same message for many turns, so its KV
        cache stays valid (each trim costs one prefill of what is kept)."""
        prefix = len(self.format.persona_prefix(persona))
        limit = self.n_ctx - reserve
        total = len(self.format.conversation(history))
        if prefix + total <= limit:
            return 0
        target = prefix + (limit - prefix) // 2
        # Each message's share; what is left (the reply's opening) stays whatever is dropped.
        sizes = [len(self.format.conversation([message])) - len(self.format.conversation([]))
                 for message in history]
        drop = 0
        while drop < len(history) - 1 and prefix + total > target:
            total -= sizes[drop]
            drop += 1
        return drop

    def _grammar(self, gbnf: str) -> object:
        if gbnf not in self._grammars:
            llama_cpp = require("llama_cpp", "llama-cpp-python", "The local language model")
            self._grammars[gbnf] = llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False)
        return self._grammars[gbnf]

    def stop_token_ids(self) -> list[int]:
        return [self.token_id(text) for text in self.format.stop]

    def token_id(self, special_text: str) -> int:
        (token,) = self._tokenize(special_text.encode("utf-8"), True)
        return token

    @contextmanager
    def _entered(self, wait_s: float = 0.0) -> Iterator[None]:
        """Hold the context for one operation; a thread that finds another inside waits up
        to ``wait_s``, then gets EngineBusy (never a second thread inside llama.cpp)."""
        acquired = (self._inside.acquire(timeout=wait_s) if wait_s
                    else self._inside.acquire(blocking=False))
        if not acquired:
            raise EngineBusy(
                f"The language model is busy in another task ({self._inside_thread}).",
                "Wait for the reply to finish, then try again.")
        self._inside_thread = threading.current_thread().name
        try:
            yield
        finally:
            self._inside_thread = None
            self._inside.release()

    def set_threads(self, threads: ThreadShare) -> None:
        """Change the share between turns (prefill may use all cores, decode shares them).
        Called by the thread that is using the model, between its own operations."""
        llama_cpp = require("llama_cpp", "llama-cpp-python", "The local language model")
        llama_cpp.llama_set_n_threads(self.model.ctx, threads.decode, threads.prefill)

    def clear_context(self) -> None:
        """Drop everything the KV cache holds (after "forget": the conversation must not
        linger in the model's context either). The next turn warms the persona again."""
        with self._entered(wait_s=30.0):
            self.model.reset()
            self.model._ctx.kv_cache_clear()

    # -- the warm persona prefix ------------------------------------------------------
    def state_path(self, cache_dir: Path, persona: PersonaPrompt) -> Path:
        prefix = self.format.persona_prefix(persona)
        stat = self.model_path.stat()
        key = hashlib.sha256(
            json.dumps([self.model_path.name, stat.st_size, int(stat.st_mtime), self.n_ctx,
                        self.format.name, prefix]).encode()
        ).hexdigest()[:24]
        return cache_dir / "llm-state" / f"{persona.persona_id}-{key}.kv"

    @staticmethod
    def drop_saved_states(cache_dir: Path, persona_id: str) -> None:
        """Delete every saved prompt state of a persona (any model); they are rebuilt when
        needed. The file names are the ones ``state_path`` makes."""
        for saved in (cache_dir / "llm-state").glob(f"{persona_id}-*.kv"):
            saved.unlink(missing_ok=True)

    def warm(self, persona: PersonaPrompt, cache_dir: Path | None) -> str:
        """Make the persona prefix resident in the KV cache. Returns 'memory', 'disk' or
        'computed'."""
        with self._entered():
            return self._warm(persona, cache_dir)

    def _warm(self, persona: PersonaPrompt, cache_dir: Path | None) -> str:
        prefix = self.format.persona_prefix(persona)
        path = self.state_path(cache_dir, persona) if cache_dir else None
        resident = self._resident_length(prefix) == len(prefix)
        if resident and (path is None or path.is_file()):
            self.last_warm_source = "memory"
            return "memory"
        if path and path.is_file() and self._load_state(path, prefix):
            self.last_warm_source = "disk"
            return "disk"
        self.model.reset()
        self.model.eval(prefix)
        if path:
            self._save_state(path, prefix)
        self.last_warm_source = "computed"
        return "computed"

    def _save_state(self, path: Path, prefix: list[int]) -> None:
        state = self.model.save_state()
        header = json.dumps({"version": STATE_VERSION, "tokens": prefix}).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        with tmp.open("wb") as handle:
            handle.write(STATE_MAGIC + struct.pack("<I", len(header)) + header)
            handle.write(bytes(state.llama_state))
        tmp.replace(path)

    def _load_state(self, path: Path, prefix: list[int]) -> bool:
        llama_cpp = require("llama_cpp", "llama-cpp-python", "The local language model")
        try:
            data = path.read_bytes()
            if data[:8] != STATE_MAGIC:
                raise ValueError("not a Hearth state file")
            (size,) = struct.unpack("<I", data[8:12])
            header = json.loads(data[12 : 12 + size])
            if header.get("version") != STATE_VERSION or header.get("tokens") != prefix:
                raise ValueError("state for another prompt")
            blob = data[12 + size :]
            # Restore directly rather than through Llama.load_state, which would allocate
            # a (tokens x vocabulary) score matrix we do not need: generation re-evaluates
            # the last prompt token anyway.
            import ctypes

            buffer = (ctypes.c_uint8 * len(blob)).from_buffer_copy(blob)
            model = self.model
            if llama_cpp.llama_state_set_data(model._ctx.ctx, buffer, len(blob)) != len(blob):
                raise ValueError("llama.cpp refused the saved state")
            model.input_ids[: len(prefix)] = prefix
            model.n_tokens = len(prefix)
            return True
        except (OSError, ValueError, RuntimeError, struct.error) as error:
            log.warning("Ignoring cached prompt state %s: %s", path.name, error)
            path.unlink(missing_ok=True)
            return False

    def _resident_length(self, tokens: list[int]) -> int:
        """How many leading ``tokens`` the KV cache already holds."""
        count = 0
        for cached, token in zip(self.model.input_ids[: self.model.n_tokens], tokens,
                                 strict=False):
            if int(cached) != token:
                break
            count += 1
        return count

    def prefill(self, persona: PersonaPrompt, history: list[Message], keep_back: int = 1,
                should_stop: Callable[[], bool] = lambda: False, chunk: int = 8) -> int:
        """Evaluate the prompt of a turn the user has not finished yet, so that at submit only
        its last ``keep_back`` tokens remain (the completion re-evaluates the last one for its
        logits anyway). If the draft still changes, the cache is cut where it differs and the
        few tokens past that were wasted; when it does not, the reply's first token costs one
        decoding step instead of six (~100 ms on the 1.5B shape).

        The work goes ``chunk`` tokens at a time and stops between chunks when
        ``should_stop()`` (a newer draft), or mid-chunk on ``interrupt_background()`` (the
        user's message must never wait behind the prefill of an older draft; the chunks done
        by then stay, so they are small). Returns how many tokens were evaluated."""
        prompt = self.format.persona_prefix(persona) + self.format.conversation(history)
        with self._entered():
            return self._evaluate_in_background(prompt[: max(0, len(prompt) - keep_back)],
                                                should_stop, chunk)

    def prefill_history(self, persona: PersonaPrompt, history: list[Message],
                        should_stop: Callable[[], bool] = lambda: False,
                        chunk: int = 16, still_said: bool = False) -> int:
        """Evaluate the finished messages as the next turn will read them (no reply header),
        stopping between chunks when ``should_stop()``. ``still_said``: the last message is
        still being spoken, and is evaluated without its end (the words that follow extend
        it). Returns how many were evaluated."""
        prompt = (self.format.persona_prefix(persona)
                  + self.format.conversation(history, reply=False, still_said=still_said))
        with self._entered():
            return self._evaluate_in_background(prompt, should_stop, chunk)

    def interrupt_background(self) -> None:
        """The user is waiting now: stop a background prefill at once, even mid-batch (what
        it had finished stays in the cache). Safe from any thread; a no-op otherwise."""
        if self._abort is not None:
            self._abort.trip()

    def _evaluate_in_background(self, tokens: list[int], should_stop: Callable[[], bool],
                                chunk: int) -> int:
        """Bring the KV cache to ``tokens``, from where it differs, ``chunk`` at a time. This
        is background work: it stops before a chunk when ``should_stop()``, and inside one on
        ``interrupt_background()``. Returns how many tokens were evaluated."""
        cached = self._resident_length(tokens)
        if cached >= len(tokens) or len(tokens) >= self.n_ctx - 64:
            return 0
        self.model.n_tokens = cached  # eval() drops the KV cells past this point first
        abort = self._abort
        with abort.armed() if abort is not None else nullcontext():
            while (self.model.n_tokens < len(tokens) and not should_stop()
                   and not (abort is not None and abort.tripped)):
                try:
                    self.model.eval(tokens[self.model.n_tokens:self.model.n_tokens + chunk])
                except RuntimeError:
                    if abort is None or not abort.tripped:
                        raise
                    # Interrupted mid-batch: llama.cpp dropped that batch's cells, and
                    # n_tokens still ends before it.
                    break
        return self.model.n_tokens - cached

    # -- the one verb --------------------------------------------------------------------
    def stream(
        self,
        persona: PersonaPrompt,
        history: list[Message],
        should_stop: Callable[[], bool] = lambda: False,
        sampling: Sampling | None = None,
        grammar: str | None = None,
        prefill_chunk: int | None = None,
    ) -> Iterator[str]:
        """Yield the reply piece by piece; stops between tokens when ``should_stop()``.
        With ``grammar`` (GBNF) the output is constrained to that grammar. With
        ``prefill_chunk`` the prompt is background work: it is evaluated that many tokens at
        a time, asking ``should_stop()`` in between, and ``interrupt_background()`` cuts it
        mid-batch, so it yields to the user at once instead of after a whole prefill.

        The model is held from the first piece asked for until the stream is finished or
        closed: another thread that enters meanwhile gets EngineBusy."""
        with self._entered():
            yield from self._stream(persona, history, should_stop, sampling, grammar,
                                    prefill_chunk)

    def _stream(self, persona: PersonaPrompt, history: list[Message],
                should_stop: Callable[[], bool], sampling: Sampling | None,
                grammar: str | None, prefill_chunk: int | None) -> Iterator[str]:
        sampling = sampling or Sampling()
        prompt = self.format.persona_prefix(persona) + self.format.conversation(history)
        cached = self._resident_length(prompt)
        self.last_prefill_tokens = len(prompt) - cached
        if prefill_chunk:
            # Leave the last token: the completion re-evaluates it to get the logits.
            self._evaluate_in_background(prompt[:-1], should_stop, prefill_chunk)
            cut_short = (self.model.n_tokens < len(prompt) - 1
                         and len(prompt) < self.n_ctx - 64)  # by interrupt_background()
            if should_stop() or cut_short:
                return
        budget = self.n_ctx - len(prompt) - 8
        if budget < 16:
            raise HearthError("The conversation no longer fits in the model's context.",
                              "Start a new conversation.")
        stream = self.model.create_completion(
            prompt=prompt, max_tokens=min(sampling.max_tokens, budget),
            temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k,
            repeat_penalty=sampling.repeat_penalty, stop=list(self.format.stop), stream=True,
            seed=sampling.seed, logit_bias=sampling.logit_bias,
            grammar=self._grammar(grammar) if grammar else None,
        )
        try:
            for part in stream:
                if should_stop():
                    break
                text = part["choices"][0]["text"]
                if text:
                    yield text
        finally:
            stream.close()


class _AbortSwitch:
    """Lets another thread stop llama.cpp's computation mid-batch.

    llama.cpp asks an abort callback between the nodes of its graph, on its own compute
    thread. A Python callback would take the GIL hundreds of times a batch and stall behind
    the listening threads, so the callback is C's ``strlen`` on a two-byte buffer: it reads
    "" (0, carry on) until ``trip()`` writes one byte (1, stop). The switch is armed only
    while a background prefill runs, so a reply's own decoding is never cut."""

    def __init__(self, llama_cpp: object, ctx: object, strlen: object) -> None:
        self._flag = ctypes.create_string_buffer(2)
        self._callback = llama_cpp.ggml_abort_callback(ctypes.cast(strlen, ctypes.c_void_p)
                                                       .value)
        llama_cpp.llama_set_abort_callback(ctx, self._callback,
                                           ctypes.cast(self._flag, ctypes.c_void_p))
        self._lock = threading.Lock()
        self._armed = False

    @classmethod
    def install(cls, llama_cpp: object, ctx: object) -> _AbortSwitch | None:
        try:
            libc = ctypes.cdll.msvcrt if sys.platform == "win32" else ctypes.CDLL(None)
            return cls(llama_cpp, ctx, libc.strlen)
        except (OSError, AttributeError, TypeError):
            return None  # background prefills then stop between chunks only

    @property
    def tripped(self) -> bool:
        return self._flag[0] != b"\0"

    def trip(self) -> None:
        with self._lock:
            if self._armed:
                self._flag[0] = b"x"

    @contextmanager
    def armed(self) -> Iterator[None]:
        with self._lock:
            self._armed = True
            self._flag[0] = b"\0"
        try:
            yield
        finally:
            with self._lock:
                self._armed = False
                self._flag[0] = b"\0"


def trial_load_child(path: Path) -> None:
    """desktop.trial's one load of a GGUF, in its child process."""
    import llama_cpp

    llama_cpp.Llama(model_path=str(path), n_ctx=64, n_threads=1, verbose=False)
