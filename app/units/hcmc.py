"""HCMC's administrative units, read from the data files of `vietnamadminunits`: the one
loader of that data. `units load-hcmc` fills the units table from it; triage's gazetteer
builds its index from it.

Pure Python, no Flask. The package ships (in its `data/` folder):

* `dataset.db`, table `admin_units`: the 34-province list in force since
  1 July 2025; new HCMC has 168 units (113 phường, 54 xã, 1 đặc khu).
* table `admin_units_legacy`: the 63-province list with districts, covering
  old HCMC, Bình Dương and Bà Rịa - Vũng Tàu, which together became new HCMC.
* `converter_2025.json`: which old wards became which new ones; wards split
  between several new ones list each part and mark the default.

The files are read directly: the package's own converter geocodes over the
internet, and nothing here may go online. Nothing is typed in by hand.
"""

import importlib.util
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HCMC_PROVINCE_KEY = "thanhphohochiminh"
#: The former provinces merged into HCMC on 1 July 2025, as the package keys them.
FORMER_PROVINCE_KEYS = ("thanhphohochiminh", "tinhbinhduong", "tinhbariavungtau")

UNIT_TYPES = {"Phường": "ward", "Xã": "commune", "Đặc khu": "special_zone"}
#: A current unit's type, as its English name ends ("Tân Thuận Ward").
UNIT_TYPES_EN = {"ward": "Ward", "commune": "Commune", "special_zone": "Special Zone"}
DISTRICT_TYPES = {
    "Quận": "urban_district", "Huyện": "rural_district", "Thành phố": "city", "Thị xã": "town",
}  # fmt: skip


@dataclass(frozen=True)
class DistrictRef:
    """A former district as a current unit refers to it."""

    code: str
    name: str


@dataclass(frozen=True)
class CurrentUnit:
    """A ward, commune or special zone of HCMC since 1 July 2025."""

    code: str  # official code, e.g. "27478"
    name: str  # "Phường Tân Thuận"
    short_name: str  # "Tân Thuận"
    type: str  # "ward" | "commune" | "special_zone"
    type_label: str  # "Phường" | "Xã" | "Đặc khu"
    key: str  # the package's key, e.g. "phuongtanthuan"
    lat: float | None
    lon: float | None
    area_km2: float | None
    former_districts: tuple[DistrictRef, ...]  # every district it took territory from
    former_ward_codes: tuple[str, ...]  # every former ward it took territory from

    @property
    def name_en(self) -> str:
        """ "Tân Thuận Ward", "Cần Giờ Commune", "Côn Đảo Special Zone"."""
        return f"{self.short_name} {UNIT_TYPES_EN[self.type]}"


@dataclass(frozen=True)
class FormerDistrict:
    """A district (quận, huyện, thành phố, thị xã) of the three former provinces."""

    code: str  # "778"
    name: str  # "Quận 7"
    short_name: str  # "Quận 7" for numbered districts, else "Gò Vấp"
    type: str  # "urban_district" | "rural_district" | "city" | "town"
    type_label: str  # "Quận"
    province: str  # "Thành phố Hồ Chí Minh"
    province_code: str  # "79"
    key: str  # the package's key, e.g. "quan7"
    aliases: tuple[str, ...]  # the package's alias keys, e.g. ("quan2", "q2", ...) for Thủ Đức
    lat: float | None
    lon: float | None
    current_ward_codes: tuple[str, ...]  # the current units its territory became


@dataclass(frozen=True)
class FormerWard:
    """A ward, commune or township as it was just before 1 July 2025."""

    code: str
    name: str  # "Phường 12", "Phường Tân Thuận Đông", "Thị trấn Củ Chi"
    short_name: str
    type_label: str  # "Phường" | "Xã" | "Thị trấn"
    district_code: str
    district_name: str
    province: str
    aliases: tuple[str, ...]  # the package's alias keys (older names), e.g. ("phuong13", ...)
    current_ward_codes: tuple[str, ...]  # every current unit that got part of it
    default_ward_code: str  # the one it maps to when nothing else is known
    divided: bool  # split between several current units


def data_dir() -> Path:
    """The package's data folder, found without importing the package (its
    import pulls in the online converter)."""
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the vietnamadminunits package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _query(sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    uri = (data_dir() / "dataset.db").as_uri() + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True)
    try:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def _keys(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


@dataclass(frozen=True)
class _Data:
    units: tuple[CurrentUnit, ...]
    districts: tuple[FormerDistrict, ...]
    wards: tuple[FormerWard, ...]


@lru_cache(maxsize=1)
def _load() -> _Data:
    marks = ",".join("?" for _ in FORMER_PROVINCE_KEYS)
    legacy = _query(
        f"SELECT * FROM admin_units_legacy WHERE provinceKey IN ({marks})", FORMER_PROVINCE_KEYS
    )
    current = _query(
        "SELECT * FROM admin_units WHERE provinceKey = ? ORDER BY wardCode", (HCMC_PROVINCE_KEY,)
    )
    with open(data_dir() / "converter_2025.json", encoding="utf-8") as handle:
        converter = json.load(handle)
    current_by_key = {row["wardKey"]: row for row in current}

    # old "province_district_ward" key -> [(new key, is default)]
    old_to_new: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for new_key, old_keys in converter["DICT_PROVINCE_WARD_NO_DIVIDED"][HCMC_PROVINCE_KEY].items():
        for old_key in old_keys:
            old_to_new[old_key].append((new_key, True))
    for old_key, parts in converter["DICT_PROVINCE_WARD_DIVIDED"][HCMC_PROVINCE_KEY].items():
        for part in parts:
            old_to_new[old_key].append((part["newWardKey"], bool(part["isDefaultNewWard"])))

    district_rows = {}
    district_wards: dict[str, set[str]] = defaultdict(set)
    unit_districts: dict[str, set[str]] = defaultdict(set)
    unit_old_wards: dict[str, set[str]] = defaultdict(set)
    wards = []
    for row in legacy:
        district_rows.setdefault(row["districtCode"], row)
        old_key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}"
        parts = old_to_new.get(old_key, [])
        new_codes = sorted({current_by_key[key]["wardCode"] for key, _ in parts})
        for code in new_codes:
            district_wards[row["districtCode"]].add(code)
            unit_districts[code].add(row["districtCode"])
            if row["wardCode"]:
                unit_old_wards[code].add(row["wardCode"])
        if not row["wardCode"] or not parts:
            continue  # an island district with no wards (Côn Đảo) maps as a whole
        default_key = next((key for key, is_default in parts if is_default), parts[0][0])
        wards.append(
            FormerWard(
                code=row["wardCode"],
                name=row["ward"],
                short_name=row["wardShort"],
                type_label=row["wardType"] or "",
                district_code=row["districtCode"],
                district_name=row["district"],
                province=row["province"],
                aliases=_keys(row["wardAlias"]),
                current_ward_codes=tuple(new_codes),
                default_ward_code=current_by_key[default_key]["wardCode"],
                divided=len(new_codes) > 1,
            )
        )

    districts = tuple(
        FormerDistrict(
            code=code,
            name=row["district"],
            short_name=row["districtShort"],
            type=DISTRICT_TYPES.get(row["districtType"], "district"),
            type_label=row["districtType"],
            province=row["province"],
            province_code=row["provinceCode"],
            key=row["districtKey"],
            aliases=_keys(row["districtAlias"]),
            lat=row["districtLat"],
            lon=row["districtLon"],
            current_ward_codes=tuple(sorted(district_wards[code])),
        )
        for code, row in sorted(district_rows.items())
    )
    district_names = {d.code: d.name for d in districts}
    units = tuple(
        CurrentUnit(
            code=row["wardCode"],
            name=row["ward"],
            short_name=row["wardShort"],
            type=UNIT_TYPES[row["wardType"]],
            type_label=row["wardType"],
            key=row["wardKey"],
            lat=row["wardLat"],
            lon=row["wardLon"],
            area_km2=row["wardAreaKm2"],
            former_districts=tuple(
                DistrictRef(code, district_names[code])
                for code in sorted(unit_districts[row["wardCode"]])
            ),
            former_ward_codes=tuple(sorted(unit_old_wards[row["wardCode"]])),
        )
        for row in current
    )
    return _Data(units, districts, tuple(sorted(wards, key=lambda w: w.code)))


def load_hcmc_units() -> list[CurrentUnit]:
    """HCMC's 168 current wards, communes and special zone, by code, each with the
    former districts and wards it was formed from."""
    return list(_load().units)


def former_districts() -> list[FormerDistrict]:
    """The districts of old HCMC, Bình Dương and Bà Rịa - Vũng Tàu, by code, each with
    the current units its territory became."""
    return list(_load().districts)


def former_wards() -> list[FormerWard]:
    """The wards, communes and townships of the three former provinces just before
    1 July 2025, by code, each with the current unit(s) it became."""
    return list(_load().wards)


@lru_cache(maxsize=1)
def other_province_names() -> tuple[str, ...]:
    """Short names of provinces outside new HCMC, before and after 2025 ("Hà Nội",
    "Đồng Nai", ...), plus their short aliases; used to reject places elsewhere."""
    marks = ",".join("?" for _ in FORMER_PROVINCE_KEYS)
    names: set[str] = set()
    for table in ("admin_units", "admin_units_legacy"):
        rows = _query(
            f"SELECT DISTINCT provinceShort, provinceAlias FROM {table} "
            f"WHERE provinceKey NOT IN ({marks})",
            FORMER_PROVINCE_KEYS,
        )
        for row in rows:
            names.add(row["provinceShort"])
            # Short aliases such as "hn"; long ones are run-together names we already have.
            names.update(alias for alias in _keys(row["provinceAlias"]) if len(alias) <= 3)
    return tuple(sorted(names))


@dataclass(frozen=True)
class OtherDistrict:
    """A district of a province outside new HCMC, as it was before 1 July 2025."""

    name: str  # "Huyện Long Thành"
    short_name: str  # "Long Thành"
    type_label: str  # "Quận" | "Huyện" | "Thị xã" | "Thành phố"
    province_short: str  # "Đồng Nai"


@lru_cache(maxsize=1)
def other_provinces() -> tuple[tuple[str, str], ...]:
    """(name, short name) of every province outside new HCMC, today's and the 63 of
    before 2025: ("Thành phố Hà Nội", "Hà Nội"), ("Tỉnh Long An", "Long An"), ..."""
    marks = ",".join("?" for _ in FORMER_PROVINCE_KEYS)
    found: dict[str, str] = {}
    for table in ("admin_units", "admin_units_legacy"):
        rows = _query(
            f"SELECT DISTINCT province, provinceShort FROM {table} "
            f"WHERE provinceKey NOT IN ({marks}) ORDER BY provinceCode",
            FORMER_PROVINCE_KEYS,
        )
        for row in rows:
            found.setdefault(row["provinceShort"], row["province"])
    return tuple((name, short) for short, name in found.items())


@lru_cache(maxsize=1)
def other_districts() -> tuple[OtherDistrict, ...]:
    """The districts of the provinces outside new HCMC before 2025, by code."""
    marks = ",".join("?" for _ in FORMER_PROVINCE_KEYS)
    rows = _query(
        "SELECT DISTINCT districtCode, district, districtShort, districtType, provinceShort "
        f"FROM admin_units_legacy WHERE provinceKey NOT IN ({marks}) ORDER BY districtCode",
        FORMER_PROVINCE_KEYS,
    )
    return tuple(
        OtherDistrict(
            row["district"], row["districtShort"], row["districtType"], row["provinceShort"]
        )
        for row in rows
    )


def province_units(province_short: str) -> list[tuple[str, str, str]]:
    """(name, short name, type label) of the current wards and communes of a province
    outside HCMC, e.g. Hà Nội's ("Phường Cầu Giấy", "Cầu Giấy", "Phường")."""
    rows = _query(
        "SELECT ward, wardShort, wardType FROM admin_units WHERE provinceShort = ? "
        "ORDER BY wardCode",
        (province_short,),
    )
    return [(row["ward"], row["wardShort"], row["wardType"]) for row in rows]
