"""Split the labelled triage posts into train/dev/test (about 70/15/15), reproducibly.

    python scripts/split_dataset.py

Reads data/triage/raw/*.jsonl, gives each example a stable id, and writes
data/triage/{train,dev,test}.jsonl. The split depends only on the text, so
adding examples later does not move existing ones between splits.
"""

import hashlib
import json
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "triage"
SPLITS = (("train", 0.70), ("dev", 0.85), ("test", 1.0))


def _bucket(text: str) -> float:
    digest = hashlib.sha256(text.strip().lower().encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF


def main() -> None:
    examples, seen = [], set()
    for path in sorted((DATA / "raw").glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            record = json.loads(line)
            key = record["text"].strip().lower()
            if key in seen:
                continue
            seen.add(key)
            record["id"] = f"{path.stem}-{number:04d}"
            examples.append(record)
    outputs = {name: [] for name, _ in SPLITS}
    for record in examples:
        bucket = _bucket(record["text"])
        name = next(name for name, upper in SPLITS if bucket <= upper)
        outputs[name].append(record)
    for name, records in outputs.items():
        with open(DATA / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        counts = Counter(r["category"] or "irrelevant" for r in records)
        print(f"{name}: {len(records)} examples, {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
