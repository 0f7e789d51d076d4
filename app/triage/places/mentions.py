"""A text's place mentions: the runs of words the city's index knows, read with the
words around them (a level word, "đường", "tại", a province right after).

Pure Python, no Flask.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from app.triage.places.index import (
    CURRENT,
    DISTRICT,
    FORMER_WARD,
    LEVEL,
    OTHER_PROVINCE,
    STREET,
    Entry,
    Index,
    phrase_key,
)
from app.triage.textnorm import NormalizedText, Token, fold

#: Words that may sit between a ward and its district: "phường 12 thuộc quận Gò Vấp".
_LINK_WORDS = frozenset({"thuoc", "o", "tai"})
#: A bare name right after these names a landmark, not the district: "cầu Phú Mỹ" is a
#: bridge in Quận 7, not Thành phố Phú Mỹ; "chợ Bình Tây" is a market.
_LANDMARK_WORDS = frozenset({"cau", "cho", "duong", "hem", "cang", "ben"})
#: Words after which a former ward's bare name is a place: "đất công tại Phước Kiển".
_LOCATIVE_WORDS = frozenset({"tại", "ở", "khu"})
#: Words after which a street's name needs no "đường": "đại lộ Võ Văn Kiệt", "mặt tiền Lê Lợi"
#: (as typed: "tuyên dương" is not "đường").
_STREET_WORDS = frozenset({"đường", "đại lộ", "mặt tiền", "mặt đường"})
#: Characters that no place name spans (`scan_mentions`).
_PHRASE_BREAKS = frozenset(",;:()[]{}!?\n")
#: Words before a house number ("số 12 Nguyễn Huệ", "hẻm 285/4 Cách Mạng Tháng 8").
_ADDRESS_WORDS = frozenset({"số", "hẻm", "kiệt", "nhà", "số nhà", "địa chỉ", "ngách"})


@dataclass
class Mention:
    """A run of words that the city's index knows, with what it may mean."""

    start: int  # token indexes
    end: int
    entries: list[Entry]
    surface: str = ""
    span: tuple[int, int] = (0, 0)
    kinds: set[str] = field(default_factory=set)
    tokens: tuple[Token, ...] = ()
    lowercase: bool = False  # not capitalised, in a text that capitalises
    marked: bool = False  # "đường", "đại lộ" or a house number right before it
    locative: bool = False  # "tại", "ở" or "khu" right before it, typed with diacritics

    def of(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


def scan_mentions(index: Index, norm: NormalizedText) -> list[Mention]:
    """The place mentions of `norm`, in reading order, each the longest known phrase."""
    tokens = norm.tokens
    words = [t.folded for t in tokens]
    keys = phrase_key(words).split(" ")  # the words as the index spells them ("07" -> "7")
    phrases, lengths = index.phrases, index.lengths
    found: list[Mention] = []
    cased = norm.text != norm.text.lower() and norm.text != norm.text.upper()
    # Where a comma, a bracket or a sentence's end lies between two words, no name spans
    # them: "phường Long Bình Tân (TP Biên Hòa)" holds no "Tân TP" (dots may: "TP. HCM").
    breaks = [
        any(c in _PHRASE_BREAKS for c in norm.text[tokens[k].end : tokens[k + 1].start])
        for k in range(len(tokens) - 1)
    ]
    i = 0
    while i < len(words):
        hit = None
        marked = None
        for size in lengths.get(keys[i], ()):
            if i + size > len(words) or any(breaks[i : i + size - 1]):
                continue
            entries = phrases.get(" ".join(keys[i : i + size]))
            entries = entries and [e for e in entries if _written_as(e, tokens[i : i + size])]
            if entries and any(e.kind == STREET and not e.prefixed for e in entries):
                # Most street names need "đường" (or a house number) before them.
                marked = _street_marked(tokens, i) if marked is None else marked
                entries = [
                    e for e in entries if e.kind != STREET or e.prefixed or marked or e.target.bare
                ]
            if entries:
                # Same letters, different places ("Thanh An" / "Thạnh An"): the
                # one whose diacritics were typed comes first.
                entries.sort(key=lambda e: -exact_words(e, tokens[i : i + size]))
                hit = (size, entries)
                break
        if hit is None:
            i += 1
            continue
        size, entries = hit
        start, end = tokens[i].start, tokens[i + size - 1].end
        kinds = {e.kind for e in entries}
        surface = norm.text[start:end]
        mention = Mention(i, i + size, entries, surface, (start, end), kinds, tokens[i : i + size])
        # Names are capitalised; "nhà bè bạn" in a post that capitalises is not Nhà Bè.
        mention.lowercase = cased and not all(
            norm.text[t.start].isupper() for t in mention.tokens if norm.text[t.start].isalpha()
        )
        mention.marked = bool(marked)
        mention.locative = i > 0 and tokens[i - 1].surface.lower() in _LOCATIVE_WORDS
        found.append(mention)
        i += size
    return found


#: What may lie between a name and the place after it that it belongs to: one more word
#: of the name ("phường Long Bình [Tân], TP Biên Hòa"), a comma, a bracket, "thuộc".
_BELONGS_TO = re.compile(r"(?:\s+(?P<word>\w+))?[\s,(\-–]*(?:(?:thuộc|thuoc)\s+)?")


def right_before(mention: Mention, start: int, text: str) -> bool:
    """Whether `mention` is right before the place that starts at offset `start` of
    `text`: "xã Phước Hiệp, H. Tuy Phước", "phường Long Bình Tân (TP Biên Hòa)"."""
    if start < mention.span[1]:
        return False
    found = _BELONGS_TO.fullmatch(text, mention.span[1], start)
    return bool(found) and (found["word"] is None or found["word"][:1].isupper())


def _street_marked(tokens: tuple[Token, ...], i: int) -> bool:
    """Whether the words before `i` say a street's name follows: "đường", "đại lộ", or a
    house number after "số"/"hẻm" ("hẻm 285/4 Cách Mạng Tháng 8")."""
    if typed_before(tokens, i, _STREET_WORDS):
        return True
    j = i
    while j > 0 and i - j < 3 and any(c.isdigit() for c in tokens[j - 1].folded):
        j -= 1
    return j < i and typed_before(tokens, j, _ADDRESS_WORDS)


def typed_before(tokens: tuple[Token, ...], i: int, words: frozenset[str]) -> bool:
    """Whether the one or two words before `i` are one of `words`, typed with these
    diacritics or with none."""
    for count in (1, 2):
        if i >= count:
            run = tokens[i - count : i]
            surface = " ".join(t.surface for t in run)
            if surface in words:
                return True
            if all(t.surface == t.folded for t in run) and surface in _folded(words):
                return True
    return False


@lru_cache(maxsize=16)
def _folded(words: frozenset[str]) -> frozenset[str]:
    return frozenset(fold(word) for word in words)


def not_a_name(norm: NormalizedText, end: int) -> bool:
    """False when a capitalised word follows, as in a person's name ("Mỹ Linh", "Nga Phương")."""
    if end >= len(norm.tokens):
        return True
    token = norm.tokens[end]
    gap = norm.text[norm.tokens[end - 1].end : token.start]
    return not (norm.text[token.start].isupper() and not any(c in gap for c in ".!?,;:\n"))


def followed_by_province(index: int, mentions: list[Mention], words: list[str]) -> bool:
    """Whether another province follows, right after or after one more place: "đường Lê
    Lợi, Đà Nẵng", "85 Vũ Trọng Phụng, Thanh Xuân, Hà Nội"."""
    current = mentions[index]
    for after in mentions[index + 1 : index + 3]:
        if not adjacent(current, after, words):
            return False
        if OTHER_PROVINCE in after.kinds:
            return True
        current = after
    return False


def _written_as(entry: Entry, tokens: tuple[Token, ...]) -> bool:
    """A bare name typed with diacritics must carry the right ones: "Củ Chi" yes,
    "cử chỉ" (a gesture) no; typed without any, it may be either."""
    if entry.prefixed or entry.expected is None or all(t.surface == t.folded for t in tokens):
        return True
    # All or nothing: in "Tân binh" (a recruit) the writer uses diacritics, so the
    # missing one on "binh" is meant; it is not "Tân Bình".
    return all(t.surface == word for t, word in zip(tokens, entry.expected, strict=False))


def exact_words(entry: Entry, tokens: tuple[Token, ...]) -> int:
    """How many of the name's words were typed with exactly its diacritics (the name
    ends the phrase: "xã Thạnh An")."""
    if not entry.expected or all(t.surface == t.folded for t in tokens):
        return 0  # typed without diacritics: nothing to tell the places apart by
    tail = tokens[len(tokens) - len(entry.expected) :]
    return sum(t.surface == word for t, word in zip(tail, entry.expected, strict=False))


def names_a_landmark(mention: Mention, words: list[str]) -> bool:
    """A name without its level word right after "chợ", "cầu", …: a market or a bridge."""
    return (
        mention.start > 0
        and words[mention.start - 1] in _LANDMARK_WORDS
        and not any(entry.prefixed for entry in mention.entries)
    )


def adjacent(first: Mention, second: Mention, words: list[str]) -> bool:
    gap = words[first.end : second.start]
    return len(gap) == 0 or (len(gap) == 1 and gap[0] in _LINK_WORDS)


def suppressed(index: int, mentions: list[Mention], words: list[str]) -> bool:
    """Drop a bare name when its context says it is something else: a level word that
    did not fit ("huyện Tân Phú" is in Đồng Nai, Tân Phú was a quận), a landmark
    word before it, or another province right after it ("Tân Phú, Đồng Nai")."""
    mention = mentions[index]
    if all(e.prefixed for e in mention.entries if e.kind in (CURRENT, FORMER_WARD, DISTRICT)):
        after = mentions[index + 1] if index + 1 < len(mentions) else None
        return bool(after and after.start == mention.end and after.kinds == {OTHER_PROVINCE})
    before = mentions[index - 1] if index else None
    after = mentions[index + 1] if index + 1 < len(mentions) else None
    if before and before.end == mention.start and LEVEL in before.kinds:
        return True
    if mention.start and words[mention.start - 1] in _LANDMARK_WORDS:
        return True
    return bool(after and adjacent(mention, after, words) and OTHER_PROVINCE in after.kinds)
