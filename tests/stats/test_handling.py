"""Handling time, backlog and volumes against hand-computed figures (tests/stats/handling_dataset.py).

Median and p90 interpolate linearly between the closest ranks, as PostgreSQL's
percentile_cont does: position = p × (n − 1) over the sorted values.
"""

from datetime import date, datetime

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from app.cases.models import StageTime
from app.cases.stage_times import Step, stage_reaches
from app.extensions import db
from app.stats.handling import queries, schemas
from app.stats.handling.percentiles import percentile_cont, summarize
from tests.stats.handling_dataset import build, local

HOUR = 3600
DECEMBER_7_TO_14 = {"from": "2026-12-07", "to": "2026-12-14"}


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


@pytest.fixture
def cases(admin):
    return build(admin)


def figures(user, locale="en", method=None, **args):
    query = schemas.parse_handling({**DECEMBER_7_TO_14, **args})
    return queries.handling_time(user, query, locale, method=method)


def hours(row, basis="working"):
    return row.hours(basis)


# -- the percentile method ------------------------------------------------------------


def test_percentiles_interpolate_between_the_closest_ranks():
    # 1, 2, 3, 4: median at position 0.5 × 3 = 1.5 → 2 + 0.5 × 1 = 2.5;
    # p90 at 0.9 × 3 = 2.7 → 3 + 0.7 × 1 = 3.7.
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert percentile_cont([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert percentile_cont([7], 0.9) == 7
    assert percentile_cont([], 0.5) is None
    summary = summarize([4, 1, 3, 2])
    assert (summary.count, summary.median, summary.mean) == (4, 2.5, 2.5)


# -- stage times written with the workflow --------------------------------------------


def test_the_workflow_records_each_stage_with_its_real_times(cases):
    rows = {(row.case_id, row.stage): row for row in db.session.scalars(select(StageTime)).all()}
    by_letter = {
        (letter, stage): rows.get((case.id, stage))
        for letter, case in cases.items()
        for stage in ("verified", "resolved", "responded")
    }
    expected = {
        # (working h, calendar h, on time, target h) — see the dataset's table.
        ("A", "verified"): (2, 2, True, 8),
        ("A", "resolved"): (10, 26, True, 40),
        # Tue 10:00 → 11:30 = 1.5 h and 13:00 → 15:00 = 2 h after the 10 h to resolve.
        ("A", "responded"): (13.5, 31, True, 56),
        ("B", "verified"): (4.5, 6, True, 8),
        ("B", "resolved"): (30.5, 104, True, 40),
        ("C", "verified"): (10, 26, False, 8),
        ("C", "resolved"): (43.5, 172, False, 40),
        ("D", "verified"): (0, 1.5, False, 1),
        ("D", "resolved"): (0, 26.5, False, 24),
        ("E", "verified"): (1, 1, True, 8),
        ("F", "verified"): (6.5, 8, None, None),
    }
    found = {
        key: (
            row.working_seconds / HOUR,
            row.calendar_seconds / HOUR,
            row.on_time,
            row.target_seconds / HOUR if row.target_seconds else None,
        )
        for key, row in by_letter.items()
        if row is not None
    }
    assert found == expected
    d_resolved = by_letter[("D", "resolved")]
    assert d_resolved.stopped_at == local(14, 0, 30)
    assert d_resolved.started_at == local(12, 22)
    assert (d_resolved.unit_id, d_resolved.category, d_resolved.priority) == (
        cases["D"].unit_id,
        "traffic",
        "P1",
    )
    # B went back to in_progress after waiting: still one verified row, the first.
    assert by_letter[("B", "verified")].stopped_at == local(7, 14)


def test_a_reopened_case_starts_a_new_cycle_without_verification():
    t = [datetime(2026, 12, 7, h, tzinfo=local(7, 0).tzinfo) for h in range(8, 18)]
    steps = [
        Step(t[1], "received", "verifying"),
        Step(t[2], "verifying", "in_progress"),
        Step(t[3], "in_progress", "resolved"),
        Step(t[4], "resolved", "in_progress", reopened=True, cycle=2),
        Step(t[5], "in_progress", "waiting"),
        Step(t[6], "waiting", "in_progress"),
        Step(t[7], "in_progress", "resolved"),
        Step(t[8], "resolved", "responded"),
    ]
    reaches = [
        (r.cycle, r.stage.value, r.started_at, r.stopped_at) for r in stage_reaches(t[0], steps)
    ]
    assert reaches == [
        (1, "verified", t[0], t[2]),
        (1, "resolved", t[0], t[3]),
        (2, "resolved", t[4], t[7]),
        (2, "responded", t[4], t[8]),
    ]
    second = stage_reaches(t[0], steps)[2]
    assert second.pauses == ((t[5], t[6]),)


def test_reopening_through_the_workflow_records_the_second_cycle(cases, admin):
    from app.cases import operations

    a = cases["A"]
    operations.transition(a, "in_progress", admin, version=a.version, now=local(9, 8))
    operations.transition(a, "resolved", admin, version=a.version, now=local(9, 10))
    rows = db.session.scalars(
        select(StageTime).where(StageTime.case_id == a.id).order_by(StageTime.id)
    ).all()
    assert [(r.cycle, r.stage) for r in rows] == [
        (1, "verified"),
        (1, "resolved"),
        (1, "responded"),
        (2, "resolved"),
    ]
    # Wed 08:00 → 10:00: two working hours on the new cycle's resolve clock.
    assert (rows[-1].working_seconds, rows[-1].on_time) == (2 * HOUR, True)


def test_stats_rebuild_recomputes_the_same_rows(cases, runner):
    def snapshot():
        return sorted(
            (
                r.case_id,
                r.cycle,
                r.stage,
                r.started_at,
                r.stopped_at,
                r.working_seconds,
                r.calendar_seconds,
                r.target_seconds,
                r.on_time,
                r.unit_id,
                r.category,
                r.source,
                r.priority,
            )
            for r in db.session.scalars(select(StageTime)).all()
        )

    recorded = snapshot()
    assert len(recorded) == 11
    db.session.execute(StageTime.__table__.delete())
    db.session.commit()
    assert snapshot() == []

    result = runner.invoke(args=["stats", "rebuild", "--batch-size", "4"])

    assert result.exit_code == 0, result.output
    assert "4/6 cases" in result.output
    assert "6/6 cases" in result.output
    assert "stage times rebuilt: 11 rows" in result.output
    db.session.expire_all()
    assert snapshot() == recorded


def test_rebuild_counts_a_stage_for_the_unit_responsible_then(admin, unit_by_code):
    from app.cases import moves, operations
    from app.cases.sla.policies import load_default_sla
    from app.cases.stage_times import rebuild

    load_default_sla()
    case = operations.create_case(
        admin, {"title": "Hố ga mất nắp", "category": "infrastructure", "unit": "SO-XD"}
    )
    for status in ("verifying", "in_progress"):
        operations.transition(case, status, admin, version=case.version)
    moves.transfer(case, unit_by_code("SO-YT"), admin, "Thuộc Sở Y tế", version=case.version)
    operations.transition(case, "resolved", admin, version=case.version)

    def units():
        return {
            r.stage: r.unit_id
            for r in db.session.scalars(select(StageTime).where(StageTime.case_id == case.id))
        }

    # Verified while with SO-XD, resolved after the transfer to SO-YT.
    expected = {"verified": unit_by_code("SO-XD").id, "resolved": unit_by_code("SO-YT").id}
    assert units() == expected
    rebuild()
    db.session.expire_all()
    assert units() == expected


# -- handling time --------------------------------------------------------------------


def test_verification_time_by_unit(cases, create_user):
    analyst = create_user("analyst", unit_code="VP-UBND")

    result = figures(analyst, stage="verified", group_by="unit")

    so_xd, so_yt = result.rows
    assert (so_xd.key, so_xd.count, so_yt.key, so_yt.count) == ("SO-XD", 5, "SO-YT", 1)
    # SO-XD verified, working h sorted: D 0, E 1, A 2, B 4.5, F 6.5 (n = 5)
    #   median = position 2 → 2; p90 = position 3.6 → 4.5 + 0.6 × (6.5 − 4.5) = 5.7
    #   mean = 14 / 5 = 2.8
    assert hours(so_xd) == {"median_hours": 2.0, "p90_hours": 5.7, "mean_hours": 2.8}
    # calendar h sorted: E 1, D 1.5, A 2, B 6, F 8
    #   median 2; p90 = 6 + 0.6 × (8 − 6) = 7.2; mean = 18.5 / 5 = 3.7
    assert hours(so_xd, "calendar") == {"median_hours": 2.0, "p90_hours": 7.2, "mean_hours": 3.7}
    # On time: A, B, E met, D missed, F had no verify clock → 3 of 4 = 75 %.
    assert (so_xd.on_time, so_xd.measured, so_xd.within_sla_pct) == (3, 4, 75.0)
    assert (so_xd.label, so_yt.label) == ("Department of Construction", "Department of Health")
    assert hours(so_yt) == {"median_hours": 10.0, "p90_hours": 10.0, "mean_hours": 10.0}
    assert hours(so_yt, "calendar")["median_hours"] == 26.0
    assert so_yt.within_sla_pct == 0.0
    # Everything: working 0, 1, 2, 4.5, 6.5, 10 (n = 6)
    #   median = position 2.5 → 2 + 0.5 × 2.5 = 3.25; p90 = position 4.5 → 6.5 + 0.5 × 3.5 = 8.25
    #   mean = 24 / 6 = 4
    # calendar 1, 1.5, 2, 6, 8, 26: median (2 + 6) / 2 = 4; p90 = 8 + 0.5 × 18 = 17;
    #   mean = 44.5 / 6 = 7.4166… → 7.42.  On time: 3 of 5 measured = 60 %.
    total = result.total
    assert total.count == 6
    assert hours(total) == {"median_hours": 3.25, "p90_hours": 8.25, "mean_hours": 4.0}
    assert hours(total, "calendar") == {"median_hours": 4.0, "p90_hours": 17.0, "mean_hours": 7.42}
    assert total.within_sla_pct == 60.0


def test_resolution_time_by_week_and_by_day(cases, create_user):
    analyst = create_user("analyst", unit_code="VP-UBND")

    weeks = figures(analyst, stage="resolved", group_by="period", period="week").rows

    # Week of Monday 7 Dec: A (10 w, 26 c) and B (30.5 w, 104 c). D was resolved at 00:30
    # local on Monday 14 Dec (Sunday in UTC): it belongs to the next week, with C.
    assert [(row.key, row.count) for row in weeks] == [
        (date(2026, 12, 7), 2),
        (date(2026, 12, 14), 2),
    ]
    first, second = weeks
    # n = 2: median = (10 + 30.5) / 2 = 20.25; p90 = position 0.9 → 10 + 0.9 × 20.5 = 28.45
    assert hours(first) == {"median_hours": 20.25, "p90_hours": 28.45, "mean_hours": 20.25}
    assert first.within_sla_pct == 100.0
    # C 43.5 w / 172 c, D 0 w / 26.5 c: working median 21.75, p90 0 + 0.9 × 43.5 = 39.15;
    # calendar median (26.5 + 172) / 2 = 99.25, p90 26.5 + 0.9 × 145.5 = 157.45; both missed.
    assert hours(second) == {"median_hours": 21.75, "p90_hours": 39.15, "mean_hours": 21.75}
    assert hours(second, "calendar") == {
        "median_hours": 99.25,
        "p90_hours": 157.45,
        "mean_hours": 99.25,
    }
    assert second.within_sla_pct == 0.0
    assert first.label == "Week of 7 Dec 2026"

    days = figures(analyst, stage="resolved", group_by="period", period="day").rows
    # Every day of the range, empty ones too.
    assert [(row.key.day, row.count) for row in days] == [
        (7, 0),
        (8, 1),
        (9, 0),
        (10, 0),
        (11, 1),
        (12, 0),
        (13, 0),
        (14, 2),
    ]
    assert days[0].within_sla_pct is None and hours(days[0])["median_hours"] is None


def test_the_date_range_counts_stages_reached_in_it(cases, create_user):
    analyst = create_user("analyst", unit_code="VP-UBND")

    result = figures(analyst, stage="resolved", group_by="unit", to="2026-12-13")

    # C and D were resolved on the 14th: only A and B remain.
    assert [(row.key, row.count) for row in result.rows] == [("SO-XD", 2)]
    assert hours(result.total) == {"median_hours": 20.25, "p90_hours": 28.45, "mean_hours": 20.25}
    later = figures(analyst, stage="resolved", group_by="unit", **{"from": "2026-12-14"})
    assert later.total.count == 2


def test_officers_see_their_unit_and_supervisors_their_subtree(cases, create_user):
    so_xd_officer = create_user("officer", unit_code="SO-XD")
    so_yt_officer = create_user("officer", unit_code="SO-YT")
    so_xd_supervisor = create_user("supervisor", unit_code="SO-XD")

    mine = figures(so_xd_officer, stage="verified", group_by="unit")
    assert [row.key for row in mine.rows] == ["SO-XD"]
    # The total is SO-XD's alone: working median 2, p90 5.7 (see above).
    assert (mine.total.count, hours(mine.total)["p90_hours"]) == (5, 5.7)
    theirs = figures(so_yt_officer, stage="verified", group_by="category")
    assert [(row.key, row.count) for row in theirs.rows] == [("health", 1)]
    # A unit filter outside what the officer sees gives nothing, not someone else's figures.
    assert figures(so_yt_officer, stage="verified", unit="SO-XD").total.count == 0
    assert [row.key for row in figures(so_xd_supervisor, stage="verified").rows] == ["SO-XD"]
    # Without a user (a scheduled report): every unit.
    assert figures(None, stage="verified").total.count == 6


def test_grouping_by_category_source_ward_and_district(cases, create_user):
    analyst = create_user("analyst", unit_code="VP-UBND")

    by_category = figures(analyst, stage="verified", group_by="category", locale="en").rows
    assert [(row.key, row.label, row.count) for row in by_category] == [
        ("flooding", "Flooding and drainage", 3),
        ("health", "Health", 1),
        ("traffic", "Traffic", 1),
        ("urban_order", "Urban order and construction", 1),
    ]
    by_source = figures(analyst, stage="verified", group_by="source").rows
    assert [(row.key, row.count) for row in by_source] == [("facebook", 4), ("citizen", 2)]
    # No case names a ward: one row "No ward".
    (no_ward,) = figures(analyst, stage="verified", group_by="ward").rows
    assert (no_ward.key, no_ward.label, no_ward.count) == (None, "No ward", 6)
    (no_district,) = figures(analyst, stage="verified", group_by="district").rows
    assert no_district.label == "No former district"


@pytest.mark.parametrize("group_by", queries.GROUPS)
@pytest.mark.parametrize("stage", ["verified", "resolved", "responded"])
def test_python_gives_the_same_figures_as_postgresql(cases, create_user, group_by, stage):
    """SQLite computes in Python; the figures must match PostgreSQL's percentile_cont."""
    analyst = create_user("analyst", unit_code="VP-UBND")
    args = {"stage": stage, "group_by": group_by, "period": "week"}

    in_sql = figures(analyst, method="sql", **args)
    in_python = figures(analyst, method="python", **args)

    assert [row.as_dict() for row in in_sql.rows] == [row.as_dict() for row in in_python.rows]
    assert in_sql.total.as_dict("calendar") == in_python.total.as_dict("calendar")


def test_bad_parameters_say_what_is_wrong(app_context):
    with pytest.raises(ValidationError) as caught:
        schemas.parse_handling(
            {"group_by": "mood", "stage": "done", "from": "yesterday", "unit": "NOPE"}
        )
    assert set(caught.value.messages) == {"group_by", "stage", "from", "unit"}
    with pytest.raises(ValidationError) as caught:
        schemas.parse_handling({"from": "2026-12-10", "to": "2026-12-01"})
    assert set(caught.value.messages) == {"to"}
    with pytest.raises(ValidationError) as caught:
        schemas.parse_handling(
            {"group_by": "period", "period": "day", "from": "2020-01-01", "to": "2026-12-01"}
        )
    assert set(caught.value.messages) == {"period"}


# -- backlog and volumes --------------------------------------------------------------


def test_backlog_buckets_open_cases_by_age(cases, create_user):
    analyst = create_user("analyst", unit_code="VP-UBND")
    noon_on_the_14th = local(14, 12)

    # Open (received … resolved) on Mon 14 Dec 12:00: B, C and D (resolved), F (in progress).
    # Ages: B, C, F 7 days 4 h (7–14 days); D 1 day 14 h (1–3 days). A responded, E rejected.
    by_unit = queries.backlog(analyst, "unit", now=noon_on_the_14th)
    assert [(row.key, row.counts) for row in by_unit.rows] == [
        ("SO-XD", (0, 1, 0, 2, 0, 0)),
        ("SO-YT", (0, 0, 0, 1, 0, 0)),
    ]
    assert by_unit.total.counts == (0, 1, 0, 3, 0, 0)
    by_category = queries.backlog(analyst, "category", now=noon_on_the_14th, locale="en")
    assert {row.key: row.total for row in by_category.rows} == {
        "flooding": 1,
        "health": 1,
        "traffic": 1,
        "urban_order": 1,
    }
    officer = create_user("officer", unit_code="SO-YT")
    assert queries.backlog(officer, "unit", now=noon_on_the_14th).total.total == 1


def test_volumes_by_day_and_week(cases, create_user):
    analyst = create_user("analyst", unit_code="VP-UBND")
    scope = schemas.parse_scope(DECEMBER_7_TO_14)

    days = queries.volumes(analyst, scope, "day")
    # Opened: A, B, C, E, F on the 7th, D on the 12th. Resolved: A 8th, B 11th, C and D 14th.
    assert [(row.key.day, row.opened, row.resolved) for row in days] == [
        (7, 5, 0),
        (8, 0, 1),
        (9, 0, 0),
        (10, 0, 0),
        (11, 0, 1),
        (12, 1, 0),
        (13, 0, 0),
        (14, 0, 2),
    ]
    weeks = queries.volumes(analyst, scope, "week")
    assert [(row.key, row.opened, row.resolved) for row in weeks] == [
        (date(2026, 12, 7), 6, 2),
        (date(2026, 12, 14), 0, 2),
    ]
    officer = create_user("officer", unit_code="SO-YT")
    assert sum(row.opened for row in queries.volumes(officer, scope, "week")) == 1


def test_the_demo_leaves_stage_times(runner, app_context, keyword_classifier):
    from app.cases.stage_times import demo_stage_times

    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    recorded = db.session.scalar(select(db.func.count(StageTime.id)))
    assert recorded > 0
    assert f"stage times: {recorded:,} recorded" in result.output
    # A database loaded before statistics existed gets them rebuilt, the same ones.
    db.session.execute(StageTime.__table__.delete())
    db.session.commit()
    assert demo_stage_times() == f"stage times: {recorded:,} rebuilt from the timelines"
