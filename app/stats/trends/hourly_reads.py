"""Reading the hourly counts (hourly.py): totals over a range, a window against its
baseline, series per hour, and a sample of the posts' keywords.

A range [start, end) is cut (`counting.split_range`) into whole local days (the daily
counts), whole hours (the hourly counts) and the parts of the hours at its ends, which are
counted from the posts (their `PostWords` rows: only posts that count have one) in the same
SQL statement; several ranges at once (a window and its baseline, `counting.plan`) read each
count once. So a window over a million posts is one statement over some tens of thousands of
rows.
Places and watchlists are JSON lists on the posts: their partial hours are counted in Python.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import String, and_, cast, func, literal, literal_column, select, union_all

from app.extensions import db
from app.models import utcnow
from app.stats.trends import counting
from app.stats.trends.hourly import COLUMNS, DAILY, HOURLY, POSTS, WORDS, state_of

#: Dimensions whose partial hours are counted in SQL, by the posts' column.
_COLUMN_DIMENSIONS = {"channel": "channel", "sentiment": "sentiment", "category": "category"}
#: A window's sample takes the posts of some of these buckets of ids.
SAMPLE_BUCKETS = 256
#: Within this relative margin, the baseline comparison is left to Python (floats).
_EPSILON = 1e-9


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _term_keys(dialect: str):
    """(the elements of `PostWords.terms`, the key of an element) for the dialect."""
    if dialect == "postgresql":
        elements = func.json_array_elements_text(WORDS.c.terms).table_valued("value").alias("e")
    else:
        elements = func.json_each(WORDS.c.terms).table_valued("value").alias("e")
    return elements, elements.c.value


def _edge_select(dimension: str, start: datetime, end: datetime, weights: tuple[int, ...] = (1,)):
    """(key, n0, n1, …) of the posts that count in [start, end) for one dimension, read from
    the posts in SQL (n_i: the count × weights[i]); None for the dimensions counted in Python."""
    inside = and_(WORDS.c.posted_at >= start, WORDS.c.posted_at < end, WORDS.c.counted.is_(True))
    source, group = WORDS, None
    if dimension == "posts":
        key, count = literal(counting.ALL), func.count()
    elif dimension == "term":
        elements, key = _term_keys(_dialect())
        key = group = func.substr(key, 1, counting.MAX_KEY)
        count = func.count()
        source = WORDS.join(elements, literal(True))
    elif dimension == "case" or dimension in _COLUMN_DIMENSIONS:
        column = POSTS.c[_COLUMN_DIMENSIONS.get(dimension, "case_id")]
        if dimension == "case":
            key, present = cast(column, String), column.is_not(None)
        else:
            key, present = func.substr(column, 1, counting.MAX_KEY), column != ""
        count, group = func.count(), column
        source = WORDS.join(POSTS, POSTS.c.id == WORDS.c.post_id)
        inside = and_(inside, present)
    else:
        return None
    statement = select(
        key.label("key"), *((count * w).label(f"n{i}") for i, w in enumerate(weights))
    )
    statement = statement.select_from(source).where(inside)
    return statement if group is None else statement.group_by(group)


def _selects(dimension: str, ranges: list[tuple[datetime, datetime]]):
    """(SQL selects of (key, n0, n1, …): what each part adds to each range, partial hours
    counted in Python as [(start, end, weights)])."""
    selects, python = [], []
    for part in counting.plan(ranges, free_from=utcnow()):
        if part.span == "edge":
            edge = _edge_select(dimension, part.start, part.end, part.weights)
            if edge is None:
                python.append(part)
            else:
                selects.append(edge)
            continue
        table, column = (HOURLY, "hour") if part.span == "hour" else (DAILY, "day")
        count = table.c["count"]
        selects.append(
            select(
                table.c.key.label("key"),
                *((count * w).label(f"n{i}") for i, w in enumerate(part.weights)),
            ).where(
                table.c.dimension == dimension,
                table.c[column] >= part.start,
                table.c[column] < part.end,
            )
        )
    return selects, python


def _sums(dimension: str, ranges: list[tuple[datetime, datetime]]):
    """(a select of key and its total in each range, or None; the parts left to Python)."""
    selects, python = _selects(dimension, ranges)
    if not selects:
        return None, python
    union = union_all(*selects).subquery("parts") if len(selects) > 1 else selects[0].subquery()
    sums = [func.sum(union.c[f"n{i}"]).label(f"n{i}") for i in range(len(ranges))]
    return select(union.c.key, *sums).group_by(union.c.key), python


def _python_parts(dimension: str, parts, count: int) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    connection = db.session.connection()
    for part in parts:
        for key, n in edge_counts(connection, dimension, part.start, part.end).items():
            row = found.setdefault(key, [0] * count)
            for i, w in enumerate(part.weights):
                row[i] += n * w
    return found


def totals(dimension: str, start: datetime, end: datetime) -> dict[str, int]:
    """key -> posts that count in [start, end) for one dimension."""
    statement, python = _sums(dimension, [(start, end)])
    found: Counter = Counter()
    if statement is not None:
        found.update({key: int(n) for key, n in db.session.connection().execute(statement)})
    for key, (n,) in _python_parts(dimension, python, 1).items():
        found[key] += n
    return {key: n for key, n in found.items() if n > 0}


def compare(
    dimension: str,
    window: tuple[datetime, datetime],
    baseline: tuple[datetime, datetime],
    *,
    min_volume: int,
    scale: float,
) -> tuple[dict[str, int], dict[str, int]]:
    """(current, previous): the keys with at least `min_volume` posts in the window and more
    than their baseline × `scale`, with their posts in the window and in the baseline; one
    SQL statement that reads each count once (term, case, posts, channel, sentiment and
    category; places and watchlists also count their partial hours in Python)."""
    statement, python = _sums(dimension, [window, baseline])
    if statement is not None and not python:
        now_n, before_n = (statement.selected_columns[i] for i in (1, 2))
        statement = statement.having(now_n >= min_volume, now_n > before_n * scale * (1 - _EPSILON))
        current, previous = {}, {}
        for key, n, before in db.session.connection().execute(statement):
            current[key] = int(n)
            if before:
                previous[key] = int(before)
        return current, previous
    rows: dict[str, list[int]] = _python_parts(dimension, python, 2)
    if statement is not None:
        for key, n, before in db.session.connection().execute(statement):
            row = rows.setdefault(key, [0, 0])
            row[0] += int(n)
            row[1] += int(before)
    current, previous = {}, {}
    for key, (n, before) in rows.items():
        if n >= min_volume and n > before * scale * (1 - _EPSILON):
            current[key] = n
            if before:
                previous[key] = before
    return current, previous


def series(
    dimension: str, start: datetime, end: datetime, *, days: bool = False
) -> list[tuple[datetime, str, int]]:
    """(moment, key, posts) adding up to [start, end) for one dimension: per hour, or with
    `days` per local day where a whole day is read (`counting.split_range`: the hours a day
    leaves out come with a negative count at their hour, inside the same day); the posts of
    a partial hour are given at the start of their hour."""
    connection = db.session.connection()
    rows = []
    for piece in counting.split_range(start, end, use_days=days, free_from=utcnow()):
        if piece.span == "edge":
            edge = _edge_select(dimension, piece.start, piece.end, (piece.sign,))
            found = (
                connection.execute(edge).all()
                if edge is not None
                else [
                    (key, piece.sign * n)
                    for key, n in edge_counts(connection, dimension, piece.start, piece.end).items()
                ]
            )
            rows.extend((counting.hour_of(piece.start), key, n) for key, n in found)
            continue
        table, column = (HOURLY, "hour") if piece.span == "hour" else (DAILY, "day")
        found = connection.execute(
            select(table.c[column], table.c.key, table.c["count"]).where(
                table.c.dimension == dimension,
                table.c[column] >= piece.start,
                table.c[column] < piece.end,
            )
        )
        rows.extend((at, key, piece.sign * count) for at, key, count in found)
    return [(moment, key, int(count)) for moment, key, count in rows if count]


def sample_docs(
    start: datetime, end: datetime, limit: int, keys: set[str]
) -> tuple[dict[str, set[int]], set[str]]:
    """(key -> the ids of the sampled posts that hold it, the keys that are places there) for
    `keys`, over the posts that count in [start, end): every post, or when there are more
    than `limit`, those whose id falls in the first k of SAMPLE_BUCKETS buckets (id modulo
    SAMPLE_BUCKETS, indexed), about `limit` posts. Gathered in SQL: one row per key."""
    if not keys:
        return {}, set()
    total = totals("posts", start, end).get(counting.ALL, 0)
    buckets = max(1, SAMPLE_BUCKETS * limit // total) if limit and total else SAMPLE_BUCKETS
    condition = and_(WORDS.c.posted_at >= start, WORDS.c.posted_at < end, WORDS.c.counted.is_(True))
    if buckets < SAMPLE_BUCKETS:
        bucket = WORDS.c.post_id.op("%")(literal_column(str(SAMPLE_BUCKETS)))
        condition = and_(condition, bucket.in_(list(range(buckets))))
    elements, key = _term_keys(_dialect())
    quoted = literal('"') + key + literal('"')
    if _dialect() == "postgresql":
        posts = func.string_agg(cast(WORDS.c.post_id, String), literal(","))
        place = func.max(func.strpos(cast(WORDS.c.places, String), quoted))
    else:
        posts = func.group_concat(WORDS.c.post_id, literal(","))
        place = func.max(func.instr(cast(WORDS.c.places, String), quoted))
    statement = (
        select(key, posts, place)
        .select_from(WORDS.join(elements, literal(True)))
        .where(condition, key.in_(sorted(keys)))
        .group_by(key)
    )
    docs, places = {}, set()
    for found, ids, at in db.session.connection().execute(statement):
        docs[found] = {int(i) for i in str(ids).split(",")}
        if at:
            places.add(found)
    return docs, places


def words_of_posts(post_ids) -> dict[int, list]:
    """post id -> its stored words ([key, form, place] in reading order)."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    statement = select(WORDS.c.post_id, WORDS.c.words).where(WORDS.c.post_id.in_(ids))
    return dict(db.session.connection().execute(statement).all())


# -- partial hours of places and watchlists (JSON lists on the posts) ---------------------


def edge_counts(connection, dimension: str, start: datetime, end: datetime) -> Counter:
    """key -> posts that count in [start, end) for one dimension, read post by post."""
    columns = [POSTS.c.id, *COLUMNS]
    if dimension == "term":
        columns.append(WORDS.c.terms)
    statement = (
        select(*columns)
        .select_from(POSTS.join(WORDS, WORDS.c.post_id == POSTS.c.id))
        .where(POSTS.c.posted_at >= start, POSTS.c.posted_at < end)
    )
    found: Counter = Counter()
    for row in connection.execute(statement).mappings():
        for (d, key), n in counting.contributions(
            state_of(row, terms=row.get("terms") or ())
        ).items():
            if d == dimension:
                found[key] += n
    return found
