"""The local LLM on the fixture GGUF: streaming, stopping, and the warm persona prefix."""

from __future__ import annotations

import time
from pathlib import Path

from desktop.brain.llm import LocalLLM, Sampling
from desktop.brain.prompt import Message, PersonaPrompt
from desktop.budget import ThreadShare

PERSONA = PersonaPrompt("org.test.p", "Pat", "A test persona.", "Calm.", ("Hello.",))


def load(fixture_models: Path) -> LocalLLM:
    return LocalLLM.load(fixture_models / "llm" / "hearth-tiny.gguf", ThreadShare(1, 2),
                         n_ctx=1024)


def test_stream_yields_pieces_of_text(fixture_models: Path) -> None:
    llm = load(fixture_models)
    pieces = list(llm.stream(PERSONA, [Message("user", "Hi")], sampling=Sampling(seed=1)))
    assert len(pieces) >= 1 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces).strip()


def test_should_stop_ends_generation_between_tokens(fixture_models: Path) -> None:
    llm = load(fixture_models)
    end = llm.token_id("<|im_end|>")
    sampling = Sampling(max_tokens=100, logit_bias={end: -100.0}, seed=2)
    count = 0

    def should_stop() -> bool:
        return count >= 5

    for _ in llm.stream(PERSONA, [Message("user", "Hi")], should_stop, sampling):
        count += 1
    assert count == 5


def test_persona_prefix_state_is_saved_to_disk_and_reused(fixture_models: Path,
                                                          tmp_path: Path) -> None:
    first = load(fixture_models)
    assert first.warm(PERSONA, tmp_path) == "computed"
    assert first.warm(PERSONA, tmp_path) == "memory"
    saved = list((tmp_path / "llm-state").glob("*.kv"))
    assert len(saved) == 1
    second = load(fixture_models)
    assert second.warm(PERSONA, tmp_path) == "disk"
    reply = list(second.stream(PERSONA, [Message("user", "Hi")], sampling=Sampling(seed=1)))
    # Only the conversation was prefilled; the persona prefix came from the file.
    prefix = len(second.format.persona_prefix(PERSONA))
    conversation = len(second.format.conversation([Message("user", "Hi")]))
    assert second.last_prefill_tokens == conversation
    assert prefix > conversation and reply


def test_a_corrupt_state_file_is_ignored_and_rebuilt(fixture_models: Path, tmp_path: Path) -> None:
    first = load(fixture_models)
    first.warm(PERSONA, tmp_path)
    (path,) = (tmp_path / "llm-state").glob("*.kv")
    path.write_bytes(path.read_bytes()[:200])
    second = load(fixture_models)
    assert second.warm(PERSONA, tmp_path) == "computed"
    assert path.stat().st_size > 200


def test_a_truncated_or_foreign_file_is_refused_with_a_message(fixture_models: Path,
                                                               tmp_path: Path) -> None:
    import pytest

    from desktop.brain.llm import ModelRejected

    whole = (fixture_models / "llm" / "hearth-tiny.gguf").read_bytes()
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ModelRejected, match=r"could not load truncated\.gguf.*download it again"):
        LocalLLM.load(truncated)
    assert truncated.stat().st_size == len(whole) // 2  # the user's file is left as it was
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>404</html>")
    with pytest.raises(ModelRejected, match="not a GGUF"):
        LocalLLM.load(fake)
    with pytest.raises(ModelRejected, match="missing"):
        LocalLLM.load(tmp_path / "absent.gguf")


def test_prefill_while_typing_leaves_only_the_last_tokens_for_submit(
    fixture_models: Path, tmp_path: Path
) -> None:
    llm = load(fixture_models)
    llm.warm(PERSONA, tmp_path)
    history = [Message("user", "Tell me about the lighthouse and the storms")]
    assert llm.prefill(PERSONA, history) > 5
    list(llm.stream(PERSONA, history, sampling=Sampling(max_tokens=2, seed=1)))
    assert llm.last_prefill_tokens <= 1  # only what the completion re-reads for logits
    # A draft that changed is re-evaluated from where it differs, not from scratch.
    changed = [Message("user", "Tell me about the harbour instead")]
    evaluated = llm.prefill(PERSONA, changed)
    assert 0 < evaluated < len(llm.format.conversation(changed))


def test_a_spoken_draft_is_an_open_message_that_the_next_words_extend(
        fixture_models: Path, tmp_path: Path) -> None:
    """What the user has said so far is prefilled without the message's end: the next
    draft only adds its new words (closed, every draft re-read the end's tokens: on a slow
    CPU's one core ~150 ms each, and the draft fell behind the speech), and the reply reads
    the last words, the end and its header."""
    llm = load(fixture_models)
    llm.warm(PERSONA, tmp_path)
    so_far = [Message("user", "Tell me about")]
    llm.prefill_history(PERSONA, so_far, still_said=True)
    prefix = len(llm.format.persona_prefix(PERSONA))
    end = len(llm.format.conversation([Message("user", "")], reply=False)) - len(
        llm.format.conversation([Message("user", "")], reply=False, still_said=True))
    assert end == 2  # <|im_end|> and the newline are not read yet
    assert llm.model.n_tokens == prefix + len(llm.format.conversation(so_far)) - end - len(
        llm.format.conversation([], reply=True))
    more = [Message("user", "Tell me about the lighthouse")]
    added = len(llm.format.conversation(more, still_said=True)) - len(
        llm.format.conversation(so_far, still_said=True))
    assert llm.prefill_history(PERSONA, more, still_said=True) == added  # nothing re-read
    list(llm.stream(PERSONA, more, sampling=Sampling(max_tokens=2, seed=1)))
    header = len(llm.format.conversation([], reply=True))
    assert llm.last_prefill_tokens == end + header


def test_clear_context_leaves_nothing_of_the_conversation_in_the_cache(fixture_models: Path,
                                                                       tmp_path: Path) -> None:
    llm = load(fixture_models)
    list(llm.stream(PERSONA, [Message("user", "My secret is tangerine.")],
                    sampling=Sampling(seed=1, max_tokens=4)))
    assert llm.model.n_tokens > 0
    llm.clear_context()
    assert llm.model.n_tokens == 0
    assert llm.warm(PERSONA, tmp_path) == "computed"  # nothing resident any more


def test_chunked_prefill_stops_between_chunks_and_keeps_what_it_evaluated(
    fixture_models: Path, tmp_path: Path
) -> None:
    llm = load(fixture_models)
    llm.warm(PERSONA, tmp_path)
    prefix = len(llm.format.persona_prefix(PERSONA))
    long_message = [Message("user", "tell me about the harbour " * 20)]
    checks = []

    def stop_after_two_chunks() -> bool:
        checks.append(llm.model.n_tokens)
        return len(checks) > 2

    pieces = list(llm.stream(PERSONA, long_message, stop_after_two_chunks,
                             Sampling(seed=1, max_tokens=4), prefill_chunk=16))
    assert pieces == []  # stopped before generating anything
    assert llm.model.n_tokens == prefix + 32  # exactly two chunks were evaluated
    # Resuming later reuses those chunks.
    list(llm.stream(PERSONA, long_message, sampling=Sampling(seed=1, max_tokens=2)))
    full = prefix + len(llm.format.conversation(long_message))
    assert llm.last_prefill_tokens == full - prefix - 32


def test_a_conversation_longer_than_the_context_sheds_its_oldest_messages(
        fixture_models: Path) -> None:
    llm = load(fixture_models)
    history = []
    for turn in range(40):
        history += [Message("user", f"Turn {turn}: tell me about the harbour and the boats."),
                    Message("assistant", "The boats come in at dusk, and the gulls follow.")]
    drop = llm.overflow(PERSONA, history, reserve=64)
    assert 0 < drop < len(history)
    kept = history[drop:]
    prefix = len(llm.format.persona_prefix(PERSONA))
    prompt = prefix + len(llm.format.conversation(kept))
    # Half the conversation space is freed at once, so later turns keep the same start.
    assert prompt <= prefix + (llm.n_ctx - 64 - prefix) // 2
    assert llm.overflow(PERSONA, kept, reserve=64) == 0
    assert "".join(llm.stream(PERSONA, kept, sampling=Sampling(max_tokens=8)))
    assert llm.overflow(PERSONA, history[-4:], reserve=64) == 0


def test_a_draft_prefill_gives_way_between_chunks(fixture_models: Path, tmp_path: Path) -> None:
    """The user's message must not wait behind a whole prefill of an older draft."""
    llm = load(fixture_models)
    llm.warm(PERSONA, tmp_path)
    prefix = len(llm.format.persona_prefix(PERSONA))
    draft = [Message("user", "tell me about the harbour " * 20)]
    asked = []

    def newer_work_after_one_chunk() -> bool:
        asked.append(llm.model.n_tokens)
        return len(asked) > 1

    assert llm.prefill(PERSONA, draft, should_stop=newer_work_after_one_chunk, chunk=8) == 8
    assert llm.model.n_tokens == prefix + 8
    # Left alone, it goes to the draft's last token.
    full = prefix + len(llm.format.conversation(draft))
    assert llm.prefill(PERSONA, draft) == full - 1 - (prefix + 8)


def test_the_next_turn_reads_only_the_new_message(fixture_models: Path, tmp_path: Path) -> None:
    """History keeps the reply as it was generated, so its tokens are the ones in the KV cache
    and the next turn evaluates only what is new."""
    from desktop.call.events import ReplyFinished
    from desktop.call.session import Conversation
    from desktop.paths import DataDirs
    from desktop.personas.library import PersonaLibrary
    from tests.helpers.events import Events

    llm = load(fixture_models)
    persona = PersonaLibrary(DataDirs(tmp_path)).get("org.hearth.wren")
    events = Events()
    conversation = Conversation(persona, None, llm, events, cache_dir=tmp_path,
                                sampling=Sampling(seed=1, max_tokens=12)).start()
    try:
        first = conversation.say("Tell me about the harbour")
        assert events.wait_for(ReplyFinished, turn_id=first).full_text
        # The brain settles the history while the user reads the reply.
        settled = llm.format.persona_prefix(persona.prompt()) + llm.format.conversation(
            conversation.history, reply=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and llm._resident_length(settled) < len(settled):
            time.sleep(0.02)
        second = conversation.say("And the lighthouse?")
        events.wait_for(ReplyFinished, turn_id=second)
    finally:
        conversation.close()
    new_message = llm.format.conversation([Message("user", "And the lighthouse?")])
    # The reply's closing <|im_end|>\n (never evaluated: generation stopped at it), then the
    # new message and the assistant header.
    assert llm.last_prefill_tokens <= len(new_message) + 2


def test_the_users_message_cuts_a_background_prefill_mid_batch(fixture_models: Path,
                                                                tmp_path: Path) -> None:
    """interrupt_background() stops llama.cpp inside a batch; the cache stays consistent and
    a reply's own decoding is never cut by it."""
    llm = load(fixture_models)
    llm.warm(PERSONA, tmp_path)
    prefix = len(llm.format.persona_prefix(PERSONA))
    draft = [Message("user", "tell me about the harbour and the boats " * 12)]

    def user_speaks_as_the_batch_starts() -> bool:
        llm.interrupt_background()  # as say() does, from whatever thread
        return False

    evaluated = llm.prefill(PERSONA, draft, should_stop=user_speaks_as_the_batch_starts,
                            chunk=400)
    full = prefix + len(llm.format.conversation(draft)) - 1
    assert evaluated == 0 and llm.model.n_tokens == prefix  # the one big batch was cut
    # Not armed: a reply streams to the end even if someone asks to interrupt meanwhile.
    llm.interrupt_background()
    pieces = list(llm.stream(PERSONA, draft, sampling=Sampling(seed=1, max_tokens=3)))
    assert pieces and llm.model.n_tokens > full
    # And it reads the same as from a cache that was never cut.
    clean = load(fixture_models)
    clean.warm(PERSONA, tmp_path)
    assert list(clean.stream(PERSONA, draft, sampling=Sampling(seed=1, max_tokens=3))) == pieces


def test_a_second_thread_is_refused_while_one_is_inside_the_model(fixture_models: Path) -> None:
    """Two threads in one llama.cpp context end in a native abort that kills the app
    (GGML_ASSERT): the engine refuses the second by construction."""
    import threading

    import pytest

    from desktop.brain.llm import EngineBusy

    llm = load(fixture_models)
    end = llm.token_id("<|im_end|>")
    stream = llm.stream(PERSONA, [Message("user", "Tell me more")], sampling=Sampling(
        max_tokens=50, logit_bias={end: -100.0}, seed=4))
    next(stream)  # this thread is inside the model now, mid-reply
    refused: list[BaseException] = []

    def other() -> None:
        try:
            llm.prefill(PERSONA, [Message("user", "meanwhile")])
        except EngineBusy as error:
            refused.append(error)

    worker = threading.Thread(target=other)
    worker.start()
    worker.join(timeout=30)
    assert refused and "busy" in str(refused[0])
    with pytest.raises(EngineBusy):
        llm.warm(PERSONA, None)  # the same thread, re-entering mid-stream, is refused too
    stream.close()  # the reply ends: the model is free again
    assert llm.prefill(PERSONA, [Message("user", "now")]) >= 0
    assert list(llm.stream(PERSONA, [Message("user", "Hi")], sampling=Sampling(seed=1)))


def test_a_stream_that_yields_nothing_ends_the_turn_cleanly(fixture_models: Path,
                                                            tmp_path: Path) -> None:
    from desktop.call.events import ReplyFinished
    from desktop.call.session import Conversation
    from desktop.paths import DataDirs
    from desktop.personas.library import PersonaLibrary
    from tests.helpers.events import Events

    llm = load(fixture_models)
    silent = Sampling(max_tokens=1, logit_bias={llm.token_id("<|im_end|>"): 100.0}, seed=1)
    assert list(llm.stream(PERSONA, [Message("user", "Hi")], sampling=silent)) == []
    persona = PersonaLibrary(DataDirs(tmp_path)).get("org.hearth.wren")
    events = Events()
    conversation = Conversation(persona, None, llm, events, sampling=silent).start()
    try:
        turn = conversation.say("Hello?")
        finished = events.wait_for(ReplyFinished, 30, turn_id=turn)
    finally:
        conversation.close()
    assert not finished.interrupted and finished.full_text == ""


def test_a_processor_without_the_builds_instruction_sets_is_refused_before_it_can_crash(
        ) -> None:
    """A llama.cpp compiled for AVX2 dies with "Illegal instruction" on a CPU without it:
    the load refuses first, naming what is missing."""
    from desktop.brain.llm import missing_cpu_features

    portable = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | OPENMP = 1 |"
    laptop_2012 = {"sse3", "ssse3", "avx", "f16c"}
    assert missing_cpu_features(portable, laptop_2012) == ["AVX2", "FMA", "BMI2"]
    assert missing_cpu_features(portable, laptop_2012 | {"avx2", "fma", "bmi2"}) == []
    native = portable + " AVX512 = 1 | AVX512_VNNI = 1 |"
    assert missing_cpu_features(native, laptop_2012 | {"avx2", "fma", "bmi2"}) == [
        "AVX512", "AVX512_VNNI"]
    assert missing_cpu_features(portable, set()) == []  # flags unknown: nothing claimed
    assert missing_cpu_features(portable, {"neon", "asimd"}) == []  # another architecture
