"""Split the labelled triage posts into train/dev/test (about 70/15/15), reproducibly.

    python scripts/split_dataset.py

Reads data/triage/raw/*.jsonl (in name order), gives each example a stable id
(``<file stem>-<line number>``), drops repeated texts (compared
case-insensitively, after trimming; the first one is kept), and writes
data/triage/{train,dev,test}.jsonl. The split depends only on the text, so
adding examples later, or relabelling one, does not move existing ones between
splits.
"""

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "triage"
SPLITS = (("train", 0.70), ("dev", 0.85), ("test", 1.0))


def text_key(text: str) -> str:
    """What makes two posts the same text: trimmed and lowercased."""
    return text.strip().lower()


def bucket(text: str) -> float:
    """A number in [0, 1] fixed by the text alone: which split the post goes to."""
    digest = hashlib.sha256(text_key(text).encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF


def split_name(text: str) -> str:
    """``train``, ``dev`` or ``test`` for this text."""
    value = bucket(text)
    return next(name for name, upper in SPLITS if value <= upper)


def read_raw(raw_dir: Path) -> list[dict]:
    """Every labelled post under `raw_dir`, with its id, repeated texts dropped."""
    examples, seen = [], set()
    for path in sorted(Path(raw_dir).glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            record = json.loads(line)
            key = text_key(record["text"])
            if key in seen:
                continue
            seen.add(key)
            record["id"] = f"{path.stem}-{number:04d}"
            examples.append(record)
    return examples


def split(raw_dir: Path, out_dir: Path) -> dict[str, list[dict]]:
    """Write ``out_dir/{train,dev,test}.jsonl`` from `raw_dir`; return the records per split."""
    outputs: dict[str, list[dict]] = {name: [] for name, _ in SPLITS}
    for record in read_raw(raw_dir):
        outputs[split_name(record["text"])].append(record)
    for name, records in outputs.items():
        with open(Path(out_dir) / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return outputs


def main(argv: list[str]) -> None:
    data = Path(argv[0]) if argv else DATA
    for name, records in split(data / "raw", data).items():
        counts = Counter(r["category"] or "irrelevant" for r in records)
        print(f"{name}: {len(records)} examples, {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main(sys.argv[1:])
