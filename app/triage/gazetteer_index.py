"""The phrase index behind `gazetteer.Gazetteer`: every way people write HCMC's places.

Each phrase is a space-joined run of folded tokens ("quan go vap"), as
`textnorm.normalize` produces them, and maps to the `Entry`s it may mean. All
names come from `places_data`; what is written here is only *how* Vietnamese
names a level ("phường", "P.", "Q", "District", "TP"), never which places exist.
"""

import re
from collections import Counter
from dataclasses import dataclass

from app.triage.places_data import (
    CurrentUnit,
    FormerDistrict,
    FormerWard,
    former_districts,
    former_wards,
    load_hcmc_units,
    other_province_names,
)
from app.triage.syllables import split_syllables
from app.triage.textnorm import clean, fold

CURRENT, FORMER_WARD, DISTRICT, OTHER_PROVINCE, LEVEL, CITY = (
    "current", "former_ward", "district", "other_province", "level", "city",
)  # fmt: skip

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
_CITY_NAMES = ("hồ chí minh", "sài gòn", "thành phố hồ chí minh")
#: Quận Thủ Đức was merged into TP Thủ Đức in 2021; the package lists Quận 2 and
#: Quận 9 as its aliases but not its own old name, which people still write.
_EXTRA_DISTRICT_NAMES = {"769": ("quận thủ đức",)}


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


def _words(name: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(name))


def _surface(name: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[^\W_]+", clean(name).lower()))


def _number(text: str) -> str:
    """Digit tokens are compared without leading zeros ("Quận 07" is Quận 7)."""
    return (text.lstrip("0") or "0") if text.isdigit() else text


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
        """Fill the index from `places_data`; returns self."""
        units, districts, wards = load_hcmc_units(), former_districts(), former_wards()
        for name in (
            [u.short_name for u in units]
            + [w.short_name for w in wards]
            + [d.short_name for d in districts]
        ):
            self._lexicon.update(_words(name))
            self._surfaces.setdefault(" ".join(_words(name)), set()).add(_surface(name))
        for unit in units:
            self._add_unit(unit)
        for district in districts:
            self._add_district(district)
        for ward in wards:
            self._add_former_ward(ward)
        for name in other_province_names():
            entry = Entry(OTHER_PROVINCE, name, False, _surface(name), 1.0)
            for prefix in ("", "tinh ", "thanh pho "):
                self.add(prefix + " ".join(_words(name)), entry)
        for word in _LEVEL_WORDS:
            self.add(fold(word), Entry(LEVEL, word, False, _surface(word), 1.0))
        for name in _CITY_NAMES:
            self.add(fold(name), Entry(CITY, name, False, None, 1.0))
        return self

    def _add_unit(self, unit: CurrentUnit) -> None:
        name = " ".join(_words(unit.short_name))
        prefixed = Entry(CURRENT, unit, True, _surface(unit.short_name), 0.92)
        for prefix in _UNIT_PREFIXES[unit.type]:
            self.add(f"{prefix} {name}", prefixed)
        for suffix in _UNIT_SUFFIXES[unit.type]:
            self.add(f"{name} {suffix}", prefixed)
        self.add(name, Entry(CURRENT, unit, False, _surface(unit.short_name), 0.6))

    def _add_district(self, district: FormerDistrict) -> None:
        number = re.fullmatch(r"\D*?(\d+)", district.short_name)
        if number:
            self._add_district_number(district, number.group(1), None)
        else:
            self._add_district_name(district, district.type_label, district.short_name, None)
        for alias in _EXTRA_DISTRICT_NAMES.get(district.code, ()):
            level, _, rest = alias.partition(" ")
            self._add_district_name(district, level.title(), rest, alias.title())
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
        words = " ".join(_words(name))
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
        words = " ".join(_words(name))
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
            return _surface(name)
        surfaces = self._surfaces.get(words, set())
        return next(iter(surfaces)) if len(surfaces) == 1 else None
