"""Search terms: the one normalization used both to index a memory and to query for it.

FTS5's unicode61 tokenizer splits on spaces and punctuation, which leaves a run of Chinese
characters as one "word" that a query never matches. We hand FTS5 terms that are already
split: Latin words lowercased with a light English stem, and CJK runs as overlapping
character pairs (the usual bigram indexing of CJK text). Words so common that they say
nothing about a memory are dropped at query time (see ``STOPWORDS``); how common the rest
are in *this* store is judged from the index itself (desktop.memory.recall).
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")

# Function words: in almost every sentence, so they can only make a search slow and noisy.
_STOPWORD_TEXT = """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves user im ive dont didnt doesnt isnt wasnt cant wont thats whats
    really also still yeah yes ok okay oh well like get got go going know think want tell said
    say one thing things time today tomorrow yesterday 的 了 是 我 你 他 她 在 和 有 吗 呢 吧
    啊 这 那 就 都 也 不 个 我们 你们 他们 什么 一个 没有 知道 觉得"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _stem(word: str) -> str:
    """A light English stem: enough that "sisters" finds "sister", never so much that two
    different words meet."""
    if not word.isascii() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def search_terms(text: str) -> list[str]:
    """Terms of ``text`` in order, duplicates kept (for indexing)."""
    text = unicodedata.normalize("NFKC", text).lower()
    terms: list[str] = []
    for word in _WORD.findall(text):
        position = 0
        for run in _CJK.finditer(word):
            terms.extend(_latin(word[position:run.start()]))
            chars = run.group()
            if len(chars) == 1:
                terms.append(chars)
            else:
                terms.extend(chars[i:i + 2] for i in range(len(chars) - 1))
            position = run.end()
        terms.extend(_latin(word[position:]))
    return terms


def _latin(word: str) -> list[str]:
    if len(word) < 2 and not word.isdigit():
        return []
    return [_stem(word)]


def query_terms(text: str) -> list[str]:
    """Distinct, meaningful terms of a query, in order."""
    seen: dict[str, None] = {}
    for term in search_terms(text):
        if term not in STOPWORDS:
            seen.setdefault(term, None)
    return list(seen)


def index_text(*texts: str) -> str:
    """What goes into the FTS5 column for a memory."""
    return " ".join(term for text in texts for term in search_terms(text))


def fts_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted so no term is read as syntax."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def overlap(a: str, b: str) -> float:
    """Jaccard similarity of two texts' meaningful terms (1.0 = the same words)."""
    terms_a, terms_b = set(query_terms(a)), set(query_terms(b))
    if not terms_a or not terms_b:
        return 1.0 if a.strip().lower() == b.strip().lower() else 0.0
    return len(terms_a & terms_b) / len(terms_a | terms_b)
