"""The lexical vector clustering compares posts with: IDF-weighted words, hashed.

What tells two posts about one problem from two posts about two problems of
the same category is mostly the names they share: the street, the market, the
school, the bridge ("Huỳnh Tấn Phát", "chợ Bà Chiểu", "trường Lê Văn Tám").
The classifier's sentence embedding is trained to tell categories apart, so
every flooding post looks like every other flooding post to it (measured with
`python -m bench.clustering`: same-problem and other-problem pairs overlap
almost entirely), while this vector separates them.

A text becomes its folded words (no diacritics, abbreviations and teencode
written out by `textnorm.normalize`, so "Q.7", "quận 7" and "quan 7" agree)
and its pairs of adjacent words; each counts 1 + log(count) times its inverse
document frequency in the labelled posts of data/triage (so "ngập", "đường",
"ko" weigh little and names weigh a lot), a pair half as much as a word; they
are signed-hashed into `DIMENSIONS` slots and the vector is L2-normalised.
Pure Python and numpy; well under a millisecond a post.

The IDF table (data/cluster_idf.json) is rebuilt with
`python -m app.triage.lexical data/triage/train.jsonl`.
"""

import json
import math
import re
import sys
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.triage.textnorm import fold, normalize

DIMENSIONS = 1024
IDF_FILE = Path(__file__).parent / "data" / "cluster_idf.json"
#: Words and pairs seen in fewer documents than this are left out of the table (they weigh
#: the most either way).
MIN_DOCUMENT_FREQUENCY = 3
#: A pair of adjacent words counts this much of a single word (`bench.clustering`: pairs
#: alone split paraphrases of one problem; words alone merge "Đường X ngập" for any X).
PAIR_WEIGHT = 0.5


def words(text: str) -> list[str]:
    """The folded, abbreviation-expanded words of a text."""
    return normalize(text or "").folded.split()


def features(text: str) -> list[str]:
    """The words of a text and its pairs of adjacent words ("ung van", "van khiem").

    Street and place names are made of common syllables ("văn", "tấn", "hữu"); the
    pairs are what tells "Ung Văn Khiêm" from "Lê Văn Sỹ".
    """
    found = words(text)
    return found + [f"{a} {b}" for a, b in zip(found, found[1:], strict=False)]


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, int], int]:
    data = json.loads(IDF_FILE.read_text(encoding="utf-8"))
    return data["document_frequency"], data["documents"]


@lru_cache(maxsize=65536)
def _slot(feature: str) -> tuple[int, float]:
    """(slot, signed weight) of a word or pair: the hash decides both slot and sign."""
    frequencies, documents = _table()
    weight = math.log((documents + 1) / (frequencies.get(feature, 0) + 1)) + 1
    if " " in feature:
        weight *= PAIR_WEIGHT
    hashed = zlib.crc32(feature.encode("utf-8"))
    return hashed % DIMENSIONS, weight if hashed & 0x80000000 else -weight


def vector(text: str) -> np.ndarray:
    """The L2-normalised lexical vector of a text (all zeros for a text without words)."""
    result = np.zeros(DIMENSIONS, dtype=np.float32)
    for feature, count in Counter(features(text)).items():
        slot, weight = _slot(feature)
        result[slot] += (1.0 + math.log(count)) * weight
    norm = float(np.linalg.norm(result))
    return result / norm if norm else result


_TOKEN = re.compile(r"[^\W\d_]+")


def names(text: str) -> frozenset[str]:
    """Pairs of adjacent capitalised words: the names a post gives ("Ung Văn Khiêm" ->
    {"ung van", "van khiem"}), folded.

    Two posts that both give names but share none are about different places
    ("Đường Kha Vạn Cân ngập" / "Đường Ung Văn Khiêm ngập"), however alike the rest
    of their words. A post written in capitals, or in Title Case throughout, gives
    none; so do posts without capitals.
    """
    matches = list(_TOKEN.finditer(text or ""))
    if not matches or text.isupper():
        return frozenset()
    capitalised = [m.group()[0].isupper() and not m.group().isupper() for m in matches]
    if len(matches) >= 5 and sum(capitalised) >= 0.8 * len(matches):
        return frozenset()
    found = set()
    for index in range(1, len(matches)):
        first, second = matches[index - 1], matches[index]
        # Both capitalised and only spaces between: "Bà Chiểu (Bình Thạnh)" is two names.
        if (
            capitalised[index - 1]
            and capitalised[index]
            and text[first.end() : second.start()].isspace()
        ):
            found.add(f"{fold(first.group())} {fold(second.group())}")
    return frozenset(found)


def build_table(texts) -> dict:
    """Document frequencies of the words of `texts` (those in at least MIN_DOCUMENT_FREQUENCY)."""
    frequencies: Counter = Counter()
    count = 0
    for text in texts:
        frequencies.update(set(features(text)))
        count += 1
    kept = {w: n for w, n in sorted(frequencies.items()) if n >= MIN_DOCUMENT_FREQUENCY}
    return {"documents": count, "document_frequency": kept}


def main(paths: list[str]) -> None:
    texts = [
        json.loads(line)["text"]
        for path in paths
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    table = build_table(texts)
    IDF_FILE.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{IDF_FILE}: {len(table['document_frequency'])} words from {table['documents']} posts")


if __name__ == "__main__":
    main(sys.argv[1:] or ["data/triage/train.jsonl"])
