"""Recall: which memories go into the prompt for this turn.

Candidates come from three places, so a reply can use what the user just mentioned, what
matters most about them, and what is fresh:

- full-text search (FTS5, bm25) on the terms of the current message and the last few turns;
- pinned and very important facts (the user's name);
- the most recently updated facts.

Each candidate is scored as in Generative Agents' memory stream (relevance + importance +
recency, here with a pin bonus), then facts are taken best first until the token budget is
spent. Terms that occur in very many memories are dropped before searching: they carry no
information and would make FTS5 rank hundreds of thousands of rows.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from desktop.memory.facts import FACT_COLUMNS, FACT_COLUMNS_OF_F, Fact
from desktop.memory.terms import fts_query, query_terms
from desktop.timestamps import parse_utc

# A term in more memories than this is too common to search on (see the module docstring).
COMMON_TERM_DOCS = 1_000
SEARCH_CANDIDATES = 40
RANKED_HITS = 400
RECENT_CANDIDATES = 10
CORE_CANDIDATES = 20
RECENCY_HALF_LIFE_HOURS = 72.0
WEIGHTS = {"relevance": 1.0, "importance": 0.6, "recency": 0.3, "pinned": 0.5}
# A fact that matches nothing in the query must be at least this good to be worth tokens.
MIN_SCORE_WITHOUT_MATCH = 0.6


@dataclass(frozen=True)
class Recalled:
    fact: Fact
    score: float
    relevance: float


@dataclass
class RecallResult:
    facts: list[Recalled] = field(default_factory=list)
    searched_terms: list[str] = field(default_factory=list)
    dropped_terms: list[str] = field(default_factory=list)


def _age_hours(fact: Fact, now: datetime) -> float:
    stamp = max(fact.updated_at, fact.last_recalled_at or "")
    try:
        when = parse_utc(stamp)
    except ValueError:
        return 1e6
    return max(0.0, (now - when).total_seconds() / 3600.0)


def _choose_terms(conn: sqlite3.Connection, terms: list[str]) -> tuple[list[str], list[str]]:
    """Split terms into (searchable, too common) by how many memories contain each.

    Counting a term's documents (fts5vocab) reads its whole posting list, which for a word in
    half a million memories costs more than the search itself; asking for the row just past
    the limit reads at most COMMON_TERM_DOCS entries, whatever the word."""
    searchable, common = [], []
    for term in terms:
        past_limit = conn.execute(
            "SELECT 1 FROM fact_search WHERE fact_search MATCH ? LIMIT 1 OFFSET ?",
            (fts_query([term]), COMMON_TERM_DOCS)).fetchone()
        if past_limit is not None:
            common.append(term)
        elif conn.execute("SELECT 1 FROM fact_search WHERE fact_search MATCH ? LIMIT 1",
                          (fts_query([term]),)).fetchone() is not None:
            searchable.append(term)
    return searchable, common


def recall(conn: sqlite3.Connection, persona_id: str, query: str,
           now: datetime | None = None, limit: int = 12) -> RecallResult:
    """The best ``limit`` facts for ``query`` (the current message and recent turns)."""
    now = now or datetime.now(UTC)
    result = RecallResult()
    searchable, common = _choose_terms(conn, query_terms(query))
    result.searched_terms, result.dropped_terms = searchable, common
    relevance: dict[int, float] = {}
    candidates: dict[int, Fact] = {}
    if searchable:
        # Rank inside FTS5 first (its ORDER BY rank is the fast path) and join only the best
        # few hundred to their rows; live facts only are indexed, other personas' are
        # filtered after.
        rows = conn.execute(
            f"SELECT {FACT_COLUMNS_OF_F}, hits.rank AS rank FROM (SELECT rowid, rank FROM "
            "fact_search WHERE fact_search MATCH ? ORDER BY rank LIMIT ?) AS hits "
            "JOIN facts f ON f.id = hits.rowid WHERE f.persona_id = ? "
            "ORDER BY hits.rank LIMIT ?",
            (fts_query(searchable), RANKED_HITS, persona_id, SEARCH_CANDIDATES)).fetchall()
        best = min((row["rank"] for row in rows), default=-1.0) or -1.0
        for row in rows:
            fact = Fact.from_row(row)
            candidates[fact.id] = fact
            relevance[fact.id] = row["rank"] / best  # bm25 is negative; the best scores 1.0
    for sql in (
        f"SELECT {FACT_COLUMNS} FROM facts WHERE persona_id = ? AND superseded_by IS NULL "
        f"AND (pinned = 1 OR importance >= 8) AND source != 'lore' "
        f"ORDER BY importance DESC LIMIT {CORE_CANDIDATES}",
        f"SELECT {FACT_COLUMNS} FROM facts WHERE persona_id = ? AND superseded_by IS NULL "
        f"AND source != 'lore' ORDER BY updated_at DESC LIMIT {RECENT_CANDIDATES}",
    ):
        for row in conn.execute(sql, (persona_id,)):
            candidates.setdefault(row["id"], Fact.from_row(row))
    scored = []
    for fact in candidates.values():
        match = relevance.get(fact.id, 0.0)
        recency = math.pow(0.5, _age_hours(fact, now) / RECENCY_HALF_LIFE_HOURS)
        score = (WEIGHTS["relevance"] * match + WEIGHTS["importance"] * fact.importance / 10
                 + WEIGHTS["recency"] * recency + WEIGHTS["pinned"] * fact.pinned)
        if match == 0.0 and score < MIN_SCORE_WITHOUT_MATCH:
            continue
        scored.append(Recalled(fact, score, match))
    scored.sort(key=lambda r: (-r.score, -r.fact.id))
    result.facts = scored[:limit]
    return result


def memory_note(recalled: list[Recalled], count_tokens: Callable[[str], int],
                budget_tokens: int, last_call: str = "") -> tuple[str, list[int]]:
    """The text that goes into the prompt, best facts first, within ``budget_tokens``: what
    the persona remembers about the user, and background it knows (its lore) that the
    conversation touched. Returns the note and the ids of the facts in it."""
    sections = {
        "user": ("What you remember about the user from earlier conversations (it may be out "
                 "of date; use it naturally, and ask how a plan or event went if it fits):"),
        "lore": "Background you know about yourself and your world:",
    }
    lines: dict[str, list[str]] = {"user": [], "lore": []}
    used: list[int] = []
    spent = 0
    if last_call:
        line = f"Last time: {last_call}"
        cost = count_tokens(sections["user"]) + count_tokens(line)
        if cost <= budget_tokens:
            lines["user"].append(line)
            spent += cost
    for item in recalled:
        section = "lore" if item.fact.source == "lore" else "user"
        line = f"- {item.fact.text}"
        cost = count_tokens(line) + 1 + (0 if lines[section] else count_tokens(
            sections[section]))
        if spent + cost > budget_tokens:
            continue  # a shorter, lower-scored fact may still fit
        lines[section].append(line)
        used.append(item.fact.id)
        spent += cost
    parts = [sections[name] + "\n" + "\n".join(lines[name]) for name in ("user", "lore")
             if lines[name]]
    return "\n\n".join(parts), used
