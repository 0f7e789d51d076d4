"""Medians and percentiles as PostgreSQL's `percentile_cont` computes them, in plain Python.

The statistics are computed in SQL on PostgreSQL and here on SQLite (which has no
percentile aggregate); both must give the same numbers, so the method is fixed:

    position = p × (n − 1)            (0-based, over the values sorted ascending)
    lower, upper = floor(position), ceil(position)
    value = v[lower] + (position − lower) × (v[upper] − v[lower])

that is linear interpolation between the two closest ranks ("type 7" of Hyndman and Fan,
also numpy's default). For 1, 2, 3, 4 hours the median is 2.5 h and p90 is 3.7 h.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MEDIAN, P90 = 0.5, 0.9


def percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile of values sorted ascending; None for no values."""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    low, high = float(ordered[lower]), float(ordered[upper])
    # The same expression as PostgreSQL's float8_lerp, so the floats agree bit for bit.
    return low + (position - lower) * (high - low)


@dataclass(frozen=True)
class Summary:
    """count, median, p90 and mean of a set of durations (in the unit they were given)."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None


def summarize(values: Iterable[float]) -> Summary:
    ordered = sorted(values)
    if not ordered:
        return Summary(0, None, None, None)
    return Summary(
        count=len(ordered),
        median=percentile_cont(ordered, MEDIAN),
        p90=percentile_cont(ordered, P90),
        mean=sum(ordered) / len(ordered),
    )
