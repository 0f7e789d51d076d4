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

The indexes (`gazetteer_index`) are built once from the package data and the
files in `data/`; a resolve is one normalisation plus a dict lookup per token.

Usage::

    match = get_gazetteer().resolve("Ngập nặng ở P.12 Q.Gò Vấp")
    match.wards, match.former_district, match.confidence, match.reason
    find_outside("cháy nhà ở Cầu Giấy, Hà Nội").reason  # 'about Hà Nội, outside the city'
"""

from dataclasses import dataclass, field, replace
from functools import lru_cache

from app.triage.gazetteer_index import (
    CITY,
    CONTEXT,
    CURRENT,
    DISTRICT,
    FOREIGN,
    FORMER_PROVINCE,
    FORMER_WARD,
    LANDMARK,
    LANDMARK_KINDS,
    LEVEL,
    MARKED,
    NATION,
    OTHER_PROVINCE,
    STREET,
    TRAP,
    Entry,
    FormerProvince,
    Index,
    Landmark,
    OutsideEntry,
    OutsideIndex,
    Street,
    phrase_key,
)
from app.triage.textnorm import NormalizedText, Token, fold, normalize
from app.units.hcmc import (
    CurrentUnit,
    FormerDistrict,
    FormerWard,
    former_districts,
    load_hcmc_units,
)

#: Words that may sit between a ward and its district: "phường 12 thuộc quận Gò Vấp".
_LINK_WORDS = frozenset({"thuoc", "o", "tai"})
#: A bare name right after these names a landmark, not the district: "cầu Phú Mỹ" is a
#: bridge in Quận 7, not Thành phố Phú Mỹ; "chợ Bình Tây" is a market.
_LANDMARK_WORDS = frozenset({"cau", "cho", "duong", "hem", "cang", "ben"})
_WARD_BONUS = 0.1  # when ranking, a ward beats a district of similar confidence
_CONSISTENT_BONUS = 0.3  # ... and a ward inside a district the post also names beats it
#: Words after which a former ward's bare name is a place: "đất công tại Phước Kiển".
_LOCATIVE_WORDS = frozenset({"tại", "ở", "khu"})
_BARE_FORMER_WARD_CONFIDENCE = 0.6
_ASCII_BARE_FACTOR = 0.8  # a bare name typed without diacritics
_LOWERCASE_BARE_FACTOR = 0.75  # a bare name not capitalised in a post that capitalises
_ALSO_FACTOR = 0.85  # other, unrelated places named in the same post
_ELSEWHERE_FACTOR = 0.75  # another province named and HCMC not
#: When ranking, what a place that covers many units gives up to a named ward or district.
_RANK_PENALTY = {"street": 0.25, "landmark": 0.1, "province": 0.1}
_STREET_CONFIDENCE = 0.75  # a street in one former district
_BARE_STREET_CONFIDENCE = 0.72  # ... named without "đường"
_SHARED_STREET_CONFIDENCE = 0.5  # a street name found in several former districts
#: Words after which a street's name needs no "đường": "đại lộ Võ Văn Kiệt", "mặt tiền Lê Lợi"
#: (as typed: "tuyên dương" is not "đường").
_STREET_WORDS = frozenset({"đường", "đại lộ", "mặt tiền", "mặt đường"})
#: Words before a house number ("số 12 Nguyễn Huệ", "hẻm 285/4 Cách Mạng Tháng 8").
_ADDRESS_WORDS = frozenset({"số", "hẻm", "kiệt", "nhà", "số nhà", "địa chỉ", "ngách"})
#: A long street name alone after these is what a school or a firm is named after.
_NAMED_AFTER = frozenset(
    {"truong", "tieu hoc", "co so", "pho thong", "mam non", "dai hoc", "cong ty", "shop"}
)
#: "Hồ Chí Minh" after these is the man or a thing named after him, not the city.
_NOT_THE_CITY_AFTER = frozenset({"tich", "bac", "tuong", "lang", "mon", "san", "nghia"})
#: Outside places found with less confidence are not reported.
OUTSIDE_MIN_CONFIDENCE = 0.6
_OUTSIDE_ASCII_FACTOR = 0.85  # a Vietnamese name typed without diacritics


@dataclass(frozen=True)
class PlaceMatch:
    """Where a post is: current unit(s) and, if named, the former district."""

    wards: tuple[tuple[str, str], ...]  # (code, name) of current units
    former_district: tuple[str, str] | None  # (name, code), when the place is in one
    confidence: float  # 0..1
    reason: str  # 'matched "Q7" as Quận 7, ...'
    #: "ward": one current unit; "district": every unit a former district became;
    #: "street" / "landmark": the units of the former district(s) it lies in (one unit
    #: for a landmark whose ward is known); "province": every unit of former Bình
    #: Dương or Bà Rịa - Vũng Tàu
    level: str
    surface: str  # the words as written in the post
    span: tuple[int, int] = (0, 0)  # offsets of `surface` in the cleaned text
    #: Every former district it lies in, as (name, code): `former_district` alone when
    #: there is one, several for a street or landmark shared by districts.
    former_districts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.former_districts and self.former_district:
            object.__setattr__(self, "former_districts", (self.former_district,))

    @property
    def ward_codes(self) -> tuple[str, ...]:
        """The codes of `wards`."""
        return tuple(code for code, _ in self.wards)


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
    marked: bool = False  # "đường", "đại lộ" or a house number right before it
    locative: bool = False  # "tại", "ở" or "khu" right before it, typed with diacritics

    def of(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


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
            if not _one_unit(match):
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
            if CITY in mention.kinds and not (
                mention.start
                and words[mention.start - 1] in _NOT_THE_CITY_AFTER
                and words[mention.start] == "ho"
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
        tokens = norm.tokens
        words = [t.folded for t in tokens]
        phrases, lengths = self._outside.phrases, self._outside.lengths
        cased = norm.text != norm.text.lower() and norm.text != norm.text.upper()
        found = []
        i = 0
        while i < len(words):
            hit = None
            for size in lengths.get(words[i], ()):
                entries = i + size <= len(words) and phrases.get(" ".join(words[i : i + size]))
                fitting = entries and [
                    e for e in entries if self._outside_fits(e, norm, i, size, cased)
                ]
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

    def find_outside(self, text: str | NormalizedText) -> OutsidePlace | None:
        """The most confident place outside the city that `text` names (the first of
        equals), or None. See `find_outside_all`."""
        found = self.find_outside_all(text)
        return max(found, key=lambda place: place.confidence) if found else None

    # -- scanning -------------------------------------------------------------

    def _scan(self, text: str | NormalizedText) -> tuple[NormalizedText, list[_Mention]]:
        if isinstance(text, NormalizedText):
            return text, self._mentions(text)
        return self._scan_text(text)

    def _scan_uncached(self, text: str) -> tuple[NormalizedText, list[_Mention]]:
        norm = normalize(text)
        return norm, self._mentions(norm)

    def _mentions(self, norm: NormalizedText) -> list[_Mention]:
        tokens = norm.tokens
        words = [t.folded for t in tokens]
        keys = phrase_key(words).split(" ")  # the words as the index spells them ("07" -> "7")
        phrases, lengths = self._index.phrases, self._index.lengths
        found: list[_Mention] = []
        cased = norm.text != norm.text.lower() and norm.text != norm.text.upper()
        i = 0
        while i < len(words):
            hit = None
            marked = None
            for size in lengths.get(keys[i], ()):
                if i + size > len(words):
                    continue
                entries = phrases.get(" ".join(keys[i : i + size]))
                entries = entries and [e for e in entries if _written_as(e, tokens[i : i + size])]
                if entries and any(e.kind == STREET and not e.prefixed for e in entries):
                    # Most street names need "đường" (or a house number) before them.
                    marked = _street_marked(tokens, i) if marked is None else marked
                    entries = [
                        e
                        for e in entries
                        if e.kind != STREET or e.prefixed or marked or e.target.bare
                    ]
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
            mention.marked = bool(marked)
            mention.locative = i > 0 and tokens[i - 1].surface.lower() in _LOCATIVE_WORDS
            found.append(mention)
            i += size
        return found

    def _matches(self, norm: NormalizedText, mentions: list[_Mention]) -> list[PlaceMatch]:
        words = [t.folded for t in norm.tokens]
        matches: list[PlaceMatch] = []
        used: set[int] = set()
        for index in range(len(mentions) - 1):
            first, second = mentions[index], mentions[index + 1]
            if index in used or first.marked or not _adjacent(first, second, words):
                continue
            if _names_a_landmark(first, words) or _names_a_landmark(second, words):
                continue  # "chợ Tân Phú thuộc phường Tân Phú (quận 9)": the market's name
            pair = self._ward_in_district(first, second) or self._ward_in_district(second, first)
            if pair:
                matches.append(_spanning(pair, first, second, norm.text))
                used |= {index, index + 1}
        for index, mention in enumerate(mentions):
            if index in used:
                continue
            elsewhere = _followed_by_province(index, mentions, words)
            # A landmark beats the unit of the same name ("cầu Phú Mỹ" is not Phường Phú Mỹ),
            # and so does a street written as one ("đường Tân Sơn Nhì").
            match = None if elsewhere else self._landmark(mention) or self._street(mention)
            if match is None and not _suppressed(index, mentions, words):
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
        return self._bare_former_ward(mention)

    def _bare_former_ward(self, mention: _Mention) -> PlaceMatch | None:
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

    def _landmark(self, mention: _Mention) -> PlaceMatch | None:
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
        return self._spread_match(wards, districts, confidence, reason, "landmark", mention)

    def _street(
        self, mention: _Mention, norm: NormalizedText | None = None, *, bare: bool = False
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
            confidence, reason = _bare_doubts(mention, confidence, reason)
        wards = self._wards_of(districts)
        return self._spread_match(wards, districts, confidence, reason, "street", mention)

    def _names_someone(self, mention: _Mention, norm: NormalizedText) -> bool:
        """Whether a street's name standing alone is a person's (or a school's) name: after
        a title or "trường", before another capitalised name word, or before "SN 1990"."""
        words = [t.folded for t in norm.tokens]
        start, end = mention.start, mention.end
        before = {" ".join(words[max(0, start - n) : start]) for n in (1, 2) if start >= n}
        if before & (self._outside.person_words_folded | _NAMED_AFTER):
            return True
        return end < len(words) and (words[end] in ("sn", "sinh") or not _not_a_name(norm, end))

    def _former_province(self, mention: _Mention) -> PlaceMatch | None:
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
            confidence, reason = _bare_doubts(mention, confidence, reason)
        match = self._spread_match(wards, districts, confidence, reason, "province", mention)
        return replace(match, former_district=None)

    def _wards_of(self, districts: list[FormerDistrict]) -> tuple[tuple[str, str], ...]:
        codes = sorted({code for d in districts for code in d.current_ward_codes})
        return tuple((code, self._units[code].name) for code in codes)

    @staticmethod
    def _spread_match(
        wards: tuple[tuple[str, str], ...],
        districts: list[FormerDistrict],
        confidence: float,
        reason: str,
        level: str,
        mention: _Mention,
    ) -> PlaceMatch:
        refs = tuple((d.name, d.code) for d in districts)
        return PlaceMatch(
            wards,
            refs[0] if len(refs) == 1 else None,
            round(confidence, 3),
            reason,
            level,
            mention.surface,
            mention.span,
            refs,
        )

    def _outside_fits(
        self, entry: OutsideEntry, norm: NormalizedText, i: int, size: int, cased: bool
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
        outside = self._outside
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
            return bool(before & near) and _not_a_name(norm, i + size)
        if stripped:
            # "ngap o Can Tho": a name typed without diacritics needs "ở", "tại"...
            return bool(before & outside.context_words["place"])
        return True

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
            if _one_unit(best) and match.level == "district" and codes <= set(match.ward_codes):
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


def _one_unit(match: PlaceMatch) -> bool:
    """A match on one current unit: a ward, or a landmark whose ward is known."""
    return match.level in ("ward", "landmark") and len(match.wards) == 1


def _street_marked(tokens: tuple[Token, ...], i: int) -> bool:
    """Whether the words before `i` say a street's name follows: "đường", "đại lộ", or a
    house number after "số"/"hẻm" ("hẻm 285/4 Cách Mạng Tháng 8")."""
    if _typed_as(tokens, i, _STREET_WORDS):
        return True
    j = i
    while j > 0 and i - j < 3 and any(c.isdigit() for c in tokens[j - 1].folded):
        j -= 1
    return j < i and _typed_as(tokens, j, _ADDRESS_WORDS)


def _typed_as(tokens: tuple[Token, ...], i: int, words: frozenset[str]) -> bool:
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


def _not_a_name(norm: NormalizedText, end: int) -> bool:
    """False when a capitalised word follows, as in a person's name ("Mỹ Linh", "Nga Phương")."""
    if end >= len(norm.tokens):
        return True
    token = norm.tokens[end]
    gap = norm.text[norm.tokens[end - 1].end : token.start]
    return not (norm.text[token.start].isupper() and not any(c in gap for c in ".!?,;:\n"))


def _followed_by_province(index: int, mentions: list[_Mention], words: list[str]) -> bool:
    """Whether another province follows, right after or after one more place: "đường Lê
    Lợi, Đà Nẵng", "85 Vũ Trọng Phụng, Thanh Xuân, Hà Nội"."""
    current = mentions[index]
    for after in mentions[index + 1 : index + 3]:
        if not _adjacent(current, after, words):
            return False
        if OTHER_PROVINCE in after.kinds:
            return True
        current = after
    return False


def _within_city_name(mentions: list[_Mention], start: int, end: int) -> bool:
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


def _names_a_landmark(mention: _Mention, words: list[str]) -> bool:
    """A name without its level word right after "chợ", "cầu", …: a market or a bridge."""
    return (
        mention.start > 0
        and words[mention.start - 1] in _LANDMARK_WORDS
        and not any(entry.prefixed for entry in mention.entries)
    )


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
