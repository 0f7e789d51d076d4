"""Find the HCMC place a post is about: today's ward(s) and the former district named.

Pure Python, no Flask. Since 1 July 2025 HCMC has 168 wards, communes and one
special zone and no districts, but people still write "Q7", "quận Gò Vấp",
"P.12 Q.Gò Vấp" or "Thủ Đức". `Gazetteer.resolve` reads such mentions in free
text (with or without diacritics, in any Unicode form) and answers with the
current unit(s), the former district if one was named, a confidence and a
human-readable reason. A former district alone resolves to the set of wards it
became; a former ward with its district resolves to the ward it became.

The index (`gazetteer_index`) is built once from the package data; a resolve
is one normalisation plus a dict lookup per token.

Usage::

    match = get_gazetteer().resolve("Ngập nặng ở P.12 Q.Gò Vấp")
    match.wards, match.former_district, match.confidence, match.reason
"""

from dataclasses import dataclass, field, replace
from functools import lru_cache

from app.triage.gazetteer_index import (
    CITY,
    CURRENT,
    DISTRICT,
    FORMER_WARD,
    LEVEL,
    OTHER_PROVINCE,
    Entry,
    Index,
    phrase_key,
)
from app.triage.places_data import CurrentUnit, FormerDistrict, FormerWard, load_hcmc_units
from app.triage.textnorm import NormalizedText, Token, normalize

#: Words that may sit between a ward and its district: "phường 12 thuộc quận Gò Vấp".
_LINK_WORDS = frozenset({"thuoc", "o", "tai"})
#: A bare name right after these names a landmark, not the district: "cầu Phú Mỹ" is a
#: bridge in Quận 7, not Thành phố Phú Mỹ; "chợ Bình Tây" is a market.
_LANDMARK_WORDS = frozenset({"cau", "cho", "duong", "hem", "cang", "ben"})
_WARD_BONUS = 0.1  # when ranking, a ward beats a district of similar confidence
_CONSISTENT_BONUS = 0.3  # ... and a ward inside a district the post also names beats it
_ASCII_BARE_FACTOR = 0.8  # a bare name typed without diacritics
_LOWERCASE_BARE_FACTOR = 0.75  # a bare name not capitalised in a post that capitalises
_ALSO_FACTOR = 0.85  # other, unrelated places named in the same post
_ELSEWHERE_FACTOR = 0.75  # another province named and HCMC not


@dataclass(frozen=True)
class PlaceMatch:
    """Where a post is: current unit(s) and, if named, the former district."""

    wards: tuple[tuple[str, str], ...]  # (code, name) of current units
    former_district: tuple[str, str] | None  # (name, code)
    confidence: float  # 0..1
    reason: str  # 'matched "Q7" as Quận 7, ...'
    level: str  # "ward": one current unit; "district": every unit a former district became
    surface: str  # the words as written in the post
    span: tuple[int, int] = (0, 0)  # offsets of `surface` in the cleaned text

    @property
    def ward_codes(self) -> tuple[str, ...]:
        """The codes of `wards`."""
        return tuple(code for code, _ in self.wards)


@dataclass
class _Mention:
    start: int  # token indexes
    end: int
    entries: list[Entry]
    surface: str = ""
    span: tuple[int, int] = (0, 0)
    kinds: set[str] = field(default_factory=set)
    tokens: tuple[Token, ...] = ()
    lowercase: bool = False  # not capitalised, in a text that capitalises

    def of(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


class Gazetteer:
    """Resolve place mentions in free text to HCMC's current units."""

    def __init__(self, index: Index | None = None) -> None:
        self._index = index or Index().build()
        self._units: dict[str, CurrentUnit] = {u.code: u for u in load_hcmc_units()}

    # -- public ---------------------------------------------------------------

    def resolve(self, text: str | NormalizedText) -> PlaceMatch | None:
        """The most specific, most confident HCMC place in `text`, or None."""
        norm = text if isinstance(text, NormalizedText) else normalize(text)
        matches, mentions = self._matches(norm)
        if not matches:
            return None
        districts = [set(m.ward_codes) for m in matches if m.level == "district"]

        def rank(match: PlaceMatch) -> float:
            if match.level != "ward":
                return match.confidence
            inside = any(set(match.ward_codes) <= codes for codes in districts)
            return match.confidence + _WARD_BONUS + (_CONSISTENT_BONUS if inside else 0)

        return self._in_context(max(matches, key=rank), matches, mentions)

    def find_all(self, text: str | NormalizedText) -> list[PlaceMatch]:
        """Every HCMC place mentioned in `text`, in reading order."""
        norm = text if isinstance(text, NormalizedText) else normalize(text)
        return self._matches(norm)[0]

    # -- scanning -------------------------------------------------------------

    def _mentions(self, norm: NormalizedText) -> list[_Mention]:
        tokens = norm.tokens
        words = [t.folded for t in tokens]
        phrases, lengths = self._index.phrases, self._index.lengths
        found: list[_Mention] = []
        cased = norm.text != norm.text.lower() and norm.text != norm.text.upper()
        i = 0
        while i < len(words):
            hit = None
            for size in lengths.get(phrase_key(words[i : i + 1]), ()):
                if i + size > len(words):
                    continue
                entries = phrases.get(phrase_key(words[i : i + size]))
                entries = entries and [e for e in entries if _written_as(e, tokens[i : i + size])]
                if entries:
                    # Same letters, different places ("Thanh An" / "Thạnh An"): the
                    # one whose diacritics were typed comes first.
                    entries.sort(key=lambda e: -_exact_words(e, tokens[i : i + size]))
                    hit = (size, entries)
                    break
            if hit is None:
                i += 1
                continue
            size, entries = hit
            start, end = tokens[i].start, tokens[i + size - 1].end
            kinds = {e.kind for e in entries}
            surface = norm.text[start:end]
            mention = _Mention(
                i, i + size, entries, surface, (start, end), kinds, tokens[i : i + size]
            )
            # Names are capitalised; "nhà bè bạn" in a post that capitalises is not Nhà Bè.
            mention.lowercase = cased and not all(
                norm.text[t.start].isupper() for t in mention.tokens if norm.text[t.start].isalpha()
            )
            found.append(mention)
            i += size
        return found

    def _matches(self, norm: NormalizedText) -> tuple[list[PlaceMatch], list[_Mention]]:
        mentions = self._mentions(norm)
        words = [t.folded for t in norm.tokens]
        matches: list[PlaceMatch] = []
        used: set[int] = set()
        for index in range(len(mentions) - 1):
            first, second = mentions[index], mentions[index + 1]
            if index in used or not _adjacent(first, second, words):
                continue
            pair = self._ward_in_district(first, second) or self._ward_in_district(second, first)
            if pair:
                matches.append(_spanning(pair, first, second, norm.text))
                used |= {index, index + 1}
        for index, mention in enumerate(mentions):
            if index in used or _suppressed(index, mentions, words):
                continue
            match = self._single(mention)
            if match:
                matches.append(match)
        matches.sort(key=lambda m: m.span)
        return matches, mentions

    # -- interpretation -------------------------------------------------------

    def _ward_in_district(self, ward: _Mention, district: _Mention) -> PlaceMatch | None:
        """A ward mention followed (or preceded) by its district: "P.12 Q.Gò Vấp"."""
        for d_entry in district.of(DISTRICT):
            d: FormerDistrict = d_entry.target
            for entry in ward.of(FORMER_WARD):
                if entry.target.district_code == d.code:
                    return self._former_ward_match(entry, ward, d, 0.95)
            for entry in ward.of(CURRENT):
                if d.code in {ref.code for ref in entry.target.former_districts}:
                    unit: CurrentUnit = entry.target
                    reason = f'matched "{ward.surface}" as {unit.name}, in former {d.name}'
                    return _unit_match(unit, (d.name, d.code), 0.95, reason, ward)
        return None

    def _former_ward_match(
        self, entry: Entry, mention: _Mention, district: FormerDistrict | None, confidence: float
    ) -> PlaceMatch:
        ward: FormerWard = entry.target
        unit = self._units[ward.default_ward_code]
        name = f"{entry.alias_of} (now part of {ward.name})" if entry.alias_of else ward.name
        reason = (
            f'matched "{mention.surface}" as former {name}, {ward.district_name}, now {unit.name}'
        )
        if ward.divided:
            others = [self._units[c].name for c in ward.current_ward_codes if c != unit.code]
            reason += f" (split in 2025, mostly into {unit.name}; also {', '.join(others)})"
            confidence -= 0.25
        if district is None:
            reason += f"; {ward.district_name} implied"
        return _unit_match(
            unit, (ward.district_name, ward.district_code), confidence, reason, mention
        )

    def _single(self, mention: _Mention) -> PlaceMatch | None:
        """A mention on its own, without a neighbour to pair with."""
        current = mention.of(CURRENT)
        prefixed_current = [e for e in current if e.prefixed]
        if prefixed_current:
            unit: CurrentUnit = prefixed_current[0].target
            confidence, reason = 0.92, f'matched "{mention.surface}" as {unit.name}'
            score = _exact_words(prefixed_current[0], mention.tokens)
            tied = [
                e.target.name
                for e in prefixed_current[1:]
                if e.target is not unit and _exact_words(e, mention.tokens) == score
            ]
            if tied:  # "xa thanh an": Xã Thanh An or Xã Thạnh An?
                confidence, reason = 0.6, f"{reason} (or {', '.join(tied)}: same letters)"
            return _unit_match(unit, None, confidence, reason, mention)
        former = [e for e in mention.of(FORMER_WARD) if e.prefixed]
        defaults = {e.target.default_ward_code for e in former}
        # "Phường 12" alone exists in a dozen districts; a unique named ward does not need one.
        if (
            former
            and len(defaults) == 1
            and not any(e.target.short_name[-1].isdigit() for e in former)
        ):
            return self._former_ward_match(former[0], mention, None, 0.75)
        districts = mention.of(DISTRICT)
        if districts:
            entry = max(districts, key=lambda e: e.quality)
            d: FormerDistrict = entry.target
            as_name = f"{d.name} ({entry.alias_of} is an older name)" if entry.alias_of else d.name
            wards = tuple((code, self._units[code].name) for code in d.current_ward_codes)
            reason = f'matched "{mention.surface}" as {as_name}, a former district now in {len(wards)} current units'
            confidence = entry.quality
            if not entry.prefixed:
                confidence, reason = _bare_doubts(mention, confidence, reason)
            return PlaceMatch(
                wards,
                (d.name, d.code),
                confidence,
                reason,
                "district",
                mention.surface,
                mention.span,
            )
        # A bare current name needs three syllables to be safe ("Tân Sơn Nhất", not "An Khánh").
        bare = [e for e in current if len(e.target.short_name.split()) >= 3]
        if bare:
            unit = bare[0].target
            reason = f'matched "{mention.surface}" as {unit.name} (name without "phường"/"xã")'
            confidence, reason = _bare_doubts(mention, 0.68, reason)
            return _unit_match(unit, None, confidence, reason, mention)
        return None

    def _in_context(
        self, best: PlaceMatch, matches: list[PlaceMatch], mentions: list[_Mention]
    ) -> PlaceMatch:
        """Adjust the chosen match for what else the post names."""
        confidence, reason, former = best.confidence, best.reason, best.former_district
        codes = set(best.ward_codes)
        others = []
        for match in matches:
            if match is best:
                continue
            if (
                best.level == "ward"
                and match.level == "district"
                and codes <= set(match.ward_codes)
            ):
                if former is None or former == match.former_district:
                    former = match.former_district
                    confidence = min(0.98, confidence + 0.05)
                    reason += f'; consistent with "{match.surface}"'
                continue
            if not codes & set(match.ward_codes):
                others.append(match.surface)
        if others:
            confidence *= _ALSO_FACTOR
            reason += "; the post also names " + ", ".join(f'"{o}"' for o in others)
        kinds = set().union(*(m.kinds for m in mentions))
        if OTHER_PROVINCE in kinds and CITY not in kinds:
            provinces = [m.surface for m in mentions if OTHER_PROVINCE in m.kinds]
            confidence *= _ELSEWHERE_FACTOR
            reason += "; the post also names " + ", ".join(f'"{p}"' for p in provinces)
        return replace(best, confidence=round(confidence, 3), reason=reason, former_district=former)


def _bare_doubts(mention: _Mention, confidence: float, reason: str) -> tuple[float, str]:
    """Lower the confidence of a name written without its level word when it may be
    a common phrase: without diacritics ("di an": "đi ăn") or not capitalised."""
    if mention.surface.isascii():
        confidence *= _ASCII_BARE_FACTOR
        reason += " (typed without diacritics)"
    if mention.lowercase:
        confidence *= _LOWERCASE_BARE_FACTOR
        reason += " (not capitalised)"
    return round(confidence, 3), reason


def _unit_match(
    unit: CurrentUnit,
    former: tuple[str, str] | None,
    confidence: float,
    reason: str,
    mention: _Mention,
) -> PlaceMatch:
    return PlaceMatch(
        ((unit.code, unit.name),), former, confidence, reason, "ward", mention.surface, mention.span
    )


def _written_as(entry: Entry, tokens: tuple[Token, ...]) -> bool:
    """A bare name typed with diacritics must carry the right ones: "Củ Chi" yes,
    "cử chỉ" (a gesture) no; typed without any, it may be either."""
    if entry.prefixed or entry.expected is None or all(t.surface == t.folded for t in tokens):
        return True
    # All or nothing: in "Tân binh" (a recruit) the writer uses diacritics, so the
    # missing one on "binh" is meant; it is not "Tân Bình".
    return all(t.surface == word for t, word in zip(tokens, entry.expected, strict=False))


def _exact_words(entry: Entry, tokens: tuple[Token, ...]) -> int:
    """How many of the name's words were typed with exactly its diacritics (the name
    ends the phrase: "xã Thạnh An")."""
    if not entry.expected or all(t.surface == t.folded for t in tokens):
        return 0  # typed without diacritics: nothing to tell the places apart by
    tail = tokens[len(tokens) - len(entry.expected) :]
    return sum(t.surface == word for t, word in zip(tail, entry.expected, strict=False))


def _adjacent(first: _Mention, second: _Mention, words: list[str]) -> bool:
    gap = words[first.end : second.start]
    return len(gap) == 0 or (len(gap) == 1 and gap[0] in _LINK_WORDS)


def _suppressed(index: int, mentions: list[_Mention], words: list[str]) -> bool:
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
    return bool(after and _adjacent(mention, after, words) and OTHER_PROVINCE in after.kinds)


def _spanning(match: PlaceMatch, first: _Mention, second: _Mention, text: str) -> PlaceMatch:
    start, end = first.span[0], second.span[1]
    surface = text[start:end]
    reason = match.reason.replace(f'"{match.surface}"', f'"{surface}"', 1)
    return replace(match, surface=surface, span=(start, end), reason=reason)


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer, built on first use (about a tenth of a second)."""
    return Gazetteer()


def resolve_place(text: str | NormalizedText) -> PlaceMatch | None:
    """Shortcut for `get_gazetteer().resolve(text)`."""
    return get_gazetteer().resolve(text)
