"""Apply the second labelling pass to data/triage/real/ (DATASHEET, revision 5).

    python scripts/apply_label_review.py [--check]

``data/triage/review/second_labels.jsonl`` holds a second, blind label (relevant,
category) for every real text of the dev and test splits and for the training
texts where a cross-validated TF-IDF model disagreed with the first label. Where
the two labels disagree, a third reader saw both (in random order, unnamed) and
decided by LABELING.md: ``data/triage/review/adjudicated.jsonl``.

For each adjudicated row that differs from the row's label, the row takes the
adjudicated relevance and category, keeps the earlier label under ``relabelled``
with the reason, and gets a priority when it became relevant (P3, the most common)
or loses it when it did not. Rows where the two passes agree are left alone.
Running it again changes nothing. ``--check`` only reports what would change.

Then run ``python scripts/split_dataset.py`` to rewrite train/dev/test.
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "triage" / "real"
REVIEW = ROOT / "data" / "triage" / "review"
DEFAULT_PRIORITY = "P3"
REVIEWED_BY = "blind second label, adjudicated by a third reader (2026-12-07)"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def label_of(row: dict) -> tuple[bool, str | None]:
    return bool(row["relevant"]), row["category"] if row["relevant"] else None


def relabel(row: dict, decision: dict) -> bool:
    """Give `row` the adjudicated label; False when it already has it."""
    new = label_of(decision)
    if label_of(row) == new:
        return False
    row.setdefault(
        "relabelled", {"from": dict(zip(("relevant", "category"), label_of(row), strict=True))}
    )
    row["relabelled"].update({"by": REVIEWED_BY, "why": decision.get("why") or ""})
    row["relevant"], row["category"] = new
    if label_of(row["relabelled"]["from"]) == new:  # back to the first pass's label
        del row["relabelled"]
    if not new[0]:
        row["priority"] = None
    elif not row.get("priority"):
        row["priority"] = DEFAULT_PRIORITY
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, write nothing")
    args = parser.parse_args(argv)
    second = {row["id"]: row for row in read_jsonl(REVIEW / "second_labels.jsonl")}
    decided = {row["id"]: row for row in read_jsonl(REVIEW / "adjudicated.jsonl")}
    changes: Counter = Counter()
    seen = set()
    for path in sorted(REAL.glob("*.jsonl")):
        rows = read_jsonl(path)
        changed = 0
        for row in rows:
            if row["id"] not in second:
                continue
            seen.add(row["id"])
            first = row.get("relabelled", {}).get("from") or row  # the first pass's label
            agree = label_of(first) == label_of(second[row["id"]])
            if agree:
                changes["second label agrees"] += 1
                continue
            if row["id"] not in decided:
                print(f"{row['id']}: the passes disagree and nobody adjudicated", file=sys.stderr)
                return 1
            before = label_of(row)
            if relabel(row, decided[row["id"]]):
                changed += 1
                kind = "relevance" if before[0] != row["relevant"] else "category"
                changes[f"{kind} changed"] += 1
            else:
                changes["adjudicated label in place"] += 1
        if changed and not args.check:
            text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {changed} rows relabelled")
    missing = set(second) - seen
    if missing:
        print(f"{len(missing)} reviewed ids are not in {REAL}", file=sys.stderr)
        return 1
    for what, count in sorted(changes.items()):
        print(f"  {what}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
