"""Join drawn real texts with their labels into data/triage/real/ and data/triage/replay.jsonl.

    python scripts/import_labels.py DRAWN.jsonl [...] --labels LABELS.jsonl [...] [--merge]

DRAWN files come from `scripts/draw_real_texts.py` (text and provenance), LABELS
files hold one label line per drawn id (``relevant``, ``category``,
``sentiment``, ``priority``, ``district``, ``ward``, ``hard``), written by
people reading each text by ../shared/LABELING.md. The place a label names is
given its official code here, from `vietnamadminunits` (the same data the
gazetteer reads, but not the gazetteer's text matching): ``district`` becomes
the former district's code and ``ward`` today's ward, through the 2025
conversion table when the text names a ward as it was before.

Rows whose id starts with "replay-" go to data/triage/replay.jsonl (the feed the
replay test serves), the others to data/triage/real/<source>.jsonl.
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.text import fold  # noqa: E402
from app.units.hcmc import former_districts, former_wards, load_hcmc_units  # noqa: E402

#: Names people still use for districts that were merged before 2025.
DISTRICT_ALIASES = {"quan 2": "769", "quan 9": "769", "long dien": "753", "dat do": "753",
                    "tan thanh": "754"}  # fmt: skip
#: Wards merged away before the 2025 table (which has no row for them), by former district
#: code and bare folded name: Bình Khánh and Bình An of Quận 2 joined An Khánh in 2020 (without this
#: entry the name resolves to Xã Bình Khánh of Cần Giờ).
EARLIER_WARDS = {("769", "binh khanh"): "27094", ("769", "binh an"): "27094"}
#: How a text's writer calls each source's reach (see app.collectors.models.SCOPES).
SCOPE_OF_STYLE = {"press": "national"}


def district_codes() -> dict[str, str]:
    codes = {fold(d.short_name): d.code for d in former_districts()}
    codes.update({fold(d.name): d.code for d in former_districts()})
    return {**codes, **DISTRICT_ALIASES}


def _bare(name: str) -> str:
    """A ward's folded name without its level word ("Phường 12" -> "12")."""
    key = fold(name).strip()
    for level in ("phuong ", "xa ", "thi tran ", "dac khu "):
        key = key.removeprefix(level)
    return key.lstrip("0")


def ward_code(name: str, district: str | None) -> str | None:
    """Today's ward for a ward name as a text gives it (and the district, if given)."""
    key = _bare(name)
    if (district, key) in EARLIER_WARDS:
        return EARLIER_WARDS[(district, key)]
    current = [u for u in load_hcmc_units() if _bare(u.short_name) == key]
    former = [
        w for w in former_wards()
        if _bare(w.short_name) == key and (district is None or w.district_code == district)
    ]  # fmt: skip
    if key.isdigit() or (district and len(former) == 1):
        # With its district named, a ward is the one of that district (the text was written
        # before 2025), even if a ward of today has the same name elsewhere.
        return former[0].default_ward_code if len(former) == 1 else None
    if len(current) == 1:
        return current[0].code
    if len(former) == 1:
        return former[0].default_ward_code
    return None


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("drawn", nargs="+")
    parser.add_argument("--labels", nargs="+", required=True)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the rows already in the target files (an imported id replaces its row)",
    )
    args = parser.parse_args(argv)
    drawn = {}
    for path in args.drawn:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            drawn[record["id"]] = record
    districts = district_codes()
    outputs, unresolved = defaultdict(list), []
    for path in args.labels:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            label = json.loads(line)
            record = drawn[label["id"]]
            place = {}
            if label.get("district"):
                code = districts.get(fold(label["district"]))
                place.update(district=label["district"], district_code=code)
                if code is None:
                    unresolved.append((label["id"], label["district"]))
            if label.get("ward"):
                code = ward_code(label["ward"], place.get("district_code"))
                place.update(ward=label["ward"], ward_code=code)
                if code is None:
                    unresolved.append((label["id"], label["ward"]))
            row = {
                "id": record["id"],
                "text": record["text"],
                "relevant": label["relevant"],
                "category": label["category"] if label["relevant"] else None,
                "sentiment": label["sentiment"],
                "priority": label.get("priority") if label["relevant"] else None,
                "place": place or None,
                "style": record["style"],
                "scope": SCOPE_OF_STYLE.get(record["style"], "local"),
                "doc": record["doc"],
                "source": record["source"],
                "licence": record["licence"],
            }
            for key in ("url", "parent"):
                if record.get(key):
                    row[key] = record[key]
            if label.get("hard"):
                row["hard"] = label["hard"]
            name = "replay" if row["id"].startswith("replay-") else row["source"]["name"]
            outputs[name].append(row)
    (ROOT / "data/triage/real").mkdir(parents=True, exist_ok=True)
    for name, rows in sorted(outputs.items()):
        target = (
            ROOT / "data/triage" / ("replay.jsonl" if name == "replay" else f"real/{name}.jsonl")
        )
        if args.merge and target.is_file():
            new = {row["id"] for row in rows}
            lines = target.read_text(encoding="utf-8").splitlines()
            rows += [old for old in map(json.loads, lines) if old["id"] not in new]
        rows.sort(key=lambda row: row["id"])
        with target.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        relevant = sum(row["relevant"] for row in rows)
        print(f"{target.relative_to(ROOT)}: {len(rows)} rows, {relevant} relevant")
    for label_id, name in unresolved:
        print(f"unresolved place {name!r} in {label_id}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
