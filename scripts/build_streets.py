"""Build app/triage/data/streets.json: HCMC's streets and the former districts they run through.

    python scripts/build_streets.py [path/to/SG.json]

The source is `data/SG.json` of thien0291/vietnam_dataset (MIT licence), which
lists the streets of each district of old HCMC. Without a path the file is read
from the bare mirror of that repository at the pinned commit. District names are
joined to the district codes of `vietnamadminunits` (its legacy table); Quận 2,
Quận 9 and Quận Thủ Đức merged into Thành phố Thủ Đức in 2021, so their streets
go to its code. Names made only of codes and generic words ("10A", "2-3-4",
"Số 5", "Ấp 1A") are left out: every district has one, so they place nothing;
streets named after a date ("3/2") stay. `ALIASES` adds a few other spellings. Spellings that differ only in case
or spacing are merged. Run it again after changing the source or the rules; the
output is deterministic.
"""

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.triage.textnorm import clean, fold  # noqa: E402
from app.units.hcmc import HCMC_PROVINCE_KEY, former_districts  # noqa: E402

MIRROR = Path("/work/.mirror/thien0291+vietnam_dataset/repo")
REPOSITORY = "thien0291/vietnam_dataset"
COMMIT = "f1bb0d71e99015869768903ecef2b444ed9e3266"
SOURCE_PATH = "data/SG.json"
OUTPUT = ROOT / "app" / "triage" / "data" / "streets.json"
#: The districts that became Thành phố Thủ Đức in 2021, as the source still names them.
MERGED_INTO_THU_DUC = ("quan 2", "quan 9", "thu duc")
#: A word that is a code, not a name: "10A", "D1A", "2-3-4", "N31A", "A", "-".
_CODE = re.compile(r"[A-Za-z]{0,3}\d[\w\-/.]*|[A-Za-z]|\W+")
#: Words that only say what kind of way follows: "Số 5", "Ấp 1A", "Kênh T10" name nothing
#: a reader could place (every district has a "đường số 5").
_GENERIC = frozenset({"số", "ấp", "kênh", "liên", "đường", "hẻm", "khu", "lô", "dãy", "nhánh"})
#: Streets named after a date ("3/2", "30/4"): names, although they are digits.
_DATE = re.compile(r"(0?[1-9]|[12]\d|3[01])/(0?[1-9]|1[0-2])")
#: Other ways people write a few streets of the source, kept in the output's "aliases".
ALIASES = {
    "CMT8": "Cách Mạng Tháng Tám",
    "Cách Mạng Tháng 8": "Cách Mạng Tháng Tám",
    "Ba Tháng Hai": "3/2",
    "Ba Mươi Tháng Tư": "30/4",
    "Lê Văn Sĩ": "Lê Văn Sỹ",
    "XLHN": "Xa Lộ Hà Nội",
}


def read_source(path: str | None) -> dict:
    if path:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    shown = subprocess.run(
        ["git", "-C", str(MIRROR), "show", f"{COMMIT}:{SOURCE_PATH}"],
        check=True,
        capture_output=True,
    )
    return json.loads(shown.stdout.decode("utf-8"))


def district_codes() -> dict[str, str]:
    """Folded short name ("go vap", "quan 7") -> the package's code for old HCMC's districts."""
    hcmc = [d for d in former_districts() if d.province_code == "79"]
    codes = {fold(d.short_name): d.code for d in hcmc}
    thu_duc = next(d.code for d in hcmc if fold(d.short_name) == "thu duc")
    codes.update(dict.fromkeys(MERGED_INTO_THU_DUC, thu_duc))
    return codes


def street_name(raw: str) -> str | None:
    """The street's name, tidied, or None for a bare code."""
    name = " ".join(clean(raw).split())
    if _DATE.fullmatch(name):
        return name
    words = [w for w in name.split() if not _CODE.fullmatch(w) and w.lower() not in _GENERIC]
    return name if words else None


def build(source: dict) -> dict:
    codes = district_codes()
    spellings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    districts: dict[str, set[str]] = defaultdict(set)
    for district in source["district"]:
        key = fold(district["name"].strip())
        if key not in codes:
            raise SystemExit(f"unknown district in the source: {district['name']!r}")
        for raw in district["street"]:
            name = street_name(raw)
            if name is None:
                continue
            merged = name.casefold()
            spellings[merged][name] += 1
            districts[merged].add(codes[key])
    streets = {}
    for merged, names in spellings.items():
        # The spelling most districts use; ties go to the one with more capitals ("Quốc Lộ").
        name = max(names, key=lambda n: (names[n], sum(c.isupper() for c in n), n))
        streets[name] = sorted(districts[merged])
    missing = sorted(set(ALIASES.values()) - set(streets))
    if missing:
        raise SystemExit(f"aliases of streets the source does not have: {missing}")
    return {
        "source": {
            "repository": REPOSITORY,
            "commit": COMMIT,
            "path": SOURCE_PATH,
            "licence": "MIT",
            "copyright": "Copyright (c) 2019 Thien Tran",
            "province": HCMC_PROVINCE_KEY,
            "district_codes": "vietnamadminunits legacy district codes; Quận 2, Quận 9 and "
            "Quận Thủ Đức are Thành phố Thủ Đức's",
            "built_by": "scripts/build_streets.py",
        },
        "aliases": ALIASES,
        "streets": dict(sorted(streets.items(), key=lambda item: (fold(item[0]), item[0]))),
    }


def dumps(data: dict) -> str:
    """The JSON text, one street a line so that a rebuild diffs line by line."""
    source = json.dumps(data["source"], ensure_ascii=False, indent=2)
    streets = ",\n".join(
        f"  {json.dumps(name, ensure_ascii=False)}: {json.dumps(codes)}"
        for name, codes in data["streets"].items()
    )
    aliases = json.dumps(data["aliases"], ensure_ascii=False, indent=2)
    return f'{{"source": {source},\n"aliases": {aliases},\n"streets": {{\n{streets}\n}}}}\n'


def main() -> None:
    data = build(read_source(sys.argv[1] if len(sys.argv) > 1 else None))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as handle:
        handle.write(dumps(data))
    print(f"{len(data['streets'])} streets -> {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
