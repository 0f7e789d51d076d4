"""Press headlines grouped by the two-syllable phrases they share (the morning digest's
topics for articles with no case and no category). Pure Python: no Flask, no database."""

import re
from collections import Counter

from app.core.text import fold

#: Syllables too common in HCMC news to tell topics apart (folded).
_STOP_SYLLABLES = frozenset(
    """
    va cua la cac nhung mot cho voi tai trong tren duoi duoc da dang se nay do khi thi co khong
    ve tu den o ra vao len sau truoc nhieu it nhu theo hon lai con bi boi vi de hay moi cung rat
    ma nen neu ngay hom qua nay toi sang chieu dem nam thang tuan gio phut
    tp hcm tphcm thanh pho ho chi minh sai gon nguoi dan the
    """.split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _bigrams(title: str) -> dict[str, str]:
    """Folded two-syllable phrases of a title -> how the title wrote them."""
    words = _WORD.findall(title)
    phrases = {}
    for first, second in zip(words, words[1:], strict=False):
        a, b = fold(first), fold(second)
        if a in _STOP_SYLLABLES or b in _STOP_SYLLABLES or len(a) < 2 or len(b) < 2:
            continue
        phrases.setdefault(f"{a} {b}", f"{first} {second}".lower())
    return phrases


def keyword_clusters(items: list[tuple[int, str]]) -> list[tuple[list[str], list[int]]]:
    """Group (id, title) pairs that share a two-syllable phrase, most shared phrase first.

    Returns [(keywords as written, ids)]; titles sharing nothing end in one group without
    keywords ("other articles").
    """
    phrases = {item_id: _bigrams(title) for item_id, title in items}
    # Ties go to the phrase met first (the items come newest first).
    order = {}
    for item_id, _ in items:
        for phrase in phrases[item_id]:
            order.setdefault(phrase, len(order))
    left = [item_id for item_id, _ in items]
    clusters = []
    while True:
        counts = Counter(p for item_id in left for p in phrases[item_id])
        best = [p for p, n in counts.items() if n >= 2]
        if not best:
            break
        phrase = min(best, key=lambda p: (-counts[p], order[p]))
        members = [item_id for item_id in left if phrase in phrases[item_id]]
        shared = set.intersection(*(set(phrases[i]) for i in members))
        ordered = [phrase] + sorted(shared - {phrase}, key=lambda p: (-counts[p], order[p]))[:2]
        written = phrases[members[0]]
        clusters.append(([written[p] for p in ordered], members))
        left = [item_id for item_id in left if item_id not in set(members)]
    if left:
        clusters.append(([], left))
    return clusters
