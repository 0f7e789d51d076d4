"""Find the HCMC place a post is about: today's ward(s) and the former district named.

Pure Python, no Flask. Since 1 July 2025 HCMC has 168 wards, communes and one
special zone and no districts, but people still write "Q7", "quận Gò Vấp",
"P.12 Q.Gò Vấp" or "Thủ Đức". `Gazetteer.resolve` reads such mentions in free
text (with or without diacritics, in any Unicode form) and answers with the
current unit(s), the former district if one was named, a confidence and a
human-readable reason. A former district alone resolves to the set of wards it
became; a former ward with its district resolves to the ward it became.

Streets ("đường Huỳnh Tấn Phát", "QL1A", or a name of three syllables standing
alone) resolve to the former district(s) they run in, landmarks ("cầu Phú Mỹ",
"chợ Bến Thành") to theirs, and the former provinces Bình Dương and Bà Rịa -
Vũng Tàu named alone to all their units. `find_outside` reads the places a post
names outside the city (other provinces, Hà Nội, other countries, traps such as
"quận Cam"), and `names_city_place` says whether it names one inside.

The indexes (`places.index`, `places.outside_index`) are built once from the package data and the
files in `data/`; a resolve is one normalisation plus a dict lookup per token.

Usage::

    match = get_gazetteer().resolve("Ngập nặng ở P.12 Q.Gò Vấp")
    match.wards, match.former_district, match.confidence, match.reason
    find_outside("cháy nhà ở Cầu Giấy, Hà Nội").reason  # 'about Hà Nội, outside the city'
"""

from dataclasses import replace
from functools import lru_cache

from app.triage.places.index import (
    CITY,
    CURRENT,
    DISTRICT,
    FORMER_PROVINCE,
    FORMER_WARD,
    LANDMARK,
    LANDMARK_KINDS,
    OTHER_PROVINCE,
    STREET,
    Entry,
    FormerProvince,
    Index,
    Landmark,
    Street,
)
from app.triage.places.matches import (
    PlaceMatch,
    bare_doubts,
    one_unit,
    spanning,
    spread_match,
    unit_match,
)
from app.triage.places.mentions import (
    Mention,
    adjacent,
    exact_words,
    followed_by_province,
    names_a_landmark,
    not_a_name,
    right_before,
    scan_mentions,
    suppressed,
    typed_before,
)
from app.triage.places.outside import OUTSIDE_MIN_CONFIDENCE, OutsidePlace, find_outside_places
from app.triage.places.outside_index import HANOI, PROVINCE, OutsideIndex
from app.triage.textnorm import NormalizedText, normalize
from app.units.hcmc import (
    CurrentUnit,
    FormerDistrict,
    FormerWard,
    former_districts,
    load_hcmc_units,
)

_WARD_BONUS = 0.1  # when ranking, a ward beats a district of similar confidence
_CONSISTENT_BONUS = 0.3  # ... and a ward inside a district the post also names beats it
_BARE_FORMER_WARD_CONFIDENCE = 0.6
_ALSO_FACTOR = 0.85  # other, unrelated places named in the same post
_ELSEWHERE_FACTOR = 0.75  # another province named and HCMC not
#: When ranking, what a place that covers many units gives up to a named ward or district.
_RANK_PENALTY = {"street": 0.25, "landmark": 0.1, "province": 0.1}
_STREET_CONFIDENCE = 0.75  # a street in one former district
_BARE_STREET_CONFIDENCE = 0.72  # ... named without "đường"
_SHARED_STREET_CONFIDENCE = 0.5  # a street name found in several former districts
#: A long street name alone after these is what a school or a firm is named after.
_NAMED_AFTER = frozenset(
    {"truong", "tieu hoc", "co so", "pho thong", "mam non", "dai hoc", "cong ty", "shop"}
)
#: The city's name after these is a journey's end or start, not the place of the news:
#: "xe khách từ TP.HCM đi Đà Lạt", "chạy hướng về TP HCM".
_REFERENCE_WORDS = frozenset({"từ", "hướng về", "về hướng"})
#: "Hồ Chí Minh" after these is the man or a thing named after him, not the city.
_NOT_THE_CITY_AFTER = frozenset({"tich", "bac", "tuong", "lang", "mon", "san", "nghia"})


class Gazetteer:
    """Resolve place mentions in free text to HCMC's current units."""

    def __init__(self, index: Index | None = None) -> None:
        self._index = index or Index().build()
        self._outside = OutsideIndex(self._index).build()
        self._units: dict[str, CurrentUnit] = {u.code: u for u in load_hcmc_units()}
        self._districts: dict[str, FormerDistrict] = {d.code: d for d in former_districts()}
        # The pipeline asks resolve, names_city_place and find_outside about each post.
        self._scan_text = lru_cache(maxsize=256)(self._scan_uncached)

    # -- public ---------------------------------------------------------------

    def resolve(self, text: str | NormalizedText) -> PlaceMatch | None:
        """The most specific, most confident HCMC place in `text`, or None."""
        norm, mentions = self._scan(text)
        matches = self._matches(norm, mentions)
        if not matches:
            return None
        districts = [set(m.ward_codes) for m in matches if m.level == "district"]

        def rank(match: PlaceMatch) -> float:
            if not one_unit(match):
                return match.confidence - _RANK_PENALTY.get(match.level, 0)
            inside = any(set(match.ward_codes) <= codes for codes in districts)
            return match.confidence + _WARD_BONUS + (_CONSISTENT_BONUS if inside else 0)

        return self._in_context(max(matches, key=rank), matches, mentions)

    def find_all(self, text: str | NormalizedText) -> list[PlaceMatch]:
        """Every HCMC place mentioned in `text`, in reading order."""
        return self._matches(*self._scan(text))

    def names_city_place(
        self, text: str | NormalizedText, min_confidence: float = 0.0, streets: bool = True
    ) -> bool:
        """Whether `text` names a place in the city: the city itself ("TP.HCM", "Sài Gòn";
        not "Chủ tịch Hồ Chí Minh"), or any place `find_all` finds with at least
        `min_confidence` (streets only with `streets`: many streets of the city have
        namesakes in other cities)."""
        norm, mentions = self._scan(text)
        words = [t.folded for t in norm.tokens]
        for mention in mentions:
            # "Chủ tịch Hồ Chí Minh" is the president; "Chủ tịch TP HCM" the city's chairman.
            if (
                CITY in mention.kinds
                and not (
                    mention.start
                    and words[mention.start - 1] in _NOT_THE_CITY_AFTER
                    and words[mention.start] == "ho"
                )
                and not typed_before(norm.tokens, mention.start, _REFERENCE_WORDS)
            ):
                return True
        # A former province that is now the city (Bình Dương) names the city whatever the
        # confidence of the place it gives.
        return any(
            (match.confidence >= min_confidence or match.level == "province")
            and (streets or match.level != "street")
            for match in self._matches(norm, mentions)
        )

    def find_outside_all(
        self, text: str | NormalizedText, min_confidence: float = OUTSIDE_MIN_CONFIDENCE
    ) -> list[OutsidePlace]:
        """Every place outside the city that `text` names, in reading order.

        Names that are also places, streets or landmarks of the city count only with
        their level word or context ("tỉnh Hậu Giang", "ở Mỹ"); a name inside a
        longer name of the city ("xa lộ Hà Nội", "Điện Biên Phủ") or after a word
        that makes it something else ("đường Hà Nội", "bún bò Huế", "quê Thanh
        Hóa", "hàng Trung Quốc") does not count.
        """
        norm, mentions = self._scan(text)
        return find_outside_places(self._outside, norm, mentions, min_confidence)

    def find_outside(self, text: str | NormalizedText) -> OutsidePlace | None:
        """The most confident place outside the city that `text` names (the first of
        equals), or None. See `find_outside_all`."""
        found = self.find_outside_all(text)
        return max(found, key=lambda place: place.confidence) if found else None

    # -- scanning -------------------------------------------------------------

    def _scan(self, text: str | NormalizedText) -> tuple[NormalizedText, list[Mention]]:
        if isinstance(text, NormalizedText):
            return text, scan_mentions(self._index, text)
        return self._scan_text(text)

    def _scan_uncached(self, text: str) -> tuple[NormalizedText, list[Mention]]:
        norm = normalize(text)
        return norm, scan_mentions(self._index, norm)

    def _matches(self, norm: NormalizedText, mentions: list[Mention]) -> list[PlaceMatch]:
        words = [t.folded for t in norm.tokens]
        # Other provinces' districts and cities, which a namesake of ours may sit right
        # before: "xã Phước Hiệp, H. Tuy Phước" is in Bình Định, not Củ Chi.
        elsewhere_at = [
            place.span[0]
            for place in find_outside_places(self._outside, norm, mentions)
            if place.kind in (PROVINCE, HANOI)
        ]
        matches: list[PlaceMatch] = []
        used: set[int] = set()
        for index in range(len(mentions) - 1):
            first, second = mentions[index], mentions[index + 1]
            if index in used or first.marked or not adjacent(first, second, words):
                continue
            if names_a_landmark(first, words) or names_a_landmark(second, words):
                continue  # "chợ Tân Phú thuộc phường Tân Phú (quận 9)": the market's name
            pair = self._ward_in_district(first, second) or self._ward_in_district(second, first)
            if pair:
                matches.append(spanning(pair, first, second, norm.text))
                used |= {index, index + 1}
        for index, mention in enumerate(mentions):
            if index in used:
                continue
            if any(right_before(mention, start, norm.text) for start in elsewhere_at):
                continue
            elsewhere = followed_by_province(index, mentions, words)
            # A landmark beats the unit of the same name ("cầu Phú Mỹ" is not Phường Phú Mỹ),
            # and so does a street written as one ("đường Tân Sơn Nhì").
            match = None if elsewhere else self._landmark(mention) or self._street(mention)
            if match is None and not suppressed(index, mentions, words):
                match = (
                    self._single(mention)
                    or self._former_province(mention)
                    or self._street(mention, norm, bare=True)
                )
            if match:
                matches.append(match)
        matches.sort(key=lambda m: m.span)
        return matches

    # -- interpretation -------------------------------------------------------

    def _ward_in_district(self, ward: Mention, district: Mention) -> PlaceMatch | None:
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
                    return unit_match(unit, (d.name, d.code), 0.95, reason, ward)
        return None

    def _former_ward_match(
        self, entry: Entry, mention: Mention, district: FormerDistrict | None, confidence: float
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
        return unit_match(
            unit, (ward.district_name, ward.district_code), confidence, reason, mention
        )

    def _single(self, mention: Mention) -> PlaceMatch | None:
        """A mention on its own, without a neighbour to pair with."""
        current = mention.of(CURRENT)
        prefixed_current = [e for e in current if e.prefixed]
        if prefixed_current:
            unit: CurrentUnit = prefixed_current[0].target
            confidence, reason = 0.92, f'matched "{mention.surface}" as {unit.name}'
            score = exact_words(prefixed_current[0], mention.tokens)
            tied = [
                e.target.name
                for e in prefixed_current[1:]
                if e.target is not unit and exact_words(e, mention.tokens) == score
            ]
            if tied:  # "xa thanh an": Xã Thanh An or Xã Thạnh An?
                confidence, reason = 0.6, f"{reason} (or {', '.join(tied)}: same letters)"
            return unit_match(unit, None, confidence, reason, mention)
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
                confidence, reason = bare_doubts(mention, confidence, reason)
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
            confidence, reason = bare_doubts(mention, 0.68, reason)
            return unit_match(unit, None, confidence, reason, mention)
        return self._bare_former_ward(mention)

    def _bare_former_ward(self, mention: Mention) -> PlaceMatch | None:
        """A former ward's name without its level word, only where it reads as a place:
        after "tại", "ở" or "khu", capitalised with its diacritics, one ward of that name in
        the city and no province of it ("đất công tại Phước Kiển"); with low confidence."""
        former = [e for e in mention.of(FORMER_WARD) if not e.prefixed]
        if (
            not former
            or not mention.locative
            or not all(word[:1].isupper() for word in mention.surface.split())
            or mention.surface.isascii()
            or len(mention.tokens) < 2
            or OTHER_PROVINCE in mention.kinds
            or len({e.target.default_ward_code for e in former}) != 1
        ):
            return None
        return self._former_ward_match(former[0], mention, None, _BARE_FORMER_WARD_CONFIDENCE)

    def _landmark(self, mention: Mention) -> PlaceMatch | None:
        """A landmark: its ward where known, else the units of its former district(s)."""
        entries = mention.of(LANDMARK)
        if not entries or (mention.lowercase and mention.tokens[0].folded not in LANDMARK_KINDS):
            return None
        landmark: Landmark = entries[0].target
        districts = [self._districts[code] for code in landmark.district_codes]
        reason = f'landmark "{landmark.name}" ({landmark.type.replace("_", " ")}) in ' + ", ".join(
            d.name for d in districts
        )
        if landmark.ward_code:
            unit = self._units[landmark.ward_code]
            wards, confidence = ((unit.code, unit.name),), 0.85
            reason += f", now {unit.name}"
        else:
            wards = self._wards_of(districts)
            confidence = 0.8 if len(districts) == 1 else 0.7
        return spread_match(wards, districts, confidence, reason, "landmark", mention)

    def _street(
        self, mention: Mention, norm: NormalizedText | None = None, *, bare: bool = False
    ) -> PlaceMatch | None:
        """A street: the units of the former district(s) its name is found in. Written as
        a street ("đường X", "QL1A", "số 12 X"), or with `bare` a long name alone."""
        entries = mention.of(STREET)
        if not bare:
            entries = [e for e in entries if e.prefixed or mention.marked]
        elif entries and norm is not None and self._names_someone(mention, norm):
            return None  # "anh Nguyễn Văn Bảo" is a man, "trường THCS Chu Văn An" a school
        if not entries:
            return None
        street: Street = entries[0].target
        codes = sorted({code for e in entries for code in e.target.district_codes})
        districts = [self._districts[code] for code in codes]
        if len(districts) == 1:
            confidence = _BARE_STREET_CONFIDENCE if bare else _STREET_CONFIDENCE
            reason = f'street "{street.name}" lies in {districts[0].name}'
        else:
            confidence = _SHARED_STREET_CONFIDENCE
            names = ", ".join(d.name for d in districts)
            reason = f'street "{street.name}" is in several former districts: {names}'
        if bare:
            confidence, reason = bare_doubts(mention, confidence, reason)
        wards = self._wards_of(districts)
        return spread_match(wards, districts, confidence, reason, "street", mention)

    def _names_someone(self, mention: Mention, norm: NormalizedText) -> bool:
        """Whether a street's name standing alone is a person's (or a school's) name: after
        a title or "trường", before another capitalised name word, or before "SN 1990"."""
        words = [t.folded for t in norm.tokens]
        start, end = mention.start, mention.end
        before = {" ".join(words[max(0, start - n) : start]) for n in (1, 2) if start >= n}
        if before & (self._outside.person_words_folded | _NAMED_AFTER):
            return True
        return end < len(words) and (words[end] in ("sn", "sinh") or not not_a_name(norm, end))

    def _former_province(self, mention: Mention) -> PlaceMatch | None:
        """Bình Dương or Bà Rịa - Vũng Tàu named alone: every unit it became."""
        entries = mention.of(FORMER_PROVINCE)
        if not entries:
            return None
        entry = max(entries, key=lambda e: (e.prefixed, e.quality))
        province: FormerProvince = entry.target
        districts = [self._districts[code] for code in province.district_codes]
        wards = self._wards_of(districts)
        reason = (
            f'matched "{mention.surface}" as former {province.name}, part of the city since '
            f"2025, now in {len(wards)} current units"
        )
        confidence = entry.quality
        if not entry.prefixed:
            confidence, reason = bare_doubts(mention, confidence, reason)
        match = spread_match(wards, districts, confidence, reason, "province", mention)
        return replace(match, former_district=None)

    def _wards_of(self, districts: list[FormerDistrict]) -> tuple[tuple[str, str], ...]:
        codes = sorted({code for d in districts for code in d.current_ward_codes})
        return tuple((code, self._units[code].name) for code in codes)

    def _in_context(
        self, best: PlaceMatch, matches: list[PlaceMatch], mentions: list[Mention]
    ) -> PlaceMatch:
        """Adjust the chosen match for what else the post names."""
        confidence, reason, former = best.confidence, best.reason, best.former_district
        codes = set(best.ward_codes)
        others = []
        for match in matches:
            if match is best:
                continue
            if one_unit(best) and match.level == "district" and codes <= set(match.ward_codes):
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


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer, built on first use (about a fifth of a second)."""
    return Gazetteer()


def resolve_place(text: str | NormalizedText) -> PlaceMatch | None:
    """Shortcut for `get_gazetteer().resolve(text)`."""
    return get_gazetteer().resolve(text)


def names_city_place(
    text: str | NormalizedText, min_confidence: float = 0.0, streets: bool = True
) -> bool:
    """Shortcut for `get_gazetteer().names_city_place(text, min_confidence, streets)`."""
    return get_gazetteer().names_city_place(text, min_confidence, streets)


def find_outside(text: str | NormalizedText) -> OutsidePlace | None:
    """Shortcut for `get_gazetteer().find_outside(text)`."""
    return get_gazetteer().find_outside(text)


def find_outside_all(text: str | NormalizedText) -> list[OutsidePlace]:
    """Shortcut for `get_gazetteer().find_outside_all(text)`."""
    return get_gazetteer().find_outside_all(text)
