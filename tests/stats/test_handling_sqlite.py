"""On SQLite (the embedded default) the figures are computed in Python: same method, same numbers.

The database is built by the migrations, as `make run` builds it, so this also checks that
they run on SQLite.
"""

from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.cases.models import StageTime
from app.extensions import db
from app.stats.handling import queries, schemas
from app.units.models import Unit
from app.users.models import User

HOUR = 3600


@pytest.fixture
def sqlite_app(tmp_path):
    from config import TestConfig

    config = type(
        "SqliteConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'stats.db'}", "JOBS_MODE": "inline"},
    )
    application = create_app(config)
    with application.app_context():
        upgrade()
        yield application
        db.session.remove()


def test_sqlite_gives_the_hand_computed_figures(sqlite_app):
    north = Unit(code="T-N", kind="ward", name_vi="Phường Bắc", name_en="North ward")
    south = Unit(code="T-S", kind="ward", name_vi="Phường Nam", name_en="South ward")
    db.session.add_all([north, south])
    db.session.flush()
    analyst = User(email="analyst@sqlite.test", role="analyst", unit=north, full_name="A")
    analyst.set_password("correct-horse-battery")
    db.session.add(analyst)
    # Resolved on 1 December 2026 (local), working hours 1, 2, 3, 4 in the north ward and
    # 10 in the south; calendar hours twice the working ones; on time: 1, 2 yes, 3 no,
    # 4 without a clock; 10 no. The last one (23:30 UTC on 30 Nov = 06:30 local on 1 Dec).
    stops = [datetime(2026, 12, 1, 3, tzinfo=UTC)] * 4 + [
        datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    ]
    for number, (unit, working, on_time, stopped) in enumerate(
        zip(
            [north] * 4 + [south],
            [1, 2, 3, 4, 10],
            [True, True, False, None, False],
            stops,
            strict=True,
        ),
        start=1,
    ):
        db.session.add(
            StageTime(
                case_id=number,
                cycle=1,
                stage="resolved",
                started_at=stopped - timedelta(hours=2 * working),
                stopped_at=stopped,
                working_seconds=working * HOUR,
                calendar_seconds=2 * working * HOUR,
                target_seconds=None if on_time is None else 8 * HOUR,
                on_time=on_time,
                unit_id=unit.id,
                category="flooding",
                source="citizen",
                priority="P3",
            )
        )
    db.session.commit()
    assert db.engine.dialect.name == "sqlite"
    analyst = db.session.scalar(select(User))

    query = schemas.parse_handling(
        {"stage": "resolved", "group_by": "unit", "from": "2026-12-01", "to": "2026-12-01"}
    )
    result = queries.handling_time(analyst, query, "en")

    north_row, south_row = result.rows
    assert (north_row.key, north_row.label, north_row.count) == ("T-N", "North ward", 4)
    # 1, 2, 3, 4 h: median at position 1.5 → 2.5; p90 at 2.7 → 3 + 0.7 × 1 = 3.7; mean 2.5.
    assert north_row.hours() == {"median_hours": 2.5, "p90_hours": 3.7, "mean_hours": 2.5}
    assert north_row.hours("calendar") == {"median_hours": 5.0, "p90_hours": 7.4, "mean_hours": 5.0}
    # On time: 2 of the 3 with a clock.
    assert north_row.within_sla_pct == 66.7
    assert (south_row.key, south_row.count, south_row.within_sla_pct) == ("T-S", 1, 0.0)
    # All five: 1, 2, 3, 4, 10 → median 3; p90 at position 3.6 → 4 + 0.6 × 6 = 7.6; mean 4.
    assert result.total.hours() == {"median_hours": 3.0, "p90_hours": 7.6, "mean_hours": 4.0}

    by_day = queries.handling_time(
        analyst,
        schemas.parse_handling(
            {"group_by": "period", "period": "day", "from": "2026-11-30", "to": "2026-12-01"}
        ),
        "en",
    )
    # 23:30 UTC on 30 November is 06:30 on 1 December in Ho Chi Minh City.
    assert [(row.key.day, row.count) for row in by_day.rows] == [(30, 0), (1, 5)]

    volumes = queries.volumes(
        analyst, schemas.parse_scope({"from": "2026-12-01", "to": "2026-12-01"}), "day"
    )
    assert [(row.opened, row.resolved) for row in volumes] == [(0, 5)]
