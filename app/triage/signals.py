"""Priority and misinformation signals from the words of a post (pure Python).

Priority follows DESIGN.md: P1 danger to life or property now, P2 wide impact or
spreading fast, P3 normal, P4 low. It comes from danger words and the category,
raised when mentions and engagement grow fast. Possible misinformation is a
flag with a reason, never a verdict: the officer judges it while verifying.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.core.text import fold

DATA_FILE = Path(__file__).parent / "data" / "signals.json"
#: Categories whose danger words mean danger now, not just an unpleasant situation.
URGENT_CATEGORIES = {"flooding", "traffic", "security", "infrastructure", "health"}


@dataclass
class Signals:
    priority: str
    flags: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@lru_cache(maxsize=2)
def _data(accented: bool) -> dict:
    """The word lists as written (for posts with diacritics) or folded (for posts without)."""
    form = (lambda word: _words(word.lower())) if accented else (lambda word: _words(fold(word)))
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    # Without diacritics one syllable is too ambiguous ("chay": cháy/chạy, "no": nổ/no):
    # only phrases count then.
    usable = (lambda word: True) if accented else (lambda word: " " in word.strip())
    return {
        "danger": {
            level: [form(w) for w in words if usable(w)]
            for level, words in data["danger_words"].items()
        },
        "unverified": [form(w) for w in data["unverified_claim_words"]],
        "alarming": [form(w) for w in data["alarming_words"]],
        "low_credibility": [w.lower() for w in data["low_credibility_sources"]],
        "statements": [
            ([form(w) for w in s["claim"]], s["statement"]) for s in data["official_statements"]
        ],
    }


_PUNCTUATION = re.compile(r"[^\w]+")


def _words(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", unicodedata.normalize("NFC", text)).split())


def _found(text: str, words: list[str]) -> list[str]:
    # Whole words only: "sập" (collapse) must not fire on "sắp" (soon) once accents are gone.
    padded = f" {text} "
    return [word for word in words if f" {word} " in padded]


def assess(
    text: str,
    category: str | None,
    *,
    source_url: str | None = None,
    mentions_last_hour: int = 0,
    engagement: int = 0,
) -> Signals:
    """Priority and flags for a post (or a case's latest post) with readable reasons."""
    # Posts written with diacritics are matched as written, which keeps "sắp" apart from "sập".
    accented = fold(text) != text.lower()
    data = _data(accented)
    folded = _words(text.lower()) if accented else _words(fold(text))
    reasons: list[str] = []
    life = _found(folded, data["danger"]["life"])
    wide = _found(folded, data["danger"]["wide"])
    low = _found(folded, data["danger"]["low"])
    if life and category in URGENT_CATEGORIES:
        priority = "P1"
        reasons.append(f"danger to life or property: {', '.join(life[:3])}")
    elif wide or mentions_last_hour >= 10 or engagement >= 5000:
        priority = "P2"
        if wide:
            reasons.append(f"wide impact: {', '.join(wide[:3])}")
        if mentions_last_hour >= 10:
            reasons.append(f"spreading fast: {mentions_last_hour} mentions in the last hour")
        if engagement >= 5000:
            reasons.append(f"high engagement: {engagement}")
    elif low and not life:
        priority = "P4"
        reasons.append(f"low urgency: {', '.join(low[:2])}")
    else:
        priority = "P3"
    flags, flag_reasons = _misinformation(folded, source_url, data)
    return Signals(priority, flags, reasons + flag_reasons)


def _misinformation(folded: str, source_url: str | None, data: dict) -> tuple[list[str], list[str]]:
    reasons = []
    alarming = _found(folded, data["alarming"])
    unverified = _found(folded, data["unverified"])
    if alarming and unverified:
        reasons.append(f"alarming unverified claim: {alarming[0]} ({unverified[0]})")
    url = (source_url or "").lower()
    if url and any(marker in url for marker in data["low_credibility"]):
        reasons.append("source is on the low-credibility list")
    for claim, statement in data["statements"]:
        if len(_found(folded, claim)) == len(claim):
            reasons.append(f"contradicted by an official statement: {statement}")
    return (["needs_verification"] if reasons else []), reasons
