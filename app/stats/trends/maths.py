"""The pure maths and parameters of the trends (no Flask, no database).

- time buckets: hours, local days and local weeks of a chart (`buckets`, `bucket_index`);
- the spike baseline: mean and sample standard deviation of the daily volumes (`baseline`,
  `is_spike`, `find_spikes`);
- rising keys and keyword topics: `rank_rising`, `growth`, `jaccard`, `group_keywords`;
- the limits of the request parameters (`WINDOW_CHOICES`, `MAX_WINDOW_HOURS`, …), which
  schemas.py reads and checks.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.time import HCMC

#: Keywords whose posts overlap this much (Jaccard) are one topic; a phrase made of
#: overlapping keywords must be written in this share of the topic's posts.
GROUP_OVERLAP = 0.6

# -- time buckets ------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """One period of a chart: [start, end) in UTC, and its label in local time."""

    start: datetime
    end: datetime
    label: str


def _local_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(HCMC)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def granularity_for(start: datetime, end: datetime) -> str:
    """hour up to 2 days, day up to 92 days, week beyond."""
    span = end - start
    if span <= timedelta(days=2):
        return "hour"
    if span <= timedelta(days=92):
        return "day"
    return "week"


def buckets(start: datetime, end: datetime, granularity: str | None = None) -> list[Bucket]:
    """The hours, local days or local weeks (from Monday) that cover [start, end).

    The first and last buckets are whole periods, so they may reach outside the range;
    the queries still count only what lies inside [start, end).
    """
    granularity = granularity or granularity_for(start, end)
    result: list[Bucket] = []
    if granularity == "hour":
        current = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while current < end:
            following = current + timedelta(hours=1)
            result.append(
                Bucket(current, following, current.astimezone(HCMC).strftime("%d/%m %H:00"))
            )
            current = following
        return result
    current = _local_midnight(start)
    step = timedelta(days=1)
    if granularity == "week":
        current -= timedelta(days=current.weekday())
        step = timedelta(days=7)
    while current.astimezone(UTC) < end:
        following = current + step  # wall-clock arithmetic; Vietnam keeps no summer time
        result.append(
            Bucket(current.astimezone(UTC), following.astimezone(UTC), current.date().isoformat())
        )
        current = following
    return result


def bucket_index(moment: datetime, periods: Sequence[Bucket]) -> int | None:
    """The index of the bucket holding `moment`, or None (a binary search)."""
    low, high = 0, len(periods)
    while low < high:
        middle = (low + high) // 2
        if moment < periods[middle].start:
            high = middle
        elif moment >= periods[middle].end:
            low = middle + 1
        else:
            return middle
    return None


# -- baseline maths (pure) -----------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """The usual daily volume: the mean and the *sample* standard deviation of the days."""

    mean: float
    std: float

    def threshold(self, k: float) -> float:
        return self.mean + k * self.std


def baseline(daily_volumes: Sequence[float]) -> Baseline:
    """Mean and sample standard deviation (n − 1 in the denominator, Bessel's correction).

    The sample σ is the cautious choice with only 7 points: it is larger than the population
    σ, so a single busy day in the baseline raises the bar a little more. No days: 0 ± 0;
    one day: that value ± 0.

    >>> baseline([2, 2, 2, 2, 2, 2, 9])
    Baseline(mean=3.0, std=2.6457513110645907)
    """
    values = [float(v) for v in daily_volumes]
    if not values:
        return Baseline(0.0, 0.0)
    if len(values) == 1:
        return Baseline(values[0], 0.0)
    return Baseline(statistics.fmean(values), statistics.stdev(values))


def is_spike(volume: float, base: Baseline, k: float, min_volume: int) -> bool:
    """True when the volume reaches `min_volume` and is strictly above mean + k·σ."""
    return volume >= min_volume and volume > base.threshold(k)


def growth(volume: float, expected: float) -> float:
    """How many times the usual volume, smoothed by one so that new topics stay finite:
    (volume + 1) / (expected + 1)."""
    return (volume + 1) / (expected + 1)


# -- rising keys and keyword topics -----------------------------------------------------


@dataclass(frozen=True)
class Trend:
    key: str
    volume: float
    expected: float

    @property
    def growth(self) -> float:
        return growth(self.volume, self.expected)


def rank_rising(
    current: dict[str, float],
    previous: dict[str, float],
    *,
    scale: float,
    min_volume: float,
    limit: int | None = None,
) -> list[Trend]:
    """Keys whose volume rises, best first.

    `current` is the volume in the window, `previous` the volume over the baseline period and
    `scale` the window's length over the baseline's (24 h / 7 days = 1/7), so the expected
    volume is previous × scale. A key is rising when its volume reaches `min_volume` and
    exceeds the expected volume; the rank is by growth, then volume, then longer keys (more
    words) first, then key.
    """
    trends = [
        Trend(key, volume, previous.get(key, 0) * scale)
        for key, volume in current.items()
        if volume >= min_volume and volume > previous.get(key, 0) * scale
    ]
    trends.sort(key=lambda t: (-t.growth, -t.volume, -t.key.count(" "), t.key))
    return trends if limit is None else trends[:limit]


def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def group_keywords(
    rising: Sequence[Trend], docs: dict[str, set[int]], limit: int, overlap: float = GROUP_OVERLAP
) -> list[list[Trend]]:
    """Group ranked terms that mostly appear in the same posts (pure).

    Walking the terms best first, a term joins the first group whose leading term's posts
    overlap its own by `overlap` (Jaccard) or more; otherwise it leads a new group, while
    fewer than `limit` groups exist. "ket", "ket xe" and "xe cau sai" from the same posts
    are one topic.
    """
    groups: list[list[Trend]] = []
    for trend in rising:
        posts = docs.get(trend.key, set())
        for group in groups:
            if jaccard(posts, docs.get(group[0].key, set())) >= overlap:
                group.append(trend)
                break
        else:
            if len(groups) < limit:
                groups.append([trend])
    return groups


# -- spikes -------------------------------------------------------------------------------


def find_spikes(
    volumes: dict[tuple[str, str], list[int]], k: float, min_volume: int
) -> list[tuple[str, str, int, Baseline]]:
    """(dimension, key, volume, baseline) of each key whose first volume is a spike over the
    rest (pure); sorted by dimension then key."""
    found = []
    for (dimension, key), series in sorted(volumes.items()):
        base = baseline(series[1:])
        if is_spike(series[0], base, k, min_volume):
            found.append((dimension, key, series[0], base))
    return found


# -- request parameters: the limits that schemas.py enforces --------------------------------

#: Window lengths offered on the pages, in hours.
WINDOW_CHOICES = (6, 12, 24, 48, 72, 168)
MAX_WINDOW_HOURS = 168
DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
