"""Handling time and the backlog over 1,000,000 cases in PostgreSQL.

    python -m bench stats [--cases N]

Seeds its own database (`socialbeat_bench_stats`) with N cases spread over the last 365
days, each with its timeline (created and status_changed events) and the StageTime rows
the workflow would have written: about 90 % of the cases are verified, 70 % resolved, 55 %
publicly answered. Then it times, end to end through the app with a real bearer token,

    GET /api/v1/stats/handling-time?group_by=unit&stage=resolved&from=…&to=…

over the last full calendar month, as an analyst (who sees every unit), and prints the
median and p95 of n runs (target: p95 under 300 ms). A few other views are timed for
information. Then the backlog (open cases by age), by unit, by category and by ward:

    GET /api/v1/stats/backlog?group_by=unit|category|ward

each with PASS or FAIL against a p95 under 150 ms; about 40 % of the seeded cases are open
(received, verifying, in progress or resolved). The database is dropped at the end unless
BENCH_KEEP_DB=1 (then a later run reuses the seed).

Working seconds in the seed are 40/168 of the wall-clock time (a working week over a
calendar week) rather than the calendar maths: the timing depends on the row count, not
on the values.
"""

import os
import statistics
import time
from datetime import date, timedelta

import psycopg
from sqlalchemy import text

from bench.common import ADMIN_DSN, analyst_app, p95, summary, timed, verdict

DB_NAME = os.environ.get("BENCH_STATS_DATABASE", "socialbeat_bench_stats")
BATCH = 100_000
TARGET_P95_MS = 300
BACKLOG_TARGET_P95_MS = 150
BACKLOG_GROUPS = ("unit", "category", "ward")

SEED_BATCH = """
CREATE TEMP TABLE bench_seed ON COMMIT DROP AS
SELECT g AS id, opened, h,
       CASE WHEN h < 2 THEN 0 WHEN h = 2 THEN 1 WHEN h < 6 THEN 2 WHEN h < 9 THEN 3
            WHEN h < 15 THEN 4 ELSE 5 END AS level,
       h = 5 AS rejected,
       opened + (30 + (g * 37) % 1800) * interval '1 minute' AS verified_at,
       opened + (30 + (g * 37) % 1800 + 120 + (g * 53) % 12000) * interval '1 minute'
           AS resolved_at,
       opened + (30 + (g * 37) % 1800 + 120 + (g * 53) % 12000 + 60 + (g * 71) % 3000)
           * interval '1 minute' AS responded_at,
       (ARRAY['flooding','traffic','environment','urban_order','security','infrastructure',
              'administrative','health','education','other'])[1 + g % 10] AS category,
       (ARRAY['P1','P2','P3','P3','P3','P4'])[1 + g % 6] AS priority,
       (ARRAY['facebook','press','citizen','zalo','youtube','hotline'])[1 + g % 6] AS source,
       units[1 + (g * 31) % array_length(units, 1)] AS unit_id,
       wards[1 + g % array_length(wards, 1)] AS ward_id
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) AS g,
     LATERAL (SELECT CAST(:now AS timestamptz) - ((g * 7919) % 525600) * interval '1 minute'
                     AS opened, g % 20 AS h) AS t,
     (SELECT array_agg(id ORDER BY id) AS units FROM units) AS u,
     (SELECT array_agg(id ORDER BY id) AS wards FROM units
      WHERE kind IN ('ward', 'commune', 'special_zone')) AS w;

INSERT INTO cases (id, code, title, description, category, priority, status, unit_id, ward_id,
                   source, mention_count, first_seen_at, last_seen_at, cycle, search_text,
                   version, created_at, updated_at, needs_verification)
SELECT id, 'STATS-' || lpad(id::text, 9, '0'), 'Phản ánh số ' || id, '', category, priority,
       CASE WHEN rejected THEN 'rejected'
            ELSE (ARRAY['received','verifying','in_progress','resolved','responded','closed'])
                 [level + 1] END,
       unit_id, ward_id, source, 1, opened, opened, 1, 'phan anh so ' || id, 1, opened, opened,
       false
FROM bench_seed;

INSERT INTO case_events (case_id, kind, created_at, from_value, to_value, is_public, data)
SELECT s.id, e.kind, e.at, e.from_value, e.to_value, false, CAST('{}' AS json)
FROM bench_seed AS s
CROSS JOIN LATERAL (VALUES
    ('created', s.opened, NULL, 'received', 0, 'any'),
    ('status_changed', s.verified_at, 'received', 'rejected', 2, 'rejected'),
    ('status_changed', s.opened + (s.verified_at - s.opened) / 3, 'received', 'verifying', 1,
     'handled'),
    ('status_changed', s.verified_at, 'verifying', 'in_progress', 2, 'handled'),
    ('status_changed', s.resolved_at, 'in_progress', 'resolved', 3, 'handled'),
    ('status_changed', s.responded_at, 'resolved', 'responded', 4, 'handled'),
    ('status_changed', s.responded_at + interval '1 day', 'responded', 'closed', 5, 'handled')
) AS e(kind, at, from_value, to_value, need, path)
WHERE s.level >= e.need
  AND (e.path = 'any' OR (e.path = 'rejected') = s.rejected);

INSERT INTO stats_stage_times (case_id, cycle, stage, started_at, stopped_at, working_seconds,
                               calendar_seconds, target_seconds, on_time, unit_id, category,
                               source, priority, ward_id)
SELECT s.id, 1, st.stage, s.opened, st.at, m.working, m.calendar, st.target,
       m.working <= st.target, s.unit_id, s.category, s.source, s.priority, s.ward_id
FROM bench_seed AS s
CROSS JOIN LATERAL (VALUES
    ('verified', s.verified_at, 2, 28800),
    ('resolved', s.resolved_at, 3, 144000),
    ('responded', s.responded_at, 4, 201600)
) AS st(stage, at, need, target)
CROSS JOIN LATERAL (
    SELECT CAST(extract(epoch FROM st.at - s.opened) AS integer) AS calendar,
           CAST(extract(epoch FROM st.at - s.opened) * 40 / 168 AS integer) AS working
) AS m
WHERE s.level >= st.need AND (NOT s.rejected OR st.stage = 'verified');
"""


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)


def _database_url() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"


def seed(app, total: int, now) -> None:
    from app.cases.backlog import rebuild_counts
    from app.extensions import db

    with app.app_context():
        have = db.session.execute(text("SELECT count(*) FROM cases")).scalar()
        if have >= total:
            print(f"  {have:,} cases already seeded", flush=True)
            return
        if have:
            db.session.execute(
                text("TRUNCATE cases, case_events, stats_stage_times RESTART IDENTITY CASCADE")
            )
        began = time.perf_counter()
        for start in range(1, total + 1, BATCH):
            stop = min(total, start + BATCH - 1)
            db.session.execute(text("SET LOCAL synchronous_commit = off"))
            # Triggers off while loading (the backlog counters are recounted once below).
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in SEED_BATCH.split(";\n\n"):
                db.session.execute(text(statement), {"start": start, "stop": stop, "now": now})
            db.session.commit()
            print(
                f"  seeded {stop:,}/{total:,} cases with their events and stage times "
                f"({time.perf_counter() - began:.0f} s)",
                flush=True,
            )
        db.session.execute(text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
        print("  counting the open cases into the backlog counters…", flush=True)
        rebuild_counts()
        db.session.commit()
    with psycopg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB_NAME}", autocommit=True) as conn:
        # Index-only scans need the visibility map; the planner needs the statistics.
        for table in ("stats_stage_times", "cases", "case_events", "case_backlog_counts"):
            print(f"  vacuuming and analysing {table}…", flush=True)
            conn.execute(f"VACUUM ANALYZE {table}")
    print(f"  vacuumed and analysed ({time.perf_counter() - began:.0f} s in all)", flush=True)


def check_counters(app, now) -> None:
    """The backlog from the counters equals the backlog from every open case."""
    from app.cases.backlog import open_counts
    from app.extensions import db

    with app.app_context():
        for group_by in BACKLOG_GROUPS:
            counters = open_counts(group_by, now, method="counters")
            scan = open_counts(group_by, now, method="scan")
            assert counters == scan, f"backlog counters differ from the cases by {group_by}"
        db.session.remove()
    print("  backlog counters checked against the cases: equal", flush=True)


def last_full_month(today: date) -> tuple[date, date]:
    first_of_this = today.replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


def run(total: int = 1_000_000, runs: int = 50) -> None:
    from app.extensions import db
    from app.models import utcnow

    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    app, token = analyst_app(_database_url(), "stats")
    now = utcnow()
    try:
        seed(app, total, now)
        check_counters(app, now)
        first, last = last_full_month(now.date())
        with app.app_context():
            month_rows = db.session.execute(
                text(
                    "SELECT count(*) FROM stats_stage_times WHERE stage = 'resolved' "
                    "AND stopped_at >= :a AND stopped_at < :b"
                ),
                {"a": first, "b": last + timedelta(days=1)},
            ).scalar()
            all_rows = db.session.execute(text("SELECT count(*) FROM stats_stage_times")).scalar()
            open_cases = db.session.execute(
                text(
                    "SELECT count(*) FROM cases WHERE status IN "
                    "('received', 'verifying', 'in_progress', 'waiting', 'resolved')"
                )
            ).scalar()
            db.session.remove()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        month = f"from={first.isoformat()}&to={last.isoformat()}"

        def timer(url: str, expect_rows: int | None = None):
            def call():
                response = client.get(url, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                if expect_rows is not None:
                    assert len(response.get_json()["rows"]) >= expect_rows

            return call

        url = f"/api/v1/stats/handling-time?group_by=unit&stage=resolved&{month}"
        print(
            f"  GET {url}  ({month_rows:,} resolved stage times in the month, "
            f"{all_rows:,} in all, {total:,} cases)",
            flush=True,
        )
        samples = timed(timer(url, expect_rows=100), runs)
        results = [("handling time by unit over a month", samples, TARGET_P95_MS)]
        print(
            f"stats handling time by unit over a month ({total:,} cases): {summary(samples)} "
            f"— {verdict(samples, TARGET_P95_MS)}",
            flush=True,
        )
        for name, other in (
            ("by category, verified", f"group_by=category&stage=verified&{month}"),
            ("by day, responded", f"group_by=period&period=day&stage=responded&{month}"),
            ("by ward", f"group_by=ward&stage=resolved&{month}"),
        ):
            other_url = f"/api/v1/stats/handling-time?{other}"
            print(f"  {name}: {summary(timed(timer(other_url), 30))}", flush=True)

        print(f"  {open_cases:,} open cases of {total:,}", flush=True)
        for group in BACKLOG_GROUPS:
            url = f"/api/v1/stats/backlog?group_by={group}"
            probe = client.get(url, headers=headers)
            if probe.status_code != 200:
                print(f"  GET {url}: HTTP {probe.status_code}, not timed", flush=True)
                results.append((f"backlog by {group}", None, BACKLOG_TARGET_P95_MS))
                continue
            print(f"  GET {url}  ({len(probe.get_json()['rows'])} rows)", flush=True)
            samples = timed(timer(url, expect_rows=2), runs)
            results.append((f"backlog by {group}", samples, BACKLOG_TARGET_P95_MS))
            print(
                f"stats backlog by {group} ({total:,} cases): {summary(samples)} "
                f"— {verdict(samples, BACKLOG_TARGET_P95_MS)}",
                flush=True,
            )
        print(f"stats summary ({total:,} cases):", flush=True)
        for name, samples, target in results:
            if samples is None:
                print(f"  {name:<36} not available — FAIL", flush=True)
            else:
                print(
                    f"  {name:<36} median {statistics.median(samples):6.1f} ms, "
                    f"p95 {p95(samples):6.1f} ms — {verdict(samples, target)}",
                    flush=True,
                )
    finally:
        if keep:
            print(f"  kept the database {DB_NAME} (BENCH_KEEP_DB=1)")
        else:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            print(f"  dropped the database {DB_NAME}")
