"""Spike alerts: the hourly check that stores `SpikeAlert`s and notifies the analysts, and the
alerts stored since a time.

- `detect_spikes(now)`: each category, ward and watchlist whose last 24 h volume is above its
  7-day baseline mean + k·σ (the maths in maths.py; the counts from hourly_reads.py);
- `recent_spikes(since)`: the spike alerts stored since a time, newest first.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.collectors.models import Watchlist
from app.extensions import db
from app.models import utcnow
from app.notifications.operations import Rendered, add_notifications, register_renderer
from app.stats.models import SpikeAlert
from app.stats.trends import hourly_reads
from app.stats.trends.hot_topics import BASELINE_DAYS
from app.stats.trends.labels import dimension_label, spike_label
from app.stats.trends.maths import find_spikes
from app.stats.trends.queries import iso
from app.units.models import Unit
from app.users.models import Role, User

#: Spike alert defaults; config.py's SPIKE_K and SPIKE_MIN_VOLUME override them.
DEFAULT_SPIKE_K = 2.0
DEFAULT_SPIKE_MIN_VOLUME = 5
#: While a key keeps spiking, it is alerted again only after this long.
REALERT_AFTER = timedelta(hours=24)
SPIKE_DIMENSIONS = ("category", "place", "watchlist")
NOTIFICATION_KIND = "spike_alert"


def spike_settings() -> tuple[float, int]:
    """(k, minimum 24 h volume) from config.py's SPIKE_K and SPIKE_MIN_VOLUME."""
    config = current_app.config
    return (
        float(config.get("SPIKE_K", DEFAULT_SPIKE_K)),
        int(config.get("SPIKE_MIN_VOLUME", DEFAULT_SPIKE_MIN_VOLUME)),
    )


def daily_volumes(
    window_end: datetime, days: int = BASELINE_DAYS
) -> dict[tuple[str, str], list[int]]:
    """(dimension, key) -> [volume of the last 24 h, then each of the `days` 24 h blocks before].

    Blocks end at `window_end`, `window_end` − 24 h, …; a post counts once in its category,
    in each ward of its place (a former district counts in each ward it became) and in each
    watchlist it matched.
    """
    volumes: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (days + 1))
    for block in range(days + 1):
        end = window_end - timedelta(days=block)
        for dimension in SPIKE_DIMENSIONS:
            for key, count in hourly_reads.totals(dimension, end - timedelta(days=1), end).items():
                volumes[(dimension, key)][block] += count
    return dict(volumes)


def _labels(spikes) -> dict[tuple[str, str], str]:
    wards = [key for dimension, key, *_ in spikes if dimension == "place"]
    watchlists = [
        int(key) for dimension, key, *_ in spikes if dimension == "watchlist" and key.isdigit()
    ]
    names = {}
    if wards:
        for code, name in db.session.execute(
            select(Unit.code, Unit.name_vi).where(Unit.code.in_(wards))
        ):
            names[("place", code)] = name
    if watchlists:
        for wid, name in db.session.execute(
            select(Watchlist.id, Watchlist.name).where(Watchlist.id.in_(watchlists))
        ):
            names[("watchlist", str(wid))] = name
    return {(d, k): names.get((d, k), k)[:200] for d, k, *_ in spikes}


def detect_spikes(
    now: datetime | None = None, *, k: float | None = None, min_volume: int | None = None
) -> list[SpikeAlert]:
    """Store a SpikeAlert for each category, ward and watchlist whose last 24 h volume is above
    its 7-day baseline mean + k·σ (sample σ), and notify the analysts; commit; return the new
    alerts.

    The window ends at `now` rounded down to the hour, so hourly runs line up and a rerun in
    the same hour stores nothing (unique per dimension, key and window end). A key alerted in
    the last 24 h is not alerted again while it keeps spiking.
    """
    default_k, default_min = spike_settings()
    k = default_k if k is None else k
    min_volume = default_min if min_volume is None else min_volume
    window_end = (now or utcnow()).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    spikes = find_spikes(daily_volumes(window_end), k, min_volume)
    if not spikes:
        return []
    recent = set(
        db.session.execute(
            select(SpikeAlert.dimension, SpikeAlert.key).where(
                SpikeAlert.window_end > window_end - REALERT_AFTER,
                SpikeAlert.window_end <= window_end,
            )
        ).all()
    )
    labels = _labels(spikes)
    created: list[SpikeAlert] = []
    for dimension, key, volume, base in spikes:
        if (dimension, key) in recent:
            continue
        alert = SpikeAlert(
            dimension=dimension,
            key=key,
            label=labels[(dimension, key)],
            window_end=window_end,
            volume=volume,
            baseline_mean=base.mean,
            baseline_std=base.std,
            k=k,
            created_at=utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(alert)
        except IntegrityError:  # a concurrent run stored it first
            continue
        created.append(alert)
    _notify_analysts(created)
    db.session.commit()
    return created


def _notify_analysts(alerts: list[SpikeAlert]) -> int:
    if not alerts:
        return 0
    analysts = list(
        db.session.scalars(
            select(User.id).where(User.role == Role.analyst.value, User.is_active_account.is_(True))
        )
    )
    rows = [
        {
            "user_id": user_id,
            "kind": NOTIFICATION_KIND,
            "data": {
                "alert_id": alert.id,
                "dimension": alert.dimension,
                "key": alert.key,
                "label": alert.label,
                "volume": alert.volume,
                "mean": round(alert.baseline_mean, 2),
                "std": round(alert.baseline_std, 2),
                "window_end": iso(alert.window_end),
            },
            "dedupe_key": f"spike:{alert.id}",
            "deliver_at": alert.created_at,
            "created_at": alert.created_at,
        }
        for alert in alerts
        for user_id in analysts
    ]
    return add_notifications(rows)


def _render(notification) -> Rendered:
    data = notification.data or {}
    subject = spike_label(data.get("dimension", ""), data.get("key", ""), data.get("label", ""))
    title = _(
        "Spike: %(name)s (%(dimension)s)",
        name=subject,
        dimension=dimension_label(data.get("dimension", "")),
    )
    text = _(
        "%(volume)d posts in 24 hours; usually %(mean).1f ± %(std).1f a day.",
        volume=data.get("volume", 0),
        mean=data.get("mean", 0.0),
        std=data.get("std", 0.0),
    )
    return Rendered(title=title, text=text, path="/stats/trends")


register_renderer(NOTIFICATION_KIND, _render)


def recent_spikes(since: datetime, until: datetime | None = None, limit: int = 200) -> list[dict]:
    """Spike alerts whose window ended in [since, until) (until: now), newest first.

    Each: {"id", "dimension", "key", "label", "window_end", "volume", "baseline_mean",
    "baseline_std", "k", "threshold", "created_at"}. `label` is stored as written when the
    alert fired: the ward's or watchlist's name, a category's code (translate it with
    `spike_label`).
    """
    statement = select(SpikeAlert).where(SpikeAlert.window_end >= since)
    if until is not None:
        statement = statement.where(SpikeAlert.window_end < until)
    statement = statement.order_by(SpikeAlert.window_end.desc(), SpikeAlert.id.desc()).limit(limit)
    return [
        {
            "id": alert.id,
            "dimension": alert.dimension,
            "key": alert.key,
            "label": alert.label,
            "window_end": iso(alert.window_end),
            "volume": alert.volume,
            "baseline_mean": round(alert.baseline_mean, 2),
            "baseline_std": round(alert.baseline_std, 2),
            "k": alert.k,
            "threshold": round(alert.baseline_mean + alert.k * alert.baseline_std, 2),
            "created_at": iso(alert.created_at),
        }
        for alert in db.session.scalars(statement)
    ]
