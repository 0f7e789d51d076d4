"""The backlog (open cases by age): the counters PostgreSQL keeps agree with the cases through
every change, and the SLA dashboard shows the open cases by age and priority."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.cases import backlog, moves, operations
from app.cases.sla import dashboard
from app.cases.sla.policies import load_default_sla
from app.extensions import db
from app.models import utcnow
from app.units.models import Unit

GROUPINGS = ("unit", "category", "ward", "priority")


@pytest.fixture
def admin(create_user):
    load_default_sla()
    return create_user("admin", unit_code="UBND-TP")


@pytest.fixture
def wards(app_context):
    return db.session.scalars(
        select(Unit.code).where(Unit.kind == "ward").order_by(Unit.code).limit(2)
    ).all()


def _open(admin, ago_days, **values):
    data = {"title": "Ngập nước sau mưa", "category": "flooding", "unit": "SO-XD", **values}
    return operations.create_case(admin, data, now=utcnow() - timedelta(days=ago_days))


def _both(group_by, **filters):
    now = utcnow()
    counters = backlog.open_counts(group_by, now, method="counters", **filters)
    scan = backlog.open_counts(group_by, now, method="scan", **filters)
    return counters, scan


def _assert_agree(unit_ids):
    for group_by in GROUPINGS:
        for filters in ({}, {"units": unit_ids}, {"category": "flooding"}, {"units": set()}):
            counters, scan = _both(group_by, **filters)
            assert counters == scan, (group_by, filters)


def test_counters_agree_with_the_cases_through_every_change(admin, wards, unit_by_code):
    xd, yt = unit_by_code("SO-XD"), unit_by_code("SO-YT")
    fresh = _open(admin, 0, ward=wards[0], priority="P1")
    week = _open(admin, 8, ward=wards[1], category="traffic")
    old = _open(admin, 45, unit="SO-YT")
    ancient = _open(admin, 400, ward=wards[0], priority="P4")
    moved = _open(admin, 2, ward=wards[1])

    by_unit, _ = _both("unit")
    assert by_unit == {xd.id: [1, 1, 0, 1, 0, 1], yt.id: [0, 0, 0, 0, 0, 1]}
    by_ward, _ = _both("ward")
    assert by_ward[None] == [0, 0, 0, 0, 0, 1]

    # The workflow: verify, work, transfer, reject.
    operations.transition(fresh, "verifying", admin, version=fresh.version)
    operations.transition(fresh, "in_progress", admin, version=fresh.version)
    moves.transfer(moved, yt, admin, "Thuộc thẩm quyền Sở Y tế", version=moved.version)
    operations.transition(week, "verifying", admin, version=week.version)
    operations.transition(
        week, "rejected", admin, "Tin sai", version=week.version, reject_reason="false_information"
    )
    _assert_agree({xd.id})
    by_unit, _ = _both("unit")
    assert by_unit == {xd.id: [1, 0, 0, 0, 0, 1], yt.id: [0, 1, 0, 0, 0, 1]}

    # Edits of what the backlog groups by, through the ORM and through plain SQL.
    ancient.priority, ancient.category, ancient.ward = "P2", "health", None
    db.session.commit()
    db.session.execute(
        text("UPDATE cases SET ward_id = NULL, unit_id = :unit WHERE id = :id"),
        {"unit": xd.id, "id": old.id},
    )
    db.session.commit()
    _assert_agree({xd.id})

    # Every status, open or not, in and out.
    for status in ("waiting", "resolved", "responded", "closed", "received", "verifying"):
        db.session.execute(
            text("UPDATE cases SET status = :status WHERE id IN (:a, :b)"),
            {"status": status, "a": fresh.id, "b": ancient.id},
        )
        db.session.commit()
        _assert_agree({xd.id})
        expected_open = status in backlog.OPEN_STATUS_VALUES
        assert (fresh.id in _open_ids()) is expected_open, status

    # A case inserted and deleted in plain SQL (the timeline keeps real cases forever).
    db.session.execute(
        text(
            "INSERT INTO cases (code, title, description, category, priority, status, unit_id,"
            " source, mention_count, first_seen_at, last_seen_at, cycle, search_text, version,"
            " created_at, updated_at, needs_verification) SELECT 'HCM-TEST-0001', title, '',"
            " category, priority, 'received', :unit, source, 1, first_seen_at, last_seen_at, 1,"
            " '', 1, created_at, updated_at, false FROM cases WHERE id = :id"
        ),
        {"unit": yt.id, "id": moved.id},
    )
    db.session.commit()
    _assert_agree({yt.id})
    db.session.execute(text("DELETE FROM cases WHERE code = 'HCM-TEST-0001'"))
    db.session.commit()
    _assert_agree({yt.id})
    by_unit, _ = _both("unit")
    assert by_unit[yt.id] == [0, 1, 0, 0, 0, 0]


def _open_ids() -> set[int]:
    return set(
        db.session.scalars(
            select(backlog.Case.id).where(backlog.Case.status.in_(backlog.OPEN_STATUS_VALUES))
        )
    )


def test_truncating_the_cases_empties_the_counters(admin):
    _open(admin, 1)
    db.session.execute(text("TRUNCATE cases RESTART IDENTITY CASCADE"))
    db.session.commit()

    assert db.session.execute(text("SELECT count(*) FROM case_backlog_counts")).scalar() == 0
    assert backlog.open_counts("unit", utcnow()) == {}


def test_the_counters_can_be_recounted_from_the_cases(admin):
    _open(admin, 1)
    _open(admin, 50, unit="SO-YT")
    expected = backlog.open_counts("unit", utcnow(), method="scan")
    db.session.execute(text("UPDATE case_backlog_counts SET open_cases = 7"))
    assert backlog.open_counts("unit", utcnow(), method="counters") != expected

    assert backlog.rebuild_counts() == 2
    db.session.commit()
    assert backlog.open_counts("unit", utcnow(), method="counters") == expected


def test_postgresql_reads_the_recent_open_cases_from_their_index(admin):
    """The partial index is usable: the query names the open statuses as literals."""
    _open(admin, 1)
    statement = backlog.counters_statement("unit", utcnow())
    sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.execute(text(f"EXPLAIN {sql}")).scalars())
    db.session.rollback()

    assert "ix_cases_open_created" in plan


def test_the_dashboard_shows_open_cases_by_age_and_priority(app, client, create_user, login, admin):
    _open(admin, 0, priority="P1")
    _open(admin, 0, priority="P3")
    _open(admin, 10, priority="P3")
    _open(admin, 40, priority="P4")
    _open(admin, 40, priority="P4", unit="SO-YT")  # another unit: not the supervisor's
    supervisor = create_user("supervisor", unit_code="SO-XD")

    with app.test_request_context("/sla?lang=en"):
        rows = dashboard.backlog(supervisor, utcnow())
    assert [(row.key, row.counts, row.total) for row in rows] == [
        ("under_1d", (1, 0, 1, 0), 2),
        ("1_3d", (0, 0, 0, 0), 0),
        ("3_7d", (0, 0, 0, 0), 0),
        ("7_14d", (0, 0, 1, 0), 1),
        ("14_30d", (0, 0, 0, 0), 0),
        ("over_30d", (0, 0, 0, 1), 1),
    ]
    login(supervisor)
    page = client.get("/sla?lang=en").get_data(as_text=True)
    cells = re.findall(
        r'<tr>\s*<td>([^<]+)</td>\s*((?:<td class="num">\d+</td>)+)\s*<td class="num"><strong>'
        r"(\d+)</strong>",
        page,
    )
    table = [(label, re.findall(r">(\d+)<", counts), total) for label, counts, total in cells]
    assert ("under 1 day", ["1", "0", "1", "0"], "2") in table
    assert ("over 30 days", ["0", "0", "0", "1"], "1") in table
