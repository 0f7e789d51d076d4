"""The SLA scan over 1,000,000 running clocks in PostgreSQL.

    python -m bench sla [--cases N]

Reuses the benchmark database and the cases of `python -m bench cases` (seeding
them if needed) and gives each case a running `resolve` clock (re-seeded on
every run, relative to now): due times are spread evenly from one hour ago to
30 days ahead, warnings one day before. A supervisor per unit receives the
notifications. Then it times the scan three times:

1. catch-up: everything already past its warning or due time is flagged at
   once (about 3 % of the clocks), with its events and notifications;
2. the same instant again: nothing left to flag (the idempotent re-run);
3. one minute later: what one minute brings, the steady state.
"""

import time
from datetime import timedelta

import psycopg
from sqlalchemy import text

from bench.common import ADMIN_DSN, BENCH_DB, bench_database_url

SPAN_SECONDS = 30 * 86400 + 3600
PAST_SECONDS = 3600

SEED_CLOCKS = """
INSERT INTO sla_clocks (case_id, metric, cycle, calendar_id, counting, target_seconds,
                        at_risk_percent, state, started_at, due_at, warn_at, pauses,
                        paused_seconds, elapsed_seconds, created_at)
SELECT id, 'resolve', 1, :calendar_id, 'working', 144000, 20, 'running',
       due - interval '7 days', due, due - interval '1 day', '[]', 0, 0, :now
FROM (SELECT id, CAST(:now AS timestamptz)
                 + (((id::bigint * 7919) % :span) - :past) * interval '1 second' AS due
      FROM (SELECT id FROM cases ORDER BY id LIMIT :total) AS first_cases) AS spread
"""

SEED_SUPERVISORS = """
INSERT INTO users (email, full_name, password_hash, role, unit_id, is_active_account,
                   created_at)
SELECT 'bench-supervisor-' || u.id || '@socialbeat.vn', 'Bench supervisor ' || u.id,
       'bench-no-login', 'supervisor', u.id, true, :now
FROM units u
WHERE NOT EXISTS (SELECT 1 FROM users s WHERE s.unit_id = u.id AND s.role = 'supervisor')
"""


def _reset(app, total: int, now) -> int:
    from app.cases.sla.policies import load_default_sla
    from app.extensions import db

    with app.app_context():
        load_default_sla()
        calendar_id = db.session.execute(
            text("SELECT id FROM sla_calendars WHERE name = 'default'")
        ).scalar_one()
        db.session.execute(text(SEED_SUPERVISORS), {"now": now})
        # The timeline is append-only; replica mode lets the benchmark undo its own events.
        db.session.execute(text("SET session_replication_role = replica"))
        db.session.execute(
            text("DELETE FROM case_events WHERE kind IN ('sla_at_risk', 'sla_breached')")
        )
        db.session.execute(text("SET session_replication_role = DEFAULT"))
        db.session.execute(text("TRUNCATE notifications, sla_clocks RESTART IDENTITY"))
        db.session.execute(
            text(SEED_CLOCKS),
            {
                "calendar_id": calendar_id,
                "now": now,
                "span": SPAN_SECONDS,
                "past": PAST_SECONDS,
                "total": total,
            },
        )
        db.session.commit()
        running = db.session.execute(
            text("SELECT count(*) FROM sla_clocks WHERE state = 'running'")
        ).scalar_one()
    with psycopg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{BENCH_DB}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE sla_clocks")
        conn.execute("ANALYZE case_events")
    return running


def _timed_scan(app, now) -> tuple[float, object]:
    from app.cases.sla.escalation import scan
    from app.extensions import db

    with app.app_context():
        started = time.perf_counter()
        result = scan(now)
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, result


def run(total: int = 1_000_000) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.models import utcnow
    from app.units.operations import load_hcmc
    from bench.cases import seed
    from config import Config

    config = type(
        "BenchConfig",
        (Config,),
        {"SQLALCHEMY_DATABASE_URI": bench_database_url(), "JOBS_MODE": "inline"},
    )
    app = create_app(config)
    print("sla benchmark: preparing the database…", flush=True)
    with app.app_context():
        upgrade()
        load_hcmc()
    seed(app, total)
    now = utcnow()
    began = time.perf_counter()
    running = _reset(app, total, now)
    print(f"  seeded {running:,} running clocks ({time.perf_counter() - began:.1f} s)")

    runs = (
        ("catch-up scan", now),
        ("same instant again", now),
        ("one minute later", now + timedelta(minutes=1)),
    )
    for name, moment in runs:
        elapsed, result = _timed_scan(app, moment)
        print(
            f"sla scan of {running:,} running clocks, {name}: {elapsed:.2f} s "
            f"(at risk {result.at_risk:,}, breached {result.breached:,}, "
            f"notifications {result.notifications:,})",
            flush=True,
        )
