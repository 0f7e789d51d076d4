"""The places outside the city that a text names: other provinces, Hà Nội, other
countries and the traps, as `outside_index.OutsideIndex` lists them.

Pure Python, no Flask.
"""

from dataclasses import dataclass

from app.triage.places.index import (
    CURRENT,
    DISTRICT,
    FORMER_PROVINCE,
    FORMER_WARD,
    LANDMARK,
    STREET,
)
from app.triage.places.mentions import Mention, not_a_name
from app.triage.places.outside_index import (
    CONTEXT,
    FOREIGN,
    MARKED,
    NATION,
    TRAP,
    OutsideEntry,
    OutsideIndex,
)
from app.triage.textnorm import NormalizedText, Token

#: Outside places found with less confidence are not reported.
OUTSIDE_MIN_CONFIDENCE = 0.6
_OUTSIDE_ASCII_FACTOR = 0.85  # a Vietnamese name typed without diacritics


@dataclass(frozen=True)
class OutsidePlace:
    """A place outside the city that a post names."""

    name: str  # "Hà Nội", "Quận Cầu Giấy, Hà Nội", "Mỹ", "quận Cam (Orange County)"
    kind: str  # "province" | "hanoi" | "foreign" | "trap"
    region: str  # the province, country or sea it is in: "Hà Nội", "Đồng Nai", "Mỹ"
    confidence: float  # 0..1
    reason: str  # 'about Hà Nội, outside the city'
    surface: str  # the words as written in the post
    span: tuple[int, int]  # offsets of `surface` in the cleaned text


def find_outside_places(
    outside: OutsideIndex,
    norm: NormalizedText,
    mentions: list[Mention],
    min_confidence: float = OUTSIDE_MIN_CONFIDENCE,
) -> list[OutsidePlace]:
    """Every place outside the city that `norm` names, in reading order (`mentions`: the
    city's, which may cover a name: "Xa lộ Hà Nội"). See `Gazetteer.find_outside_all`."""
    tokens = norm.tokens
    words = [t.folded for t in tokens]
    phrases, lengths = outside.phrases, outside.lengths
    cased = norm.text != norm.text.lower() and norm.text != norm.text.upper()
    found = []
    i = 0
    while i < len(words):
        hit = None
        for size in lengths.get(words[i], ()):
            entries = i + size <= len(words) and phrases.get(" ".join(words[i : i + size]))
            fitting = entries and [e for e in entries if _fits(outside, e, norm, i, size, cased)]
            if fitting:
                hit = size, max(fitting, key=lambda e: e.quality)
                break
        if hit is None:
            i += 1
            continue
        size, entry = hit
        if not _within_city_name(mentions, i, i + size):
            found.append(_outside_place(entry, norm, tokens[i : i + size]))
        i += size
    return [place for place in found if place.confidence >= min_confidence]


def _fits(
    outside: OutsideIndex, entry: OutsideEntry, norm: NormalizedText, i: int, size: int, cased: bool
) -> bool:
    """Whether the words at `i` may mean `entry`, written as they are and where they are."""
    tokens = norm.tokens[i : i + size]
    text = norm.text
    if entry.acronym:
        return text[tokens[0].start : tokens[-1].end].isupper()
    typed_ascii = all(t.surface == t.folded for t in tokens)
    if entry.expected and not typed_ascii:
        # The name's own words, after or before its level word ("tỉnh X", "X province").
        surfaces, count = tuple(t.surface for t in tokens), len(entry.expected)
        if entry.expected not in (surfaces[len(surfaces) - count :], surfaces[:count]):
            return False  # "thẩm mỹ" is not "Mỹ"; "đa năng" is not "Đà Nẵng"
    short = entry.rule in (CONTEXT, NATION)
    stripped = typed_ascii and not all(word.isascii() for word in entry.expected)
    if short and (stripped or not text[tokens[0].start].isupper()):
        return False  # "bi", "anh", "my", "pháp" are words before they are countries
    if cased and entry.capitals:
        for token, capital in zip(tokens, entry.capitals, strict=False):
            if capital and not text[token.start].isupper():
                return False
    before = _words_before(norm.tokens, i)
    if entry.kind != TRAP and before & outside.blocking_words:
        return False
    if entry.rule == MARKED:
        return True
    if before & outside.person_words or (entry.kind != TRAP and _in_a_name(norm, i)):
        return False
    if entry.rule in (CONTEXT, NATION):
        # "Tổng thống Mỹ Donald Trump", but "ở Mỹ Tho", "cô Nga Phương" are not "Mỹ", "Nga".
        near = outside.context_words["nation" if entry.rule == NATION else "any"]
        if before & outside.context_words["titles"]:
            return True
        return bool(before & near) and not_a_name(norm, i + size)
    if stripped:
        # "ngap o Can Tho": a name typed without diacritics needs "ở", "tại"...
        return bool(before & outside.context_words["place"])
    return True


def _words_before(tokens: tuple[Token, ...], i: int) -> set[str]:
    """The one and two words before `i`, as typed (with diacritics) and folded when typed
    without: what the word lists of `outside_places.json` are compared with."""
    found = set()
    for count in (1, 2):
        if i >= count:
            run = tokens[i - count : i]
            found.add(" ".join(t.surface for t in run))
            if all(t.surface == t.folded for t in run):
                found.add(" ".join(t.folded for t in run))
    return found


def _in_a_name(norm: NormalizedText, i: int) -> bool:
    """Whether the word before `i` is capitalised mid-sentence with nothing between, as in
    a person's name ("Lưu Bình Nhưỡng"). Words in capitals and sentence starts do not count."""
    if i < 2:
        return False  # the word before starts the text
    token, before = norm.tokens[i], norm.tokens[i - 1]
    word = norm.text[before.start : before.end]
    if not word[:1].isupper() or word.isupper() or norm.text[before.end : token.start].strip():
        return False
    gap = norm.text[norm.tokens[i - 2].end : before.start]
    return not any(c in ".!?:\n" for c in gap)


def _within_city_name(mentions: list[Mention], start: int, end: int) -> bool:
    """Whether a longer name of the city covers tokens `start`..`end` ("Xa lộ Hà Nội")."""
    kinds = {CURRENT, FORMER_WARD, DISTRICT, STREET, LANDMARK, FORMER_PROVINCE}
    return any(
        m.start <= start and end <= m.end and m.end - m.start > end - start and m.kinds & kinds
        for m in mentions
    )


def _outside_place(entry: OutsideEntry, norm: NormalizedText, tokens: tuple[Token, ...]):
    start, end = tokens[0].start, tokens[-1].end
    confidence = entry.quality
    typed_ascii = all(t.surface == t.folded for t in tokens)
    if typed_ascii and not all(word.isascii() for word in entry.expected):
        confidence *= _OUTSIDE_ASCII_FACTOR
    where = "Vietnam" if entry.kind in (FOREIGN, TRAP) else "the city"
    return OutsidePlace(
        entry.name,
        entry.kind,
        entry.region,
        round(confidence, 3),
        f"about {entry.name}, outside {where}",
        norm.text[start:end],
        (start, end),
    )
