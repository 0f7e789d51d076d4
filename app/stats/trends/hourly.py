"""Counts of posts per hour and per local day, kept as posts change, for the trends.

Hot topics, hot keywords, sentiment and volume read these counts instead of the posts
(hourly_reads.py), and only read posts for the partial hours at the ends of a
range. What a post adds is counting.py's `contributions`; its keywords are stored
beside it (`PostWords`). A post counts once it has its `PostWords` row, and then always as its row
reads now: every change to what counts is written in the transaction of the change, as the
difference of before and after:

- collectors store posts with one INSERT: `collectors.operations.store_posts` runs
  `record_new_posts` (a posts-stored hook);
- triage writes its readings with one UPDATE per batch: `triage.intake.Batch` runs
  `record_readings` first (a readings hook), which also learns the compounds of the texts
  (lexicon.py);
- a merge moves a case's counts to the case kept (a merge hook);
- everything written through the ORM (a post added or edited one by one, a review decision)
  is caught by the session's flush events below.

`flask stats rebuild-hourly` (hourly_rebuild.py) recomputes everything from the posts.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session

from app.cases.hooks import register_merge_hook
from app.collectors.hooks import register_posts_stored_hook
from app.collectors.models import Post
from app.extensions import db
from app.stats.models import PostCountDay, PostCountHour, PostWords
from app.stats.trends import counting, lexicon
from app.stats.trends.counting import PostState
from app.triage.hooks import register_readings_hook

log = logging.getLogger(__name__)

HOURLY = PostCountHour.__table__
DAILY = PostCountDay.__table__
WORDS = PostWords.__table__
POSTS = Post.__table__
#: The columns of a post that its counts depend on.
TRACKED = (
    "posted_at",
    "is_relevant",
    "channel",
    "sentiment",
    "category",
    "place",
    "watchlist_ids",
    "case_id",
    "text",
)
COLUMNS = [POSTS.c[name] for name in TRACKED if name != "text"]
CHUNK = 2000


def _place_threshold() -> float:
    from app.triage.places.scope import PLACE_THRESHOLD

    return PLACE_THRESHOLD


def state_of(values, words=None, *, terms=None) -> PostState:
    """The counted state of a post from its column values (a mapping) and its keywords
    (`words` as `words_of` gives them, or their distinct `terms`)."""
    if terms is None:
        terms = (word[0] for word in words or ())
    return PostState(
        posted_at=values["posted_at"],
        counted=values["is_relevant"] is not False,
        channel=values["channel"],
        sentiment=values["sentiment"],
        category=values["category"],
        wards=counting.place_wards(values["place"], _place_threshold()),
        watchlists=counting.watchlist_keys(values["watchlist_ids"]),
        case_id=values["case_id"],
        terms=frozenset(terms),
    )


def words_of(segmenter, text: str | None) -> list[list]:
    """[[key, form, 1 if a place else 0], …]: the keywords of a text, in reading order."""
    return [
        [w.key[: counting.MAX_KEY], w.form[: counting.MAX_KEY], int(w.place)]
        for w in segmenter.words(text)
        if w is not None and not w.lone
    ]


def terms_of(words: list[list]) -> list[str]:
    """The distinct keys of the words, in reading order."""
    return list(dict.fromkeys(word[0] for word in words))


def places_of(words: list[list]) -> list[str]:
    """The distinct keys of the words that are places."""
    return list(dict.fromkeys(word[0] for word in words if word[2]))


def _read(connection, ids: Iterable[int], *, text: bool = False) -> dict[int, dict]:
    """Each post's tracked columns, and `words` (None when it has no PostWords row yet)."""
    columns = [POSTS.c.id, *COLUMNS, WORDS.c.post_id.label("has_words"), WORDS.c.words]
    if text:
        columns.append(POSTS.c.text)
    found = {}
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        statement = (
            select(*columns)
            .select_from(POSTS.outerjoin(WORDS, WORDS.c.post_id == POSTS.c.id))
            .where(POSTS.c.id.in_(ids[start : start + CHUNK]))
        )
        for row in connection.execute(statement).mappings():
            values = dict(row)
            if values.pop("has_words") is None:
                values["words"] = None
            found[values["id"]] = values
    return found


def _insert(connection, table):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def apply_changes(connection, changes: Counter) -> None:
    """Add (hour, dimension, key) -> n to the hourly and daily counts, in key order (so two
    transactions touching the same counts never wait on each other in a circle)."""
    if not changes:
        return
    daily: Counter = Counter()
    for (hour, dimension, key), n in changes.items():
        daily[(counting.day_of(hour), dimension, key)] += n
    for table, column, rows in ((HOURLY, "hour", changes), (DAILY, "day", daily)):
        values = [
            {"dimension": d, column: at, "key": k, "count": n}
            for (at, d, k), n in sorted(
                rows.items(), key=lambda item: (item[0][1], item[0][0], item[0][2])
            )
            if n
        ]
        if not values:
            continue
        statement = _insert(connection, table)
        statement = statement.on_conflict_do_update(
            index_elements=["dimension", column, "key"],
            set_={"count": table.c["count"] + statement.excluded["count"]},
        )
        connection.execute(statement, values)


def save_words(connection, rows: list[dict]) -> None:
    """Store each post's PostWords row ({post_id, posted_at, counted, words}; its terms and
    places are drawn from the words)."""
    if not rows:
        return
    rows = [
        {**row, "terms": terms_of(row["words"]), "places": places_of(row["words"])}
        for row in sorted(rows, key=lambda row: row["post_id"])
    ]
    statement = _insert(connection, WORDS)
    statement = statement.on_conflict_do_update(
        index_elements=["post_id"],
        set_={
            name: statement.excluded[name]
            for name in ("posted_at", "counted", "words", "terms", "places")
        },
    )
    connection.execute(statement, rows)


def _refresh(
    connection,
    found: dict[int, dict],
    values: dict[int, dict] | None = None,
    old: dict[int, dict] | None = None,
    segment: bool | Callable = True,
) -> None:
    """Bring the counts of the posts `found` (as `_read` returns them, with text) up to date.

    `values`: column values about to be written to each post (triage's reading); `old`: the
    rows as they read before a change already written (None: as found). The words are read
    again from the text when `segment` is true (a callable: only for the posts it accepts).
    """
    values = values or {}
    old = old or {}
    segmenter = lexicon.segmenter(connection) if segment else None
    changes: Counter = Counter()
    rows = []
    for post_id, row in found.items():
        before = old.get(post_id, row)
        previous = None if before["words"] is None else state_of(before, before["words"])
        after = {**row, **values.get(post_id, {})}
        again = segment(after) if callable(segment) else segment
        if again or row["words"] is None:
            segmenter = segmenter or lexicon.segmenter(connection)
            words = words_of(segmenter, after.get("text"))
        else:
            words = row["words"]
        state = state_of(after, words)
        changes.update(counting.deltas(previous, state))
        if after["words"] != words or before["words"] is None or previous != state:
            rows.append(
                {
                    "post_id": post_id,
                    "posted_at": after["posted_at"],
                    "counted": state.counted,
                    "words": words,
                }
            )
    save_words(connection, rows)
    apply_changes(connection, changes)


@register_posts_stored_hook
def record_new_posts(post_ids: Iterable[int]) -> None:
    """Count posts just stored (read their keywords with the lexicon as it is)."""
    ids = list(post_ids)
    if not ids:
        return
    connection = db.session.connection()
    _refresh(connection, _read(connection, ids, text=True))


@register_readings_hook
def record_readings(records: dict) -> None:
    """Triage is about to write these column values on these posts ({Post: {column: value}}):
    learn the compounds of the texts that count, read their keywords again, and move their
    counts. Call it before the values are written."""
    if not records:
        return
    connection = db.session.connection()
    values = {
        post.id: {k: v for k, v in vals.items() if k in TRACKED} for post, vals in records.items()
    }
    found = _read(connection, values, text=True)
    counted = [
        row["text"]
        for post_id, row in found.items()
        if {**row, **values[post_id]}["is_relevant"] is not False
    ]
    try:
        lexicon.learn(counted)
    except Exception:  # learning is a bonus: the counts must still follow the readings
        log.exception("keywords: learning compounds failed")
    _refresh(connection, found, values)


@register_merge_hook
def move_case_counts(duplicate, into) -> None:
    """On a merge, the duplicate's mentions count for the case kept."""
    connection = db.session.connection()
    changes: Counter = Counter()
    rows = connection.execute(
        select(HOURLY.c.hour, HOURLY.c["count"]).where(
            HOURLY.c.dimension == "case", HOURLY.c.key == str(duplicate.id)
        )
    ).all()
    for hour, count in rows:
        changes[(hour, "case", str(duplicate.id))] -= count
        changes[(hour, "case", str(into.id))] += count
    apply_changes(connection, changes)


# -- the ORM: posts added, edited or deleted one by one ------------------------------------

_BEFORE = "stats_hourly_before"


def _changed(post) -> bool:
    attrs = inspect(post).attrs
    return any(attrs[name].history.has_changes() for name in TRACKED)


@event.listens_for(Session, "before_flush")
def _before_flush(session, context, instances) -> None:
    posts = [o for o in session.dirty if isinstance(o, Post) and _changed(o)]
    posts += [o for o in session.deleted if isinstance(o, Post)]
    ids = [inspect(o).identity[0] for o in posts if inspect(o).identity]
    if not ids:
        return
    found = _read(session.connection(), ids, text=True)
    session.info.setdefault(_BEFORE, {}).update(found)


@event.listens_for(Session, "after_flush")
def _after_flush(session, context) -> None:
    before = session.info.pop(_BEFORE, {})
    new = [o.id for o in session.new if isinstance(o, Post) and o.id is not None]
    deleted = {
        inspect(o).identity[0]
        for o in session.deleted
        if isinstance(o, Post) and inspect(o).identity
    }
    if not new and not before:
        return
    connection = session.connection()
    gone = {i: before[i] for i in deleted if i in before and before[i]["words"] is not None}
    if gone:
        changes: Counter = Counter()
        for row in gone.values():
            changes.update(counting.deltas(state_of(row, row["words"]), None))
        connection.execute(delete(WORDS).where(WORDS.c.post_id.in_(list(gone))))
        apply_changes(connection, changes)
    edited = [i for i in before if i not in deleted]
    found = _read(connection, new + edited, text=True)
    if found:
        _refresh(
            connection,
            found,
            old=before,
            segment=lambda row: row["id"] in before and row["text"] != before[row["id"]]["text"],
        )
