"""What one post adds to the hourly counts, and how a time range splits into hours and days
(pure: no Flask, no database).

The trends read counts kept per hour (and per local day) instead of the posts themselves
(hourly.py keeps them). A post that counts (every post that triage did not mark
*not relevant*) adds 1, at the hour it was posted, to:

=============  =====================================================================
dimension      key
=============  =====================================================================
``posts``      ``all``: every post that counts
``channel``    press, social or direct
``sentiment``  positive, neutral or negative, once triage has read it
``category``   its category
``place``      each ward of its place, when triage was confident of the place
``watchlist``  each watchlist it matched (its id)
``case``       the case it is a mention of (its id)
``term``       each keyword of its text (keywords.py), once per post
=============  =====================================================================

A change to a post (triage's reading, a merge moving it to another case) is the difference
of what it added before and what it adds after (`deltas`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.core.time import HCMC

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DIMENSIONS = ("posts", "channel", "sentiment", "category", "place", "watchlist", "case", "term")
ALL = "all"
#: Keys are cut to this length (a keyword is a few syllables; a place name a few words).
MAX_KEY = 200


@dataclass(frozen=True)
class PostState:
    """What the counts read of one post."""

    posted_at: datetime
    counted: bool
    channel: str | None = None
    sentiment: str | None = None
    category: str | None = None
    #: Ward codes of its place (only when triage was confident of it).
    wards: tuple[str, ...] = ()
    watchlists: tuple[str, ...] = ()
    case_id: int | None = None
    #: The keys of its keywords.
    terms: frozenset[str] = field(default_factory=frozenset)


def place_wards(place, threshold: float) -> tuple[str, ...]:
    """The ward codes a post's place names, when its confidence reaches `threshold`."""
    if not isinstance(place, dict) or (place.get("confidence") or 0) < threshold:
        return ()
    codes = {w["code"] for w in place.get("wards") or () if isinstance(w, dict) and w.get("code")}
    return tuple(sorted(str(code) for code in codes))


def watchlist_keys(ids) -> tuple[str, ...]:
    return tuple(sorted({str(i) for i in ids or ()}))


def contributions(state: PostState | None) -> Counter:
    """(dimension, key) -> 1 for everything the post counts in (nothing if it does not count)."""
    found: Counter = Counter()
    if state is None or not state.counted or state.posted_at is None:
        return found
    found[("posts", ALL)] += 1
    for dimension, value in (
        ("channel", state.channel),
        ("sentiment", state.sentiment),
        ("category", state.category),
    ):
        if value:
            found[(dimension, value[:MAX_KEY])] += 1
    if state.case_id is not None:
        found[("case", str(state.case_id))] += 1
    for code in set(state.wards):
        found[("place", code)] += 1
    for key in set(state.watchlists):
        found[("watchlist", key)] += 1
    for term in state.terms:
        found[("term", term[:MAX_KEY])] += 1
    return found


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment`."""
    return moment.replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    """The start (in UTC) of the local day (app.core.time.ZONE_NAME) holding `moment`."""
    local = moment.astimezone(HCMC).replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(moment.tzinfo)


def deltas(old: PostState | None, new: PostState | None) -> Counter:
    """(hour, dimension, key) -> change in count when a post goes from `old` to `new`
    (None: it did not exist / no longer exists). Zero changes are left out."""
    result: Counter = Counter()
    if old is not None and old.posted_at is not None:
        hour = hour_of(old.posted_at)
        for (dimension, key), n in contributions(old).items():
            result[(hour, dimension, key)] -= n
    if new is not None and new.posted_at is not None:
        hour = hour_of(new.posted_at)
        for (dimension, key), n in contributions(new).items():
            result[(hour, dimension, key)] += n
    return Counter({k: v for k, v in result.items() if v})


def by_hour(states: Iterable[PostState]) -> Counter:
    """(hour, dimension, key) -> count over posts (what the hourly table should hold)."""
    result: Counter = Counter()
    for state in states:
        result.update(deltas(None, state))
    return result


def _ceil_hour(moment: datetime) -> datetime:
    floor = hour_of(moment)
    return floor if floor == moment else floor + HOUR


#: What reading a local day of counts costs, in hours of counts (a day holds fewer rows than
#: its 24 hours: most keys come back hour after hour).
DAY_COST = 4


@dataclass(frozen=True)
class Piece:
    """Counts to add (`sign` 1) or take away (-1): the hours or the local days in [start, end)
    from the counts, or (`span` edge) the posts of [start, end), part of an hour."""

    sign: int
    span: str
    start: datetime
    end: datetime


def _seconds(start: datetime, end: datetime, free_from: datetime | None) -> float:
    """Time in [start, end) worth reading: from `free_from` on nothing is stored yet."""
    if free_from is not None:
        end = min(end, max(start, free_from))
    return max(0.0, (end - start).total_seconds())


def _cost(start: datetime, end: datetime, free_from: datetime | None) -> int:
    """Hours of counts in [start, end) worth reading: those from `free_from` on hold nothing
    yet (they are still to come)."""
    if free_from is not None:
        end = min(end, max(start, hour_of(free_from) + HOUR))
    return max(0, int((end - start) / HOUR))


def _merged(pieces: list[Piece]) -> list[Piece]:
    result: list[Piece] = []
    for piece in pieces:
        last = result[-1] if result else None
        if last and (last.sign, last.span, last.end) == (piece.sign, piece.span, piece.start):
            result[-1] = Piece(last.sign, last.span, last.start, piece.end)
        else:
            result.append(piece)
    return result


def _days(first: datetime, last: datetime, free_from: datetime | None) -> list[Piece]:
    """The whole hours [first, last) as local days and hours, reading as few rows as it can."""
    pieces: list[Piece] = []
    day = day_of(first)
    while day < last:
        following = day + DAY
        a, b = max(day, first), min(following, last)
        around = DAY_COST + _cost(day, a, free_from) + _cost(b, following, free_from)
        if (a, b) == (day, following):
            pieces.append(Piece(1, "day", day, following))
        elif around < _cost(a, b, free_from):
            pieces.append(Piece(1, "day", day, following))
            pieces += [Piece(-1, "hour", x, y) for x, y in ((day, a), (b, following)) if x < y]
        else:
            pieces.append(Piece(1, "hour", a, b))
        day = following
    return pieces


def split_range(
    start: datetime, end: datetime, *, use_days: bool = True, free_from: datetime | None = None
) -> list[Piece]:
    """Pieces that add up to [start, end), reading as few rows as they can.

    An end of the range inside an hour is either the posts of its part of the hour, or the
    whole hour less the posts of the other part, whichever is shorter (from `free_from` on
    there are no posts yet: the hour that holds `now` is its count less nothing). Whole local
    days come from the daily counts; a part of a day is either its hours or the day less its
    other hours, whichever is fewer (`DAY_COST` for the day; hours from `free_from` on cost
    nothing).

    >>> from datetime import UTC
    >>> pieces = split_range(datetime(2026, 12, 1, 16, 20, tzinfo=UTC),
    ...                      datetime(2026, 12, 4, 15, 15, tzinfo=UTC))
    >>> [(p.sign, p.span, p.start.day, p.start.hour, p.start.minute, p.end.day, p.end.hour,
    ...   p.end.minute) for p in pieces]  # doctest: +NORMALIZE_WHITESPACE
    [(-1, 'edge', 1, 16, 0, 1, 16, 20), (1, 'hour', 1, 16, 0, 1, 17, 0),
     (1, 'day', 1, 17, 0, 4, 17, 0), (-1, 'hour', 4, 15, 0, 4, 17, 0),
     (1, 'edge', 4, 15, 0, 4, 15, 15)]
    """
    if end <= start:
        return []
    first, last = _ceil_hour(start), hour_of(end)
    if first > last:  # inside one hour
        hour = last
        direct = _seconds(start, end, free_from)
        around = _seconds(hour, start, free_from) + _seconds(end, hour + HOUR, free_from)
        if direct <= around:
            return [Piece(1, "edge", start, end)]
        return [Piece(1, "hour", hour, hour + HOUR)] + [
            Piece(-1, "edge", a, b) for a, b in ((hour, start), (end, hour + HOUR)) if a < b
        ]
    head: list[Piece] = []
    tail: list[Piece] = []
    if start < first:
        hour = first - HOUR
        if _seconds(hour, start, free_from) < _seconds(start, first, free_from):
            head, first = [Piece(-1, "edge", hour, start)], hour
        else:
            head = [Piece(1, "edge", start, first)]
    if last < end:
        if _seconds(end, last + HOUR, free_from) < _seconds(last, end, free_from):
            tail, last = [Piece(-1, "edge", end, last + HOUR)], last + HOUR
        else:
            tail = [Piece(1, "edge", last, end)]
    if first >= last:
        middle: list[Piece] = []
    elif use_days:
        middle = _days(first, last, free_from)
    else:
        middle = [Piece(1, "hour", first, last)]
    return _merged(head + middle + tail)


@dataclass(frozen=True)
class Part:
    """Counts to read once for several ranges at a time: `weights[i]` is what they add to
    range i (1, -1 or 0). `span` is hour or day (the counts) or edge (the posts)."""

    span: str
    start: datetime
    end: datetime
    weights: tuple[int, ...]


def plan(ranges: list[tuple[datetime, datetime]], free_from: datetime | None = None) -> list[Part]:
    """The parts that add up to each of `ranges`, each read once: where a range takes the
    hours that another leaves out of its day (a window and the baseline just before it),
    those hours are read once for both.

    >>> from datetime import UTC
    >>> now = datetime(2026, 12, 9, 10, 30, tzinfo=UTC)
    >>> window, baseline = (now - DAY, now), (now - 8 * DAY, now - DAY)
    >>> [(p.start.day, p.start.hour, p.end.day, p.end.hour, p.weights)
    ...  for p in plan([window, baseline], free_from=now) if p.span == "hour"]
    ... # doctest: +NORMALIZE_WHITESPACE
    [(1, 11, 1, 17, (0, 1)), (8, 10, 8, 11, (0, -1)), (8, 11, 8, 17, (1, -1)),
     (9, 11, 9, 17, (-1, 0))]
    >>> [(p.start.day, p.end.day, p.weights) for p in plan([window, baseline]) if p.span == "day"]
    [(1, 8, (0, 1)), (8, 9, (1, 0))]
    """
    count = len(ranges)
    spans: dict[str, list[tuple[datetime, datetime, int, int]]] = {
        "edge": [],
        "hour": [],
        "day": [],
    }
    for index, (start, end) in enumerate(ranges):
        for piece in split_range(start, end, free_from=free_from):
            spans[piece.span].append((piece.start, piece.end, index, piece.sign))
    parts: list[Part] = []
    for span, items in spans.items():
        bounds = sorted({moment for a, b, _, _ in items for moment in (a, b)})
        merged: list[Part] = []
        for low, high in zip(bounds, bounds[1:], strict=False):
            weights = [0] * count
            for a, b, index, sign in items:
                if a <= low and high <= b:
                    weights[index] += sign
            if not any(weights):
                continue
            last = merged[-1] if merged else None
            if last and last.end == low and last.weights == tuple(weights):
                merged[-1] = Part(span, last.start, high, last.weights)
            else:
                merged.append(Part(span, low, high, tuple(weights)))
        parts.extend(merged)
    return parts
