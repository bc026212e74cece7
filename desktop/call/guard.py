"""The license's output rules, enforced on the LLM's text before it reaches the screen or the
voice (outside the prompt, so nothing in the conversation can talk its way past them).

``never_say`` phrases and ``forbidden_topics`` keywords come from the persona's license. The
guard holds back as many trailing characters as the longest rule, so a phrase is caught before
any of it is shown; text that passed is released as it streams.
"""

from __future__ import annotations

import re
import unicodedata

from desktop.text import drop_control_characters

REFUSALS = {
    "en": "I'd rather not talk about that. Let's talk about something else.",
    "zh": "这个我不想谈。我们聊点别的吧。",
}


def _fold(text: str) -> str:
    # Invisible characters go first: "ra\u200bin" is still "rain" to the voice and the eye.
    # NFKC folds fullwidth and other look-alike forms; casefold and one space per gap.
    return " ".join(unicodedata.normalize("NFKC", drop_control_characters(text)).casefold()
                    .split())


class OutputGuard:
    def __init__(self, never_say: list[str], forbidden_topics: list[str]) -> None:
        rules = [(f"never-say phrase {i + 1}", p) for i, p in enumerate(never_say)]
        rules += [(f"forbidden topic {t!r}", t) for t in forbidden_topics]
        self._rules = []
        for name, phrase in rules:
            folded = _fold(phrase)
            if not folded:
                continue
            # Whole words for Latin text ("rain" is not in "train"); CJK has no word breaks.
            ascii_word = folded.isascii()
            pattern = (r"(?<!\w)" + re.escape(folded) + r"(?!\w)") if ascii_word else (
                re.escape(folded))
            self._rules.append((name, re.compile(pattern)))
        self.hold = max((len(_fold(p)) for _, p in rules), default=0)

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def violation(self, text: str) -> str | None:
        """The rule ``text`` breaks, or None. Names the rule, never repeats the text."""
        folded = _fold(text)
        for name, pattern in self._rules:
            if pattern.search(folded):
                return name
        return None

    def releasable(self, text: str, final: bool = False) -> int:
        """How many leading characters of ``text`` may be shown now."""
        if final or not self._rules:
            return len(text)
        return max(0, len(text) - self.hold)
