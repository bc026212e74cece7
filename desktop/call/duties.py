"""The duties Hearth keeps in every conversation, whatever the persona or the model say: the
license's output guard (with romance off for a stated minor or by the license), the crisis
referral, the periodic "I'm an AI" notice, and the refusal in the persona's own voice."""

from __future__ import annotations

import time

from desktop.brain.prompt import Message
from desktop.call.events import Notice
from desktop.call.guard import REFUSALS, OutputGuard
from desktop.call.safety import (
    AI_NOTICE_EVERY_S,
    REFERRALS,
    ROMANCE_WORDS,
    needs_crisis_referral,
    stated_minor,
)
from desktop.call.state import CallState

AI_NOTICES = {
    "en": "Just so you know, I'm an AI.",
    "zh": "先说明一下，我是人工智能。",
}
TEEN_CEILING = ("The user has said they are under 18. Keep everything suitable for teenagers: "
                "no romance, no flirting, nothing mature.")


class SafetyDuties:
    def __init__(self, state: CallState) -> None:
        self.state = state
        self.minor = False  # the user said they are under 18: teen ceiling, romance off
        self.romance_words = list(ROMANCE_WORDS)
        self.guard = self.make_guard()
        self.last_ai_notice = time.monotonic()

    def make_guard(self) -> OutputGuard:
        """The license's output rules, plus romance words when the license or the user's age
        rules romance out."""
        license_ = self.state.persona.license
        no_romance = self.minor or license_.get("romance_allowed") is False
        return OutputGuard(
            [str(p) for p in license_.get("never_say", [])],
            [str(t) for t in license_.get("forbidden_topics", [])]
            + (self.romance_words if no_romance else []))

    def check_user_text(self, text: str) -> None:
        """What the user said may change the rules (a stated minor) or call for help now."""
        if stated_minor(text) and not self.minor:
            # Enforced on the output, whatever the model or the persona want.
            self.minor = True
            self.guard = self.make_guard()
            with self.state.lock:
                self.state.history.append(Message("system", TEEN_CEILING))
        if needs_crisis_referral(text):
            self.state.listener(Notice("crisis", self.referral()))

    def referral(self) -> str:
        return REFERRALS.get(self.state.language, REFERRALS["en"])

    def referral_for(self, user_text: str) -> str | None:
        """The referral the reply ends with when the user's words call for one."""
        return self.referral() if needs_crisis_referral(user_text) else None

    def ai_notice(self) -> str:
        self.last_ai_notice = time.monotonic()
        return AI_NOTICES.get(self.state.language, AI_NOTICES["en"])

    def ai_notice_due(self) -> bool:
        return time.monotonic() - self.last_ai_notice > AI_NOTICE_EVERY_S

    def refusal(self) -> str:
        return str(self.state.persona.license.get("refusal") or REFUSALS.get(
            self.state.language, REFUSALS["en"]))
