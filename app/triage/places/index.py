"""The city's phrase index behind `places.gazetteer.Gazetteer`: every way people write
HCMC's places (`outside_index` holds the places outside it).

Each phrase is a space-joined run of folded tokens ("quan go vap"), as
`textnorm.normalize` produces them, and maps to the `Entry`s it may mean. The
administrative names come from `app.units.hcmc`; what is written here is only *how*
Vietnamese names a level ("phường", "P.", "Q", "District", "TP"), never which
places exist. Streets come from `data/streets.json` (built by
scripts/build_streets.py), landmarks from `data/landmarks.json` and the places
outside the city that the package does not list from `data/outside_places.json`.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.triage.syllables import split_syllables
from app.triage.textnorm import clean, fold, normalize
from app.units.hcmc import (
    CurrentUnit,
    FormerDistrict,
    FormerWard,
    former_districts,
    former_wards,
    load_hcmc_units,
    other_province_names,
)

CURRENT, FORMER_WARD, DISTRICT, OTHER_PROVINCE, LEVEL, CITY = (
    "current", "former_ward", "district", "other_province", "level", "city",
)  # fmt: skip
STREET, LANDMARK, FORMER_PROVINCE = "street", "landmark", "former_province"
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# Level words as people write them, after textnorm expanded "P." / "Q." / "TP".
_UNIT_PREFIXES = {"ward": ("phuong", "p"), "commune": ("xa", "x"), "special_zone": ("dac khu",)}
_UNIT_SUFFIXES = {"ward": ("ward",), "commune": ("commune",), "special_zone": ("special zone",)}
_DISTRICT_PREFIXES = {
    "Quận": ("quan", "q"), "Huyện": ("huyen", "h"), "Thành phố": ("thanh pho", "tp"),
    "Thị xã": ("thi xa", "tx"),
}  # fmt: skip
_NUMBERED_DISTRICT = ("quan {n}", "quan{n}", "district {n}", "dist {n}", "d{n}")
_FORMER_WARD_PREFIXES = {
    "Phường": ("phuong", "p", "f"),
    "Xã": ("xa", "x"),
    "Thị trấn": ("thi tran", "tt"),
}
_NUMBERED_WARD = ("phuong {n}", "phuong{n}", "p {n}", "f{n}", "f {n}", "ward {n}")
# How the package's run-together alias keys start ("thixabencat", "phuong13"); one-letter
# prefixes only count before a number, else "phuochiep" would read as "p" + "huochiep".
_ALIAS_PREFIXES = (
    ("thanhpho", "thanh pho"), ("thixa", "thi xa"), ("thitran", "thi tran"), ("district", "district"),
    ("phuong", "phuong"), ("huyen", "huyen"), ("quan", "quan"), ("ward", "ward"), ("tx", "tx"),
    ("xa", "xa"), ("p", "p"), ("f", "f"), ("q", "q"),
)  # fmt: skip
_LABELS = {
    "thanh pho": "Thành phố", "thi xa": "Thị xã", "thi tran": "Thị trấn", "phuong": "Phường",
    "huyen": "Huyện", "quan": "Quận", "xa": "Xã", "tx": "Thị xã", "q": "Quận", "p": "Phường",
    "f": "Phường", "ward": "Phường", "district": "Quận",
}  # fmt: skip
_ALIAS_LEVEL_OF = {
    "thi xa": "Thị xã",
    "tx": "Thị xã",
    "huyen": "Huyện",
    "quan": "Quận",
    "q": "Quận",
}
_LEVEL_WORDS = (
    "quận",
    "huyện",
    "phường",
    "xã",
    "tỉnh",
    "thị xã",
    "thị trấn",
    "thành phố",
    "đặc khu",
)
_CITY_NAMES = ("hồ chí minh", "sài gòn", "thành phố hồ chí minh", "saigon", "sài thành")
#: The words that start a road's own name, and the short form people write before its
#: number ("QL1A", "TL10"): such a name needs no "đường" before it.
_ROAD_WORDS = {
    "quoc lo": "ql", "tinh lo": "tl", "huong lo": "hl", "huyen lo": None, "xa lo": None,
    "dai lo": None, "lien tinh lo": None, "duong tinh": "dt", "dt": None,
}  # fmt: skip
#: Other ways of writing the kind word a landmark's name starts with.
_LANDMARK_VARIANTS = {
    "nga tu": ("nga 4",), "nga sau": ("nga 6",), "nga bay": ("nga 7",), "nga ba": ("nga 3",),
    "vong xoay": ("vong xuyen", "bung binh"), "ben xe": ("bx",), "nut giao": ("nut giao thong",),
    "san bay": ("phi truong", "cang hang khong"), "cau": ("cay cau",),
}  # fmt: skip
#: The kind words that make a landmark's name safe wherever it stands (and not capitalised).
LANDMARK_KINDS = frozenset(
    {"cau", "cho", "san", "ben", "ga", "cang", "ham", "vong", "nga", "nut", "pho", "toa", "nha",
     "buu", "dinh", "khu", "cong", "ho", "benh", "bai", "tuong", "pha", "lang", "bung", "bx",
     "phi", "cay", "kcx"}
)  # fmt: skip
#: Street names of three syllables or more that are also common phrases.
_COMMON_STREET_PHRASES = frozenset({"ba thang hai", "ba muoi thang tu"})

#: Quận Thủ Đức was merged into TP Thủ Đức in 2021; the package lists Quận 2 and
#: Quận 9 as its aliases but not its own old name, which people still write.
#: Likewise the names the towns of the former provinces had before they became cities
#: (thị xã Thủ Dầu Một and Bà Rịa until 2012, huyện Bến Cát and Tân Uyên until 2013,
#: thị xã Phú Mỹ until 2025), which the package does not list either.
_EXTRA_DISTRICT_NAMES = {
    "769": (("Quận", "Thủ Đức"),),
    "718": (("Thị xã", "Thủ Dầu Một"),),
    "748": (("Thị xã", "Bà Rịa"),),
    "721": (("Huyện", "Bến Cát"),),
    "723": (("Huyện", "Tân Uyên"),),
    "754": (("Thị xã", "Phú Mỹ"),),
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One meaning of a phrase."""

    kind: str
    target: CurrentUnit | FormerWard | FormerDistrict | str | None
    prefixed: bool  # written with its level ("phường X", "Q7"): safe without context
    # The name's words with diacritics, when known. A bare name typed with diacritics
    # must carry these; after a level word they only rank "Thạnh An" above "Thanh An".
    expected: tuple[str, ...] | None
    quality: float  # base confidence of this way of writing it
    alias_of: str | None = None  # an older name this phrase is, for the reason string


@dataclass(frozen=True)
class Street:
    """A street of old HCMC and the former districts it runs in (a name may be shared by
    streets of several districts: the data does not tell one long street from namesakes)."""

    name: str  # "Huỳnh Tấn Phát"
    district_codes: tuple[str, ...]
    road: bool  # its name says it is a road ("Quốc lộ 1A", "Xa Lộ Hà Nội"): safe alone
    bare: bool  # safe without "đường": three syllables or more, no number, not a unit's name


@dataclass(frozen=True)
class Landmark:
    """A well-known bridge, market, intersection, station, building or park."""

    name: str  # "cầu Phú Mỹ"
    type: str  # "bridge", "market", "intersection", ...
    district_codes: tuple[str, ...]  # the former districts it lies in or joins
    ward_code: str | None  # the current unit, where it is certain


@dataclass(frozen=True)
class FormerProvince:
    """Bình Dương or Bà Rịa - Vũng Tàu, part of HCMC since 1 July 2025."""

    name: str  # "Tỉnh Bình Dương"
    short_name: str  # "Bình Dương"
    district_codes: tuple[str, ...]


@lru_cache(maxsize=4)
def load_data(name: str) -> dict:
    """One of the JSON files in `DATA_DIR`, read once."""
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def name_words(name: str) -> list[str]:
    """A name's folded words ("Gò Vấp" -> ["go", "vap"])."""
    return re.findall(r"[^\W_]+", fold(name))


def name_surface(name: str) -> tuple[str, ...]:
    """A name's words as written, lowercase with their diacritics."""
    return tuple(re.findall(r"[^\W_]+", clean(name).lower()))


def _number(text: str) -> str:
    """Digit tokens are compared without leading zeros ("Quận 07" is Quận 7)."""
    return (text.lstrip("0") or "0") if text.isdigit() else text


def name_phrase(name: str) -> str:
    """A name as the folded words `normalize` makes of it ("TP.HCM" -> "thanh pho ho chi minh")."""
    return " ".join(token.folded for token in normalize(name).tokens)


def phrase_key(words: list[str]) -> str:
    """The index key of a run of folded words."""
    return " ".join(_number(word) for word in words)


class Index:
    """Phrase -> entries, plus the phrase lengths worth trying after each first word."""

    def __init__(self) -> None:
        self.phrases: dict[str, list[Entry]] = {}
        self.lengths: dict[str, tuple[int, ...]] = {}
        self._lexicon: Counter[str] = Counter()
        self._surfaces: dict[str, set[tuple[str, ...]]] = {}

    def add(self, phrase: str, entry: Entry) -> None:
        """Register `entry` as a meaning of `phrase` (folded words)."""
        words = phrase.split()
        key = phrase_key(words)
        bucket = self.phrases.setdefault(key, [])
        # The first way a place was added (its own name) wins over later aliases.
        same_place = [e for e in bucket if e.kind == entry.kind and e.target is entry.target]
        if any(e.prefixed == entry.prefixed for e in same_place):
            return
        bucket.append(entry)
        first = _number(words[0])
        self.lengths[first] = tuple(
            sorted({*self.lengths.get(first, ()), len(words)}, reverse=True)
        )

    def build(self) -> "Index":
        """Fill the index from `app.units.hcmc`; returns self."""
        units, districts, wards = load_hcmc_units(), former_districts(), former_wards()
        for name in (
            [u.short_name for u in units]
            + [w.short_name for w in wards]
            + [d.short_name for d in districts]
        ):
            self._lexicon.update(name_words(name))
            self._surfaces.setdefault(" ".join(name_words(name)), set()).add(name_surface(name))
        for unit in units:
            self._add_unit(unit)
        for district in districts:
            self._add_district(district)
        for ward in wards:
            self._add_former_ward(ward)
        for name in other_province_names():
            entry = Entry(OTHER_PROVINCE, name, False, name_surface(name), 1.0)
            for prefix in ("", "tinh ", "thanh pho "):
                self.add(prefix + " ".join(name_words(name)), entry)
        for word in _LEVEL_WORDS:
            self.add(fold(word), Entry(LEVEL, word, False, name_surface(word), 1.0))
        for name in _CITY_NAMES:
            expected = name_surface(name) if name == "sài thành" else None  # not "sai thành"
            self.add(fold(name), Entry(CITY, name, False, expected, 1.0))
        self._add_former_provinces(districts)
        self._add_landmarks(districts)
        self._add_streets()
        # Places outside the city whose names contain one inside it ("Thái Bình Dương").
        for trap in load_data("outside_places.json")["traps"]:
            for name in trap["names"]:
                self.add(name_phrase(name), Entry(OTHER_PROVINCE, trap["name"], False, None, 1.0))
        return self

    def admin_phrases(self) -> set[str]:
        """Phrases that name a unit, a former ward or a former district of the city."""
        kinds = {CURRENT, FORMER_WARD, DISTRICT, FORMER_PROVINCE}
        return {
            key for key, entries in self.phrases.items() if any(e.kind in kinds for e in entries)
        }

    def _add_former_provinces(self, districts: list[FormerDistrict]) -> None:
        by_province: dict[str, list[FormerDistrict]] = {}
        for district in districts:
            if district.province_code != "79":
                by_province.setdefault(district.province, []).append(district)
        for name, members in by_province.items():
            short = name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
            province = FormerProvince(name, short, tuple(d.code for d in members))
            words = name_phrase(short)
            expected = name_surface(short)
            marked = Entry(FORMER_PROVINCE, province, True, expected, 0.65)
            for phrase in (f"tinh {words}", f"{words} province", f"province {words}"):
                self.add(phrase, marked)
            self.add(words, Entry(FORMER_PROVINCE, province, False, expected, 0.6))
            if "-" in short:  # "Bà Rịa - Vũng Tàu": "BR-VT", "BRVT"
                initials = ["".join(w[0] for w in name_words(part)) for part in short.split("-")]
                for phrase in (" ".join(initials), "".join(initials)):
                    self.add(phrase, Entry(FORMER_PROVINCE, province, True, None, 0.6))

    def _add_landmarks(self, districts: list[FormerDistrict]) -> None:
        known = {d.code for d in districts}
        for item in load_data("landmarks.json")["landmarks"]:
            if not set(item["districts"]) <= known:
                raise ValueError(f"landmark {item['name']!r} names an unknown district")
            landmark = Landmark(
                item["name"], item["type"], tuple(item["districts"]), item.get("ward")
            )
            for name in [item["name"], *item.get("aliases", ())]:
                words = name_phrase(name)
                # Diacritics are checked even after a kind word: "Cầu mong" is a prayer.
                entry = Entry(LANDMARK, landmark, False, name_surface(name), 0.85)
                self.add(words, entry)
                for start, variants in _LANDMARK_VARIANTS.items():
                    if words.startswith(start + " "):
                        for variant in variants:
                            variant_entry = Entry(LANDMARK, landmark, False, None, 0.85)
                            self.add(variant + words[len(start) :], variant_entry)

    def _add_streets(self) -> None:
        data = load_data("streets.json")
        admin = self.admin_phrases()
        streets: dict[str, Street] = {}
        for name, codes in data["streets"].items():
            words = " ".join(name_words(name))
            road = next((w for w in _ROAD_WORDS if words.startswith(w + " ")), None)
            bare = (
                road is None
                and len(words.split()) >= 3
                and not any(c.isdigit() for c in words)
                and words not in admin
                and words not in _COMMON_STREET_PHRASES
            )
            street = Street(name, tuple(codes), road is not None, bare)
            streets[name] = street
            # The build script cleaned the names already: only lowercase them.
            expected = tuple(re.findall(r"[^\W_]+", name.lower()))
            self.add(words, Entry(STREET, street, road is not None, expected, 0.75))
            short = _ROAD_WORDS.get(road or "")
            if short:  # "Quốc lộ 1A" -> "ql 1a", "ql1a"
                rest = words[len(road) + 1 :]
                entry = Entry(STREET, street, True, None, 0.75)
                self.add(f"{short} {rest}", entry)
                if " " not in rest:
                    self.add(f"{short}{rest}", entry)
        for alias, name in data["aliases"].items():
            street = streets[name]
            self.add(
                name_phrase(alias), Entry(STREET, street, street.road, name_surface(alias), 0.75)
            )

    def _add_unit(self, unit: CurrentUnit) -> None:
        name = " ".join(name_words(unit.short_name))
        prefixed = Entry(CURRENT, unit, True, name_surface(unit.short_name), 0.92)
        for prefix in _UNIT_PREFIXES[unit.type]:
            self.add(f"{prefix} {name}", prefixed)
        for suffix in _UNIT_SUFFIXES[unit.type]:
            self.add(f"{name} {suffix}", prefixed)
        self.add(name, Entry(CURRENT, unit, False, name_surface(unit.short_name), 0.6))

    def _add_district(self, district: FormerDistrict) -> None:
        number = re.fullmatch(r"\D*?(\d+)", district.short_name)
        if number:
            self._add_district_number(district, number.group(1), None)
        else:
            self._add_district_name(district, district.type_label, district.short_name, None)
        for level, name in _EXTRA_DISTRICT_NAMES.get(district.code, ()):
            self._add_district_name(district, level, name, f"{level} {name}")
        for alias in district.aliases:
            parsed = self._parse_alias(alias)
            if parsed is None:
                continue
            prefix, rest, label = parsed
            if rest.isdigit():
                self._add_district_number(district, rest, label)
            else:
                level = _ALIAS_LEVEL_OF.get(prefix or "", district.type_label)
                self._add_district_name(district, level, rest, label)

    def _add_district_number(
        self, district: FormerDistrict, number: str, alias_of: str | None
    ) -> None:
        for pattern in _NUMBERED_DISTRICT:
            quality = 0.9 if pattern.startswith("quan") else 0.85
            quality = round(quality * (0.9 if alias_of else 1.0), 3)
            self.add(
                pattern.format(n=number), Entry(DISTRICT, district, True, None, quality, alias_of)
            )

    def _add_district_name(
        self, district: FormerDistrict, level: str, name: str, alias_of: str | None
    ) -> None:
        words = " ".join(name_words(name))
        factor = 0.9 if alias_of else 1.0
        expected = self._expected(words, name)
        prefixed = Entry(DISTRICT, district, True, expected, round(0.9 * factor, 3), alias_of)
        for prefix in _DISTRICT_PREFIXES.get(level, ()):
            self.add(f"{prefix} {words}", prefixed)
        for english in (f"district {words}", f"{words} district", f"{words} city", f"{words} town"):
            self.add(english, prefixed)
        if expected is not None:
            bare = Entry(DISTRICT, district, False, expected, round(0.78 * factor, 3), alias_of)
            self.add(words, bare)

    def _add_former_ward(self, ward: FormerWard) -> None:
        number = re.fullmatch(r"\D*?(\d+)", ward.short_name)
        if number:
            self._add_ward_number(ward, number.group(1), None)
        else:
            self._add_ward_name(ward, ward.type_label, ward.short_name, None)
        for alias in ward.aliases:
            parsed = self._parse_alias(alias)
            if parsed is None:
                continue
            prefix, rest, label = parsed
            if rest.isdigit():
                self._add_ward_number(ward, rest, label)
            else:
                level = {"xa": "Xã", "thi tran": "Thị trấn", None: None}.get(prefix, "Phường")
                self._add_ward_name(ward, level, rest, label)

    def _add_ward_number(self, ward: FormerWard, number: str, alias_of: str | None) -> None:
        entry = Entry(FORMER_WARD, ward, True, None, 0.9, alias_of)
        for pattern in _NUMBERED_WARD:
            self.add(pattern.format(n=number), entry)

    def _add_ward_name(
        self, ward: FormerWard, level: str | None, name: str, alias_of: str | None
    ) -> None:
        words = " ".join(name_words(name))
        expected = self._expected(words, name)
        entry = Entry(FORMER_WARD, ward, True, expected, 0.9, alias_of)
        for prefix in _FORMER_WARD_PREFIXES.get(level or ward.type_label, ()):
            self.add(f"{prefix} {words}", entry)
        if expected is not None:
            self.add(words, Entry(FORMER_WARD, ward, False, expected, 0.9, alias_of))

    def _parse_alias(self, alias: str) -> tuple[str | None, str, str] | None:
        """Read a package alias key: (level words or None, the rest, a readable label).

        "thixabencat" -> ("thi xa", "ben cat", "Thị xã Bến Cát"); "p13" -> ("p", "13", "Phường 13").
        """
        candidates = [(key, words) for key, words in _ALIAS_PREFIXES if alias.startswith(key)]
        for key, words in [*candidates, ("", None)]:
            rest = alias[len(key) :]
            if not rest:
                continue
            if rest.isdigit():
                if words is None:
                    continue
                return words, str(int(rest)), f"{_LABELS.get(words, words.title())} {int(rest)}"
            syllables = None if len(key) == 1 else split_syllables(rest, self._lexicon)
            if syllables:
                joined = " ".join(syllables)
                surface = self._expected(joined, joined)
                name = " ".join(surface).title() if surface else joined.title()
                label = f"{_LABELS.get(words, words.title())} {name}" if words else name
                return words, joined, label
        return None

    def _expected(self, words: str, name: str) -> tuple[str, ...] | None:
        """The diacritics a bare mention of `name` must carry when it carries any.

        Known from the name itself, or borrowed from another place with the same
        letters (alias keys have none); None when unknown, and then the name is
        only matched with its level word: bare "dat do" could be "đắt đỏ" (dear).
        """
        if not name.isascii():
            return name_surface(name)
        surfaces = self._surfaces.get(words, set())
        return next(iter(surfaces)) if len(surfaces) == 1 else None
