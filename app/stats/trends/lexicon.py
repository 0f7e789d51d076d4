"""The lexicon the keywords are read with: the known phrases and what was learned from posts.

A post's keywords are read once, when it is stored, and again when triage reads it: then
underthesea's word segmentation learns the compounds of its text when it is written with
diacritics (`learn`), and those become lexicon entries (`LexiconEntry`) that every later post
is read with, typed with or without diacritics. So a post written with diacritics is always
read with its own compounds, and the posts of a window and of its baseline are read alike.
`flask stats rebuild-hourly` also learns the pairs of words that keep appearing side by side
(`learn_pairs`) and reads every post again.

Each process keeps its `Segmenter` and reloads it when the table changes.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from app.extensions import db
from app.stats.models import LexiconEntry
from app.stats.trends import keywords

_lock = threading.Lock()
_cache: dict = {"signature": None, "segmenter": None}


def _signature(connection) -> tuple:
    table = LexiconEntry.__table__
    return tuple(
        connection.execute(
            select(func.count(), func.max(table.c.id), func.sum(func.length(table.c.phrase)))
        ).one()
    )


def segmenter(connection=None) -> keywords.Segmenter:
    """The segmenter with the known phrases and every learned entry (reloaded when they change)."""
    connection = connection if connection is not None else db.session.connection()
    signature = _signature(connection)
    with _lock:
        if _cache["signature"] == signature and _cache["segmenter"] is not None:
            return _cache["segmenter"]
    table = LexiconEntry.__table__
    lexicon = keywords.Lexicon(keywords.known_phrases())
    for phrase in connection.execute(select(table.c.phrase)).scalars():
        lexicon.add(phrase)
    found = keywords.Segmenter(lexicon)
    with _lock:
        _cache.update(signature=signature, segmenter=found)
    return found


def _store(phrases: Iterable[str], source: str) -> int:
    """Add the phrases not there yet; how many were new. Committed at once on their own
    connection where the database allows (so concurrent triage jobs never wait on each
    other's entries); in the caller's transaction on SQLite (one writer at a time)."""
    wanted = sorted({p[:200] for p in phrases if p})
    if not wanted:
        return 0
    table = LexiconEntry.__table__
    engine = db.session.get_bind()
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        statement = insert(table).on_conflict_do_nothing(index_elements=["phrase"])
        with engine.begin() as connection:
            result = connection.execute(
                statement.returning(table.c.id),
                [{"phrase": p, "source": source} for p in wanted],
            )
            return len(result.all())
    connection = db.session.connection()
    have = set(
        connection.execute(select(table.c.phrase).where(table.c.phrase.in_(wanted))).scalars()
    )
    new = [p for p in wanted if p not in have]
    if new:
        from app.models import utcnow

        connection.execute(
            table.insert(),
            [{"phrase": p, "source": source, "created_at": utcnow()} for p in new],
        )
    return len(new)


def learn(texts: Iterable[str]) -> int:
    """Learn the compounds of the texts written with diacritics; how many were new."""
    texts = [t for t in texts if t and keywords.has_diacritics(t)]
    if not texts:
        return 0
    found = keywords.learn_compounds(texts, limit=len(texts))
    known = set(keywords.known_phrases())
    return _store((p for p in found if p not in known), "compound")


def learn_pairs(
    sequences: Sequence[Sequence[keywords.Word | None]], forms_per_pair: int = 3
) -> int:
    """Learn the collocations of the read texts (`keywords.collocations`) as entries written
    the ways the texts write them (at most `forms_per_pair` each); how many were new."""
    pairs = keywords.collocations(sequences)
    if not pairs:
        return 0
    forms: dict[tuple[str, str], Counter] = {pair: Counter() for pair in pairs}
    for sequence in sequences:
        for first, second in zip(sequence, sequence[1:], strict=False):
            if first is None or second is None:
                continue
            counter = forms.get((first.key, second.key))
            if counter is not None:
                counter[f"{first.form} {second.form}".lower()] += 1
    phrases = [
        form
        for counter in forms.values()
        for form, _ in sorted(
            counter.items(), key=lambda item: (-keywords.has_diacritics(item[0]), -item[1])
        )[:forms_per_pair]
    ]
    return _store(phrases, "pair")
