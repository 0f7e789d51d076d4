"""HCMC's administrative units, read from the `vietnamadminunits` package data.

Pure Python (no Flask): the package ships the 2025 list of wards, communes and
the special zone, the pre-2025 (63-province) list with its districts, and the
old-to-new mapping. Nothing here is typed in by hand, and nothing is fetched.
"""

import json
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import vietnamadminunits

DATA_DIR = Path(vietnamadminunits.__file__).parent / "data"
HCMC_PROVINCE_KEY = "thanhphohochiminh"
HCMC_PROVINCE_CODE = "79"
#: The former provinces merged into HCMC on 1 July 2025.
FORMER_PROVINCE_KEYS = ("thanhphohochiminh", "tinhbinhduong", "tinhbariavungtau")

_WARD_TYPES = {"Phường": "ward", "Xã": "commune", "Đặc khu": "special_zone"}
_WARD_TYPES_EN = {"ward": "Ward", "commune": "Commune", "special_zone": "Special Zone"}


@dataclass(frozen=True)
class FormerDistrictData:
    code: str
    name: str
    province: str
    key: str
    keywords: tuple[str, ...] = ()


@dataclass
class CurrentUnitData:
    code: str
    name: str
    short_name: str
    kind: str
    key: str
    latitude: float | None
    longitude: float | None
    area_km2: float | None
    former_district_codes: set[str] = field(default_factory=set)

    @property
    def name_en(self) -> str:
        return f"{self.short_name} {_WARD_TYPES_EN[self.kind]}"


def _query(sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    with sqlite3.connect(f"file:{DATA_DIR / 'dataset.db'}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


@lru_cache(maxsize=1)
def former_districts() -> dict[str, FormerDistrictData]:
    """The districts of the three former provinces, keyed by "provincekey_districtkey"."""
    marks = ",".join("?" for _ in FORMER_PROVINCE_KEYS)
    rows = _query(
        "SELECT DISTINCT province, provinceKey, district, districtCode, districtKey, "
        f"districtKeywords FROM admin_units_legacy WHERE provinceKey IN ({marks}) "
        "ORDER BY districtCode",
        FORMER_PROVINCE_KEYS,
    )
    return {
        f"{row['provinceKey']}_{row['districtKey']}": FormerDistrictData(
            code=row["districtCode"],
            name=row["district"],
            province=row["province"],
            key=row["districtKey"],
            keywords=tuple(json.loads(row["districtKeywords"] or "[]")),
        )
        for row in rows
    }


@lru_cache(maxsize=1)
def _converter() -> dict:
    with open(DATA_DIR / "converter_2025.json", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def current_units() -> list[CurrentUnitData]:
    """HCMC's wards, communes and special zone since 1 July 2025, with their former districts."""
    rows = _query(
        "SELECT ward, wardShort, wardType, wardCode, wardKey, wardLat, wardLon, wardAreaKm2 "
        "FROM admin_units WHERE provinceKey = ? ORDER BY wardCode",
        (HCMC_PROVINCE_KEY,),
    )
    units = {
        row["wardKey"]: CurrentUnitData(
            code=row["wardCode"],
            name=row["ward"],
            short_name=row["wardShort"],
            kind=_WARD_TYPES[row["wardType"]],
            key=row["wardKey"],
            latitude=row["wardLat"],
            longitude=row["wardLon"],
            area_km2=row["wardAreaKm2"],
        )
        for row in rows
    }
    districts = former_districts()
    converter = _converter()

    def district_code(old_key: str) -> str | None:
        province_key, district_key = old_key.split("_")[:2]
        district = districts.get(f"{province_key}_{district_key}")
        return district.code if district else None

    for new_key, old_keys in converter["DICT_PROVINCE_WARD_NO_DIVIDED"][HCMC_PROVINCE_KEY].items():
        for old_key in old_keys:
            if new_key in units and (code := district_code(old_key)):
                units[new_key].former_district_codes.add(code)
    for old_key, parts in converter["DICT_PROVINCE_WARD_DIVIDED"][HCMC_PROVINCE_KEY].items():
        code = district_code(old_key)
        for part in parts:
            if code and part["newWardKey"] in units:
                units[part["newWardKey"]].former_district_codes.add(code)
    return list(units.values())
