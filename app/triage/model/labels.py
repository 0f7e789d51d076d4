"""Label maps of the triage heads and the labelled dataset (JSON Lines) they are trained on.

Each line of ``data/triage/{train,dev,test}.jsonl`` has ``text``, ``relevant``,
``category`` (one of `CATEGORIES`, null when not relevant) and ``sentiment``;
other keys (id, priority, style) are kept but not used by the classifier.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# The category codes of DESIGN.md, in a fixed order: the category head's logit order.
from app.core.vocabulary import CATEGORIES

SENTIMENTS = ("negative", "neutral", "positive")
#: The relevance head's classes; index 1 means "relevant".
RELEVANCE = ("not_relevant", "relevant")
SPLITS = ("train", "dev", "test")


class DatasetError(ValueError):
    """A labelled file has a line the classifier cannot use."""


@dataclass(frozen=True)
class Example:
    """One labelled post."""

    text: str
    relevant: bool
    category: str | None
    sentiment: str
    id: str = ""
    extra: dict = field(default_factory=dict, compare=False, repr=False)


def parse_example(record: dict, where: str = "") -> Example:
    """Validate one JSON record and turn it into an `Example` (raises `DatasetError`)."""
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"{where}: 'text' must be a non-empty string")
    relevant = record.get("relevant")
    if not isinstance(relevant, bool):
        raise DatasetError(f"{where}: 'relevant' must be true or false")
    category = record.get("category")
    if relevant and category not in CATEGORIES:
        raise DatasetError(f"{where}: relevant post with unknown category {category!r}")
    if not relevant:
        category = None
    sentiment = record.get("sentiment")
    if sentiment not in SENTIMENTS:
        raise DatasetError(f"{where}: unknown sentiment {sentiment!r}")
    known = {"text", "relevant", "category", "sentiment", "id"}
    return Example(
        text=text,
        relevant=relevant,
        category=category,
        sentiment=sentiment,
        id=str(record.get("id", "")),
        extra={key: value for key, value in record.items() if key not in known},
    )


def load_examples(path: Path | str) -> list[Example]:
    """Read a JSON Lines file of labelled posts (blank lines are skipped)."""
    path = Path(path)
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{path}:{number}: not JSON ({error})") from error
            examples.append(parse_example(record, f"{path}:{number}"))
    return examples


def split_paths(data_dir: Path | str) -> dict[str, Path]:
    """``{"train": data_dir/train.jsonl, "dev": …, "test": …}``; all three must exist."""
    paths = {split: Path(data_dir) / f"{split}.jsonl" for split in SPLITS}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"missing dataset split(s): {', '.join(missing)}")
    return paths


def fingerprint(paths: Iterable[Path]) -> str:
    """Hex SHA-256 over the files' names and bytes: which data a model was trained on."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode() + b"\0")
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def write_without_source(data_dir: Path | str, out_dir: Path | str, source: str) -> dict:
    """Copy the splits of `data_dir` to `out_dir` without the texts of one source (by the
    name in each line's ``source``); returns the lines kept per split."""
    counts = {}
    for split, path in split_paths(data_dir).items():
        kept = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and (json.loads(line).get("source") or {}).get("name") != source
        ]
        (Path(out_dir) / f"{split}.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
        counts[split] = len(kept)
    return counts
