"""Duties Hearth keeps whatever the persona or the model say (docs/reliability.md §7.5):

- a crisis referral when the user speaks of harming themselves, shown and spoken, in the
  user's language, shipped with the app;
- a stated minor gets a teen ceiling with romance off, enforced on the output by the guard;
- the AI notice at the start of a call (desktop.call.session) and again every 3 hours.

Detection is by plain patterns: it must work offline on every machine. It errs on the side of
showing the referral.
"""

from __future__ import annotations

import re

CRISIS_PATTERNS = re.compile(
    r"\b(kill(ing)? myself|suicid\w*|end(ing)? (it all|my life)|want(ed)? to die|"
    r"hurt(ing)? myself|self[- ]harm\w*|don'?t want to (live|be alive)|no reason to live)\b"
    r"|自杀|不想活|想死|结束自己的生命|伤害自己|轻生",
    re.IGNORECASE)
REFERRALS = {
    "en": ("It sounds like you are going through something very hard. You deserve support from "
           "a person right now: please call your local emergency number, or find a free, "
           "confidential helpline at findahelpline.com. I'm an AI, and I care that you get "
           "real help."),
    "zh": ("听起来你正在经历非常艰难的事情。你值得马上得到真人的支持："
           "请拨打当地的紧急电话或心理援助热线，"
           "也可以访问 findahelpline.com 查找免费、保密的帮助。"
           "我是人工智能，我希望你能得到真正的帮助。"),
}
_AGE = re.compile(
    # "I'm 15", "I am only 12 years old", "im 16 yo", but not "I am 5 minutes late".
    r"\b(?:i(?:'m| am)|im)\s+(?:only\s+|just\s+)?(\d{1,2})"
    r"(?:\s*(?:years?|yrs?)(?:\s*old)?|\s*y/?o)?(?=\s*(?:$|[.,!?;]|and\b|but\b|so\b|by\b))"
    r"|\bi(?:'m| am) a (?:minor|kid|child|teenager)\b|我(?:今年|才|只有)?(\d{1,2})岁",
    re.IGNORECASE)
ROMANCE_WORDS = ["kiss", "kisses", "kissing", "i love you", "date me", "sexy", "flirt",
                 "girlfriend", "boyfriend", "romantic", "亲吻", "我爱你", "约会", "男朋友",
                 "女朋友"]
AI_NOTICE_EVERY_S = 3 * 3600


def needs_crisis_referral(text: str) -> bool:
    return bool(CRISIS_PATTERNS.search(text))


def stated_minor(text: str) -> bool:
    """True when the user says they are under 18."""
    for match in _AGE.finditer(text):
        number = match.group(1) or match.group(2)
        if number is None:
            return True  # "I'm a kid"
        if 5 <= int(number) < 18:
            return True
    return False
