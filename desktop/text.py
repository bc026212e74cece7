"""Text clean-up shared by the engines."""

from __future__ import annotations

import unicodedata


def drop_control_characters(text: str) -> str:
    """Remove control and format characters (Unicode category C: NUL and other C0/C1
    controls, zero-width characters, bidi overrides such as RTLO, BOM), keeping newlines and
    tabs. LLM output and persona text may carry them; espeak rejects NUL, and invisible ones can
    hide a chat-template control string from a filter."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
