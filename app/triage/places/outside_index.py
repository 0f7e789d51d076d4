"""The phrase index of the places outside HCMC: the other provinces before and after
2025 and their districts (from `app.units.hcmc`), Hà Nội's wards, and the curated places,
countries, cities and traps of `data/outside_places.json`.
"""

import re
from dataclasses import dataclass

from app.triage.places.index import (
    CITY,
    CURRENT,
    DISTRICT,
    FORMER_PROVINCE,
    FORMER_WARD,
    LANDMARK,
    STREET,
    Index,
    load_data,
    name_phrase,
    name_surface,
    name_words,
)
from app.triage.textnorm import clean, fold
from app.units.hcmc import former_districts, other_districts, other_provinces, province_units

PROVINCE, HANOI, FOREIGN, TRAP = "province", "hanoi", "foreign", "trap"
#: What a mention of an outside place needs around it to count.
MARKED, BARE, CONTEXT, NATION = "marked", "bare", "context", "nation"
_DISTRICT_LEVELS = {
    "Quận": ("quan",), "Huyện": ("huyen",), "Thị xã": ("thi xa",), "Thành phố": ("thanh pho",),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class OutsideEntry:
    """One meaning of a phrase that names a place outside the city."""

    name: str  # what to call it: "Hà Nội", "Quận Cầu Giấy, Hà Nội", "Mỹ"
    region: str  # the province, country or sea it is in: "Hà Nội", "Mỹ"
    kind: str  # PROVINCE | HANOI | FOREIGN | TRAP
    rule: str  # MARKED: its level word says it; BARE: a name alone; CONTEXT/NATION: needs a word before
    expected: tuple[str, ...]  # its words as written, lowercase with diacritics
    capitals: tuple[bool, ...]  # which of them a post that uses capitals must capitalise
    acronym: bool  # "HN", "USA": typed in capitals only
    quality: float


def _both_forms(words: list[str]) -> frozenset[str]:
    surfaces = {" ".join(clean(word).lower().split()) for word in words}
    return frozenset(surfaces | {fold(word) for word in surfaces})


def _capitals(name: str) -> tuple[bool, ...]:
    return tuple(word[:1].isupper() for word in re.findall(r"[^\W_]+", clean(name)))


class OutsideIndex:
    """Phrase -> the places outside HCMC it may name: the other provinces before and after
    2025 and their districts (from the package), Hà Nội's wards, and the curated places,
    countries, cities and traps of `data/outside_places.json`.

    A name that is also a place, street or landmark of the city, or that the data marks
    as a common word, is only indexed with its level word ("tỉnh Hậu Giang", "quận
    Thanh Xuân"): a wrong "outside" dismisses a real problem of the city.
    """

    def __init__(self, city: Index) -> None:
        self.phrases: dict[str, list[OutsideEntry]] = {}
        self.lengths: dict[str, tuple[int, ...]] = {}
        data = load_data("outside_places.json")
        self._data = data
        self._city = self._city_phrases(city)
        self._city_districts = {" ".join(name_words(d.short_name)) for d in former_districts()}
        self._needs_marker = {" ".join(name_words(name)) for name in data["needs_marker"]}
        self._street_ok = {" ".join(name_words(name)) for name in data["bare_despite_street"]}
        self._single_ok = {" ".join(name_words(name)) for name in data["bare_single_syllable"]}
        #: Word lists, each word as typed with its diacritics and as typed without.
        self.context_words = {
            "place": _both_forms(data["context_words"]["place"]),
            "nation": _both_forms(data["context_words"]["nation"]),
        }
        self.context_words["any"] = self.context_words["place"] | self.context_words["nation"]
        self.context_words["titles"] = _both_forms(data["context_words"]["titles"])
        self.blocking_words = _both_forms(data["blocking_words"])
        self.person_words = _both_forms(data["person_words"])
        self.person_words_folded = frozenset(fold(word) for word in data["person_words"])

    def build(self) -> "OutsideIndex":
        """Fill the index; returns self."""
        self._add_provinces()
        self._add_districts()
        self._add_hanoi_wards()
        data = self._data
        for area in data["hanoi_areas"]:
            name = area if "Hà Nội" in area else f"{area}, Hà Nội"
            self._add(area, name, "Hà Nội", HANOI, BARE, 0.8)
        for place in data["places"]:
            for name in place["names"]:
                self._add(name, place["name"], place["region"], PROVINCE, BARE, 0.85)
        for country in data["foreign"]:
            nation_only = country.get("nation_only", False)
            for name in country["names"]:
                self._add(name, country["name"], country["name"], FOREIGN, BARE, 0.9)
            for name in country.get("context_names", ()):
                rule = NATION if nation_only else CONTEXT
                self._add(name, country["name"], country["name"], FOREIGN, rule, 0.85)
        for trap in data["traps"]:
            # A trap in Vietnam ("ngã tư Vũng Tàu", in Đồng Nai) is "outside the city".
            kind = PROVINCE if trap.get("in_vietnam") else TRAP
            for name in trap["names"]:
                self._add(name, trap["name"], trap["region"], kind, BARE, 0.9, check=False)
        return self

    # -- sources --------------------------------------------------------------

    def _add_provinces(self) -> None:
        for full, short in other_provinces():
            kind = HANOI if short == "Hà Nội" else PROVINCE
            level = "thanh pho" if full.startswith("Thành phố") else "tinh"
            words = " ".join(name_words(short))
            for phrase in (f"{level} {words}", f"{words} province", f"{words} city"):
                self._add(phrase, short, short, kind, MARKED, 0.95, check=False, text=short)
            quality = 0.9 if level == "thanh pho" else 0.85
            self._add(short, short, short, kind, BARE, quality)
            for alias in self._data["province_aliases"].get(short, ()):
                self._add(alias, short, short, kind, BARE, quality)

    def _add_districts(self) -> None:
        """The districts of the other provinces before 2025: with their level word, and
        the cities (and Hà Nội's districts) also alone."""
        for district in other_districts():
            short, province = district.short_name, district.province_short
            words = " ".join(name_words(short))
            if not words or words in self._city_districts:
                continue  # "huyện Tân Phú" (Đồng Nai) reads as the city's Tân Phú
            kind = HANOI if province == "Hà Nội" else PROVINCE
            name = f"{district.name}, {province}"
            for prefix in _DISTRICT_LEVELS.get(district.type_label, ()):
                if f"{prefix} {words}" not in self._city:
                    self._add(f"{prefix} {words}", name, province, kind, MARKED, 0.9, text=short)
            if kind == HANOI or district.type_label == "Thành phố":
                self._add(short, name, province, kind, BARE, 0.8)

    def _add_hanoi_wards(self) -> None:
        for full, short, level in province_units("Hà Nội"):
            words = " ".join(name_words(short))
            prefix = {"Phường": "phuong", "Xã": "xa"}.get(level)
            if prefix and words and f"{prefix} {words}" not in self._city:
                name = f"{full}, Hà Nội"
                self._add(f"{prefix} {words}", name, "Hà Nội", HANOI, MARKED, 0.85, text=short)

    # -- adding ---------------------------------------------------------------

    @staticmethod
    def _city_phrases(city: Index) -> dict[str, set[str]]:
        """Phrase -> the kinds of the city's places it names (units, streets, landmarks)."""
        kinds = {CURRENT, FORMER_WARD, DISTRICT, FORMER_PROVINCE, STREET, LANDMARK, CITY}
        found: dict[str, set[str]] = {}
        for key, entries in city.phrases.items():
            named = {e.kind for e in entries if e.kind in kinds}
            if named:
                found[key] = named
        return found

    def _add(
        self,
        written: str,
        name: str,
        region: str,
        kind: str,
        rule: str,
        quality: float,
        *,
        check: bool = True,
        text: str | None = None,
    ) -> None:
        """Index `written` (a name as posts write it, or already folded words with `text`
        giving the name's own letters) unless, alone, it could be a place of the city."""
        phrase = written if text is not None else name_phrase(written)
        if not phrase:
            return
        surface = text if text is not None else written
        acronym = surface.isascii() and surface.isupper() and len(surface) <= 5
        if check and rule != MARKED and not acronym:
            city_kinds = self._city.get(phrase, set())
            if city_kinds - {STREET} or (STREET in city_kinds and phrase not in self._street_ok):
                return
            if phrase in self._needs_marker:
                return
            single = " " not in phrase and rule == BARE and phrase not in self._single_ok
            if single and (kind in (PROVINCE, HANOI) or not written.isascii()):
                return  # one Vietnamese syllable alone is a word before it is a place
        # The name's own words: the tail of a phrase with its level word ("tỉnh Hà Nam").
        expected = name_surface(surface)
        capitals = _capitals(surface) if text is None else ()
        entry = OutsideEntry(name, region, kind, rule, expected, capitals, acronym, quality)
        bucket = self.phrases.setdefault(phrase, [])
        if any(e.name == name and e.rule == rule for e in bucket):
            return
        bucket.append(entry)
        first = phrase.split()[0]
        self.lengths[first] = tuple(
            sorted({*self.lengths.get(first, ()), len(phrase.split())}, reverse=True)
        )
