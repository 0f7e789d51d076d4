"""Split the labelled triage posts into train/dev/test, reproducibly.

    python scripts/split_dataset.py

Two kinds of labelled text (DATASHEET.md):

* real public texts, data/triage/real/*.jsonl, each with the source document it
  belongs to (``doc``): they are split about 70/15/15 by a hash of ``doc``, so
  an article and its comments never straddle two splits, and adding or
  relabelling a text never moves another;
* hand-written posts, data/triage/raw/*.jsonl: training only, never dev or
  test, and at most `HANDWRITTEN_SHARE` of the training split (those with the
  lowest hash of their text are kept, so the choice is stable).

Real texts get their ids from the labelling (``real-…``), hand-written ones
``<file stem>-<line number>``. A repeated text (compared case-insensitively,
after trimming) is kept once, real before hand-written.
"""

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "triage"
SPLITS = (("train", 0.70), ("dev", 0.85), ("test", 1.0))
#: The most of the training split that hand-written posts may make up.
HANDWRITTEN_SHARE = 0.30


def text_key(text: str) -> str:
    """What makes two posts the same text: trimmed and lowercased."""
    return text.strip().lower()


def bucket(key: str) -> float:
    """A number in [0, 1] fixed by `key` alone."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF


def split_name(key: str) -> str:
    """``train``, ``dev`` or ``test`` for this document key."""
    value = bucket(key)
    return next(name for name, upper in SPLITS if value <= upper)


def _read(path: Path) -> list[tuple[int, dict]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(number, json.loads(line)) for number, line in enumerate(lines, 1) if line.strip()]


def read_real(real_dir: Path) -> list[dict]:
    """Every real labelled text under `real_dir` (ids as labelled)."""
    return [record for path in sorted(Path(real_dir).glob("*.jsonl")) for _, record in _read(path)]


def read_raw(raw_dir: Path) -> list[dict]:
    """Every hand-written post under `raw_dir`, with its id."""
    examples = []
    for path in sorted(Path(raw_dir).glob("*.jsonl")):
        for number, record in _read(path):
            record["id"] = f"{path.stem}-{number:04d}"
            record.setdefault("source", {"name": "handwritten", "path": f"raw/{path.name}"})
            examples.append(record)
    return examples


def split(data_dir: Path, out_dir: Path | None = None) -> dict[str, list[dict]]:
    """Write ``out_dir/{train,dev,test}.jsonl`` from `data_dir`'s real/ and raw/."""
    out_dir = Path(out_dir or data_dir)
    outputs: dict[str, list[dict]] = {name: [] for name, _ in SPLITS}
    seen = set()
    for record in read_real(Path(data_dir) / "real"):
        key = text_key(record["text"])
        if key not in seen:
            seen.add(key)
            outputs[split_name(record["doc"])].append(record)
    room = int(len(outputs["train"]) * HANDWRITTEN_SHARE / (1 - HANDWRITTEN_SHARE))
    handwritten = [r for r in read_raw(Path(data_dir) / "raw") if text_key(r["text"]) not in seen]
    handwritten.sort(key=lambda record: bucket(text_key(record["text"])))
    kept = sorted(handwritten[:room], key=lambda record: record["id"])
    outputs["train"] = kept + outputs["train"]
    for name, records in outputs.items():
        with open(out_dir / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return outputs


def main(argv: list[str]) -> None:
    data = Path(argv[0]) if argv else DATA
    for name, records in split(data).items():
        counts = Counter(r["category"] or "irrelevant" for r in records)
        real = sum(1 for r in records if r["id"].startswith("real"))
        print(f"{name}: {len(records)} examples ({real} real), {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main(sys.argv[1:])
