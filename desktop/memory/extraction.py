"""What the persona should remember from an exchange, and what a call was about.

After a reply (off the call's critical path), the LLM reads the conversation it already has in
its KV cache plus one instruction, and answers with JSON constrained by a grammar generated
from ``FACTS_SCHEMA``: every string and list is bounded, so even a poor model finishes a valid
object within ``EXTRACTION_MAX_TOKENS``. Merging and superseding are then done by our code
(desktop.memory.facts), not by trusting the model with database ids.
"""

from __future__ import annotations

import json
import logging

from desktop.brain.prompt import Message
from desktop.memory.facts import Fact, FactUpdate

log = logging.getLogger(__name__)

MAX_FACTS_PER_EXCHANGE = 3
FACTS_SCHEMA = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": MAX_FACTS_PER_EXCHANGE,
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string", "maxLength": 32},
                    "fact": {"type": "string", "minLength": 8, "maxLength": 120},
                    "importance": {"enum": list(range(1, 11))},
                },
                "required": ["key", "fact", "importance"],
            },
        }
    },
    "required": ["facts"],
}
# The grammar the model's answer is constrained to: JSON of FACTS_SCHEMA, written by hand
# rather than generated from the schema, so that strings cannot hold escapes and every part is
# bounded. The longest answer is 3 x ~200 characters, and a token is at least one character.
FACTS_GRAMMAR = r"""
root ::= "{" ws "\"facts\"" ws ":" ws "[" ws items? ws "]" ws "}"
items ::= item (ws "," ws item (ws "," ws item)?)?
item ::= "{" ws key-kv "," ws fact-kv "," ws importance-kv ws "}"
key-kv ::= "\"key\"" ws ":" ws "\"" key-char{1,32} "\"" ws
fact-kv ::= "\"fact\"" ws ":" ws "\"" text-char{8,120} "\"" ws
importance-kv ::= "\"importance\"" ws ":" ws importance
key-char ::= [a-z0-9_]
text-char ::= [^"\\\x00-\x1f]
importance ::= [1-9] | "10"
ws ::= " "?
"""
EXTRACTION_MAX_TOKENS = 700
SUMMARY_MAX_TOKENS = 90


def extraction_instruction(known: list[Fact]) -> str:
    lines = "\n".join(f"- {fact.key or 'note'}: {fact.text}" for fact in known) or "- (none)"
    return (
        "Memory task, not part of the conversation. From the user's last message above, list "
        "facts about the user worth remembering in later conversations: their name, people "
        "and pets in their life, places, work, plans and events with dates, likes and "
        "dislikes, and corrections of what you knew. Write each fact as one short sentence "
        "about \"the user\", in the language the user speaks. Give it a short snake_case "
        "key naming what it is about (for example sister_name, job_interview_date); when a "
        "fact corrects or updates a known fact, use that fact's key. Rate importance from 1 "
        "(trivia) to 10 (core to who they are). Skip small talk, questions and anything "
        "about you, the persona. If there is nothing new, give an empty list.\n"
        f"Known facts:\n{lines}\nAnswer with JSON only."
    )


def summary_instruction() -> str:
    return (
        "Memory task, not part of the conversation. In one or two sentences, note for "
        "yourself what this conversation was about: the topics, the user's news and feelings, "
        "and anything to ask about next time. Write about \"the user\" in plain text."
    )


def instruction_message(text: str) -> Message:
    return Message("system", text)


def parse_facts(text: str) -> list[FactUpdate]:
    """The facts in a model's answer; anything malformed is dropped, never raised."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        log.info("Extraction answer was not JSON (%d characters)", len(text))
        return []
    items = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    updates = []
    for item in items:
        if len(updates) == MAX_FACTS_PER_EXCHANGE:
            break
        if not isinstance(item, dict):
            continue
        fact, key, importance = item.get("fact"), item.get("key", ""), item.get("importance", 5)
        if not isinstance(fact, str) or not fact.strip():
            continue
        if not isinstance(importance, int) or isinstance(importance, bool):
            importance = 5
        updates.append(FactUpdate(fact.strip(), key if isinstance(key, str) else "",
                                  importance))
    return updates


def clean_summary(text: str) -> str:
    return " ".join(text.split())[:400]
