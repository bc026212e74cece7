"""Memory figures for ``hearth bench``: recall latency at 100k and 1M stored memories, turn
write latency with synchronous=FULL, and prompt assembly time.

The stores are synthetic but shaped like real memory: one-sentence facts about the user from
templates, with words drawn from a Zipf distribution over a 30,000-word vocabulary, so some
words are in a large share of all memories (the common-word case) and most are rare. Built
once into the bench cache, then queried the way a call does (``Store.recall``).
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import numpy as np

from desktop.brain.prompt import Message, PersonaPrompt
from desktop.memory.facts import clean_text, indexed_terms, normalize_key
from desktop.memory.recall import memory_note
from desktop.memory.store import Store

PERSONA = "org.hearth.bench"
TEMPLATES = [
    "The user's {rel} {name} {verb} {obj} in {place}.",
    "The user {verb} {obj} every {time} with {name}.",
    "The user has a {obj} called {name} from {place}.",
    "The user wants to {verb} {obj} before {time}.",
    "The user's favourite {obj} is the one from {place}.",
    "The user and {name} {verb} {obj} last {time}.",
]
RELATIONS = ["sister", "brother", "mother", "father", "friend", "colleague", "neighbour",
             "cousin", "partner", "daughter", "son", "boss", "teacher"]
COMMON_QUERIES = [
    "how are you doing today", "what do you think about that", "I was just thinking about it",
    "tell me more about what you did", "I don't know what to say", "that is really nice",
    "what did we talk about last time", "can you remember what I told you",
]


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "tu", "shen", "vor", "el", "dan", "qui", "zo", "par",
                 "nes", "ti", "bru", "gal", "fen", "ho", "ri", "sa", "wen", "jo", "ly", "mar"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class _Words:
    """Words drawn with Zipf's law: ``words[r]`` has weight 1/(r+1)."""

    def __init__(self, rng: random.Random, size: int = 30_000) -> None:
        self.words = _vocabulary(rng, size)
        weights = 1.0 / np.arange(1, size + 1)
        self.cumulative = np.cumsum(weights / weights.sum())
        self.rng = rng

    def draw(self) -> str:
        return self.words[int(np.searchsorted(self.cumulative, self.rng.random()))]


def _fact(words: _Words, rng: random.Random) -> tuple[str, str]:
    text = rng.choice(TEMPLATES).format(
        rel=rng.choice(RELATIONS), name=words.draw().title(), verb=words.draw(),
        obj=words.draw(), place=words.draw().title(), time=words.draw())
    return normalize_key(f"{text.split()[2]}_{rng.randrange(10**6)}"), text


def build_store(path: Path, count: int, seed: int = 1) -> _Words:
    """A store of ``count`` facts for one persona (built once; the Zipf words are returned
    so queries can use the same vocabulary)."""
    rng = random.Random(seed)
    words = _Words(rng)
    if path.is_file():
        return words
    partial = path.with_name(path.name + ".part")
    for suffix in ("", "-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    store = Store(partial).open()
    store.close()
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")  # a bulk build, not user data
    conn.execute("BEGIN")
    batch = []
    for number in range(1, count + 1):
        key, text = _fact(words, rng)
        stamp = (f"20{rng.randint(20, 26)}-{rng.randint(1, 12):02d}-"
                 f"{rng.randint(1, 28):02d}T12:00:00Z")
        batch.append((number, PERSONA, key, clean_text(text), rng.randint(1, 10), stamp, stamp))
        if len(batch) == 20_000 or number == count:
            conn.executemany("INSERT INTO facts (id, persona_id, key, text, importance, "
                             "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            conn.executemany("INSERT INTO fact_search (rowid, terms) VALUES (?, ?)",
                             [(row[0], indexed_terms(row[2], row[3]))
                              for row in batch])
            batch = []
    conn.execute("COMMIT")
    conn.execute("INSERT INTO fact_search (fact_search) VALUES ('optimize')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.with_name(partial.name + ".lock").unlink(missing_ok=True)
    partial.replace(path)
    return words


def _queries(words: _Words, rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(kind, text): rare words, common words only, and a mix, a third each."""
    queries = []
    for index in range(count):
        kind = ("rare", "common", "mixed")[index % 3]
        if kind == "rare":
            text = f"did I tell you about {rng.choice(words.words[5000:])}?"
        elif kind == "common":
            text = f"{rng.choice(COMMON_QUERIES)} {words.words[rng.randrange(5)]}"
        else:
            text = (f"my {rng.choice(RELATIONS)} and {words.words[rng.randrange(50)]} went to "
                    f"{rng.choice(words.words[2000:])}")
        queries.append((kind, text))
    return queries


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 2),
            "p95": round(float(np.percentile(values, 95)), 2)}


def measure_recall(path: Path, words: _Words, queries: int) -> dict:
    store = Store(path).open()
    try:
        rng = random.Random(5)
        for _kind, text in _queries(words, rng, 20):  # warm the page cache, as in a call
            store.recall(PERSONA, text)
        times: dict[str, list[float]] = {"rare": [], "common": [], "mixed": []}
        found = []
        for kind, text in _queries(words, rng, queries):
            start = time.perf_counter()
            result = store.recall(PERSONA, text)
            times[kind].append((time.perf_counter() - start) * 1000)
            found.append(len(result.facts))
        every = [t for values in times.values() for t in values]
        return {**{f"recall_{k}_ms": v for k, v in _stats(every).items()},
                **{f"recall_{kind}_p95_ms": _stats(values)["p95"]
                   for kind, values in times.items()},
                "facts_recalled_median": float(np.median(found))}
    finally:
        store.close()


def measure_turn_writes(directory: Path, count: int) -> dict:
    """Latency of saving a turn until its commit returned (one fsync, synchronous=FULL), as
    the user's "sent" mark waits for it."""
    path = directory / "turn-writes.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = Store(path).open()
    try:
        times = []
        for index in range(count):
            start = time.perf_counter()
            store.append_turn(PERSONA, "user", f"a message of ordinary length, number {index}, "
                              "about the day and what comes next").result(timeout=30)
            times.append((time.perf_counter() - start) * 1000)
        return {f"turn_write_{k}_ms": v for k, v in _stats(times).items()}
    finally:
        store.close()
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def measure_prompt_assembly(path: Path, words: _Words, gguf: Path | None, persona: PersonaPrompt,
                            count: int) -> dict:
    """From the user's message to the prompt's tokens: recall, the memory note within its token
    budget (counted with the model's tokenizer), and the conversation's tokens."""
    from desktop.brain.llm import LocalLLM

    if gguf is None:
        return {}
    import llama_cpp

    vocab = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    llm = LocalLLM(vocab, gguf, "chatml", 4096)
    history = [Message("user" if i % 2 == 0 else "assistant",
                       f"this is turn {i} of a long and friendly conversation") for i in range(20)]
    store = Store(path).open()
    rng = random.Random(9)
    times = []
    try:
        for _kind, text in _queries(words, rng, count):
            start = time.perf_counter()
            result = store.recall(PERSONA, text)
            note, _ids = memory_note(result.facts, llm.count_tokens, 160)
            messages = [*history, Message("memory", note), Message("user", text)]
            llm.format.persona_prefix(persona)
            llm.format.conversation(messages)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        store.close()
    return {f"prompt_assembly_{k}_ms": v for k, v in _stats(times).items()}


def measure_memory(cache: Path, gguf: Path | None, persona: PersonaPrompt, quick: bool,
                   sizes: tuple[int, ...] = (100_000, 1_000_000)) -> dict:
    if quick:
        sizes = tuple(min(size, 20_000) for size in sizes[:1])
    result: dict = {"memory": {}}
    for size in sizes:
        path = cache / f"memory-{size}.db"
        started = time.perf_counter()
        words = build_store(path, size)
        figures = {"build_s": round(time.perf_counter() - started, 1),
                   "file_mb": round(path.stat().st_size / 1e6, 1)}
        figures.update(measure_recall(path, words, 60 if quick else 300))
        if size == sizes[0]:
            figures.update(measure_prompt_assembly(path, words, gguf, persona,
                                                   30 if quick else 200))
        result["memory"][f"{size}_facts"] = figures
    result["memory"].update(measure_turn_writes(cache, 50 if quick else 300))
    return result

