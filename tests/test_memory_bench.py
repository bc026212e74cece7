"""The memory benchmark runs on a synthetic store of real shape (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

from desktop.memory.benchmark import PERSONA, build_store, measure_memory
from desktop.memory.store import Store
from desktop.paths import DataDirs
from desktop.personas.library import PersonaLibrary


def test_quick_memory_bench_reports_every_figure(tmp_path: Path, fixture_models: Path) -> None:
    persona = PersonaLibrary(DataDirs(tmp_path)).list()[0].prompt()
    result = measure_memory(tmp_path, fixture_models / "llm" / "hearth-tiny.gguf", persona,
                            quick=True)["memory"]
    figures = result["20000_facts"]
    for key in ("recall_p50_ms", "recall_p95_ms", "recall_common_p95_ms",
                "prompt_assembly_p50_ms", "prompt_assembly_p95_ms"):
        assert figures[key] > 0, key
    assert result["turn_write_p95_ms"] > 0
    assert figures["facts_recalled_median"] > 0


def test_the_synthetic_store_has_common_words_that_recall_must_skip(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    words = build_store(path, 20_000)
    store = Store(path).open()
    try:
        assert len(store.facts(PERSONA, limit=30_000)) == 20_000
        result = store.recall(PERSONA, f"how was {words.words[0]} with {words.words[4000]}")
        # The head of the Zipf list is in thousands of memories; the rare word is searched.
        assert result.dropped_terms == [words.words[0]]
        assert result.searched_terms == [words.words[4000]]
    finally:
        store.close()
