"""Text clean-up shared by the engines."""

from __future__ import annotations

import re
import unicodedata


def drop_control_characters(text: str) -> str:
    """Remove control and format characters (Unicode category C: NUL and other C0/C1
    controls, zero-width characters, bidi overrides such as RTLO, BOM), keeping newlines and
    tabs. LLM output and persona text may carry them; espeak rejects NUL, and invisible ones can
    hide a chat-template control string from a filter."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


# Roleplay narration as character cards write it: *She smiles and looks out to sea.* A lone
# asterisk (a footnote, "5 * 3") is not narration.
NARRATION = re.compile(r"\*[^*\n]+\*")


def dialogue(text: str) -> str:
    """What is said aloud of ``text``: the narration between asterisks left out."""
    return " ".join(NARRATION.sub(" ", text).split())


def narration_spans(text: str) -> list[tuple[int, int]]:
    """Where the narration is in ``text`` (start, end), asterisks included."""
    return [match.span() for match in NARRATION.finditer(text)]
