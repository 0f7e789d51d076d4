"""The cases list, the officers' queue page and the case page over 1,000,000 cases in PostgreSQL.

    python -m bench cases [--cases N]

Seeds the benchmark database once (kept between runs; progress is printed), then gives the
benchmark unit (SO-XD) what an officer's queue shows: colleagues, assignees, and SLA clocks on
its open cases counted in working time on the default calendar (re-seeded on every run,
relative to now, so some are overdue, some at risk and some paused). Then it times, end to end
through the app:

1. GET /api/v1/cases?unit=SO-XD&status=in_progress&per_page=50 with a bearer token;
2. signed in as an officer of SO-XD (through the sign-in form, with its session cookie):
   the queue page /cases?unit=SO-XD&status=in_progress&per_page=50, the plain /cases page
   and a case page /cases/<id>.

Prints the median and p95 of each and PASS/FAIL against the target: the queue page's median
under 30 ms. BENCH_PROFILE=1 also prints where one queue page's time goes (cProfile).
"""

import cProfile
import io
import os
import pstats
import re
import statistics
import time

import psycopg
from sqlalchemy import text

from bench.common import ADMIN_DSN, BENCH_DB, bench_database_url, summary, timed

UNIT = "SO-XD"
STATUS = "in_progress"
QUEUE_TARGET_MS = 30
OFFICER_EMAIL = "bench-officer@socialbeat.vn"
OFFICER_PASSWORD = "bench-password"
COLLEAGUES = 12

SEED_SQL = """
INSERT INTO cases (code, title, description, category, priority, status, unit_id, ward_id, source,
                   mention_count, first_seen_at, last_seen_at, cycle, search_text, version,
                   created_at, updated_at, needs_verification)
SELECT 'BENCH-' || lpad(g::text, 9, '0'),
       'Phản ánh số ' || g, 'Nội dung phản ánh ' || g,
       (ARRAY['flooding','traffic','environment','urban_order','security','infrastructure',
              'administrative','health','education','other'])[1 + g % 10],
       (ARRAY['P1','P2','P3','P3','P3','P4'])[1 + g % 6],
       (ARRAY['received','verifying','in_progress','waiting','resolved','responded','closed',
              'rejected','closed','closed'])[1 + (g / 7) % 10],
       units[1 + g % array_length(units, 1)], wards[1 + g % array_length(wards, 1)],
       (ARRAY['facebook','press','citizen','zalo','youtube','x'])[1 + g % 6],
       1 + g % 5, ts, ts, 1, 'phan anh so ' || g, 1, ts, ts, false
FROM generate_series(:start, :stop) AS g,
     LATERAL (SELECT now() - ((g % 525600) || ' minutes')::interval AS ts) t,
     (SELECT array_agg(id) AS units FROM units) u,
     (SELECT array_agg(id) AS wards FROM units WHERE kind IN ('ward', 'commune', 'special_zone')) w
"""

#: The open cases of one unit get their clocks as the workflow would have started them:
#: verify while not yet verified, resolve and respond until done. Due times are spread from
#: two days ago to ten days ahead; the waiting cases' clocks are paused.
SEED_CLOCKS = """
INSERT INTO sla_clocks (case_id, metric, cycle, calendar_id, counting, target_seconds,
                        at_risk_percent, state, started_at, due_at, warn_at, pauses,
                        paused_at, paused_seconds, elapsed_seconds, breached_at, created_at)
SELECT id, metric, 1, :calendar_id, 'working', target, 20,
       CASE WHEN due < :now THEN 'breached' WHEN status = 'waiting' THEN 'paused'
            ELSE 'running' END,
       due - interval '7 days', due, due - interval '8 hours', '[]',
       CASE WHEN status = 'waiting' THEN CAST(:now AS timestamptz) - interval '1 hour' END,
       0, CASE WHEN status = 'waiting' THEN target / 2 ELSE 0 END,
       CASE WHEN due < :now THEN due END, :now
FROM (SELECT c.id, c.status, m.metric, m.target,
             CAST(:now AS timestamptz)
                 + (((c.id::bigint * 7919 + m.k * 104729) % 1036800) - 172800)
                   * interval '1 second' AS due
      FROM cases c
      CROSS JOIN (VALUES ('verify', 1, 28800), ('resolve', 2, 144000), ('respond', 3, 172800))
                 AS m(metric, k, target)
      WHERE c.unit_id = :unit_id AND c.status IN ('received', 'verifying', 'in_progress', 'waiting')
        AND (m.metric <> 'verify' OR c.status IN ('received', 'verifying'))) AS spread
"""


def seed(app, total: int) -> None:
    """Seed `total` cases with their first timeline event; what is there already is kept."""
    from app.extensions import db

    with app.app_context():
        have = db.session.execute(text("SELECT count(*) FROM cases")).scalar()
        if have >= total:
            print(f"  {have:,} cases already seeded (kept between runs)", flush=True)
            return
        print(f"  seeding {total - have:,} cases (once; the database is kept)…", flush=True)
        batch, began_all = 100_000, time.perf_counter()
        for start in range(have + 1, total + 1, batch):
            stop = min(total, start + batch - 1)
            began = time.perf_counter()
            db.session.execute(text(SEED_SQL), {"start": start, "stop": stop})
            db.session.execute(
                text(
                    "INSERT INTO case_events (case_id, kind, created_at, to_value, is_public, data) "
                    "SELECT id, 'created', created_at, 'received', false, '{}' FROM cases WHERE id BETWEEN :a AND :b"
                ),
                {"a": start, "b": stop},
            )
            db.session.commit()
            print(
                f"  seeded {stop:,}/{total:,} cases ({time.perf_counter() - began:.1f} s, "
                f"{time.perf_counter() - began_all:.0f} s in all)",
                flush=True,
            )
    vacuum_analyze("cases", "case_events")


#: Every other unit's open cases get a next due time too (once, relative to the seeding), so the
#: queue's default sort (next deadline first) meets an index as full as in production.
SEED_NEXT_DUE = """
UPDATE cases SET next_due_at = now() + (((id::bigint * 7919) % 1036800) - 172800) * interval '1 second'
WHERE status IN ('received', 'verifying', 'in_progress', 'waiting') AND next_due_at IS NULL
  AND unit_id <> :unit_id
"""


def seed_next_due(app) -> None:
    from app.extensions import db

    with app.app_context():
        unit_id = db.session.execute(
            text("SELECT id FROM units WHERE code = :u"), {"u": UNIT}
        ).scalar_one()
        done = db.session.execute(
            text("SELECT 1 FROM cases WHERE next_due_at IS NOT NULL AND unit_id <> :u LIMIT 1"),
            {"u": unit_id},
        ).scalar()
        if done:
            return
        began = time.perf_counter()
        print("  giving the open cases of every unit a next due time (once)…", flush=True)
        db.session.execute(text(SEED_NEXT_DUE), {"unit_id": unit_id})
        db.session.commit()
        print(f"  done ({time.perf_counter() - began:.1f} s)", flush=True)
    vacuum_analyze("cases")


def vacuum_analyze(*tables: str) -> None:
    """What autovacuum does to a table after bulk writes: statistics and the visibility map."""
    with psycopg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{BENCH_DB}", autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")


def seed_unit(app, now) -> tuple[int, int]:
    """The officer, colleagues, assignees and fresh SLA clocks of the benchmark unit.

    Returns (officer id, the number of open clocks seeded).
    """
    from app.cases.sla.policies import load_default_sla
    from app.extensions import db
    from app.users.models import User
    from app.users.operations import create_user

    with app.app_context():
        load_default_sla()
        officer = db.session.scalar(db.select(User).where(User.email == OFFICER_EMAIL))
        if officer is None:
            officer = create_user(
                OFFICER_EMAIL, OFFICER_PASSWORD, "officer", UNIT, full_name="Bench Officer"
            )
            for n in range(COLLEAGUES):
                create_user(
                    f"bench-officer-{n}@socialbeat.vn",
                    OFFICER_PASSWORD,
                    "officer",
                    UNIT,
                    full_name=f"Cán bộ {n:02d}",
                )
            db.session.commit()
        unit_id = officer.unit_id
        colleague_ids = db.session.scalars(
            db.select(User.id).where(User.unit_id == unit_id).order_by(User.id)
        ).all()
        # Two cases in three are assigned, round robin among the unit's officers.
        db.session.execute(
            text(
                "UPDATE cases SET assignee_id = (CAST(:ids AS int[]))[1 + id % :n] "
                "WHERE unit_id = :unit_id AND assignee_id IS NULL AND id % 3 <> 0"
            ),
            {"ids": list(colleague_ids), "n": len(colleague_ids), "unit_id": unit_id},
        )
        calendar_id = db.session.execute(
            text("SELECT id FROM sla_calendars WHERE name = 'default'")
        ).scalar_one()
        db.session.execute(
            text(
                "DELETE FROM sla_clocks WHERE case_id IN (SELECT id FROM cases WHERE unit_id = :u)"
            ),
            {"u": unit_id},
        )
        db.session.execute(
            text(SEED_CLOCKS), {"calendar_id": calendar_id, "now": now, "unit_id": unit_id}
        )
        db.session.execute(
            text(
                "UPDATE cases c SET next_due_at = (SELECT min(due_at) FROM sla_clocks k "
                "WHERE k.case_id = c.id AND k.stopped_at IS NULL) WHERE c.unit_id = :u"
            ),
            {"u": unit_id},
        )
        db.session.commit()
        clocks = db.session.execute(
            text(
                "SELECT count(*) FROM sla_clocks k JOIN cases c ON c.id = k.case_id "
                "WHERE c.unit_id = :u"
            ),
            {"u": unit_id},
        ).scalar_one()
        officer_id = officer.id
    vacuum_analyze("cases", "sla_clocks")
    return officer_id, clocks


def sign_in(client) -> None:
    """Sign the officer in through the form, as a browser does (CSRF token, session cookie)."""
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": OFFICER_EMAIL, "password": OFFICER_PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _getter(client, url: str, must_contain: str, headers=None):
    def get():
        response = client.get(url, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, (url, response.status_code, body[:300])
        assert must_contain in body, (url, must_contain)

    return get


def _profile(function, runs: int = 20) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        function()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
    print(f"  profile of {runs} queue pages (cumulative):")
    print(out.getvalue())


def run(total: int = 1_000_000, runs: int = 50) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import utcnow
    from app.units.operations import load_hcmc
    from app.users.models import User
    from app.users.operations import issue_token
    from config import Config

    config = type(
        "BenchConfig",
        (Config,),
        {
            "SQLALCHEMY_DATABASE_URI": bench_database_url(),
            "JOBS_MODE": "inline",
            # The test client speaks plain http; the cookie is the same otherwise.
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        },
    )
    app = create_app(config)
    print("cases benchmark: preparing the database…", flush=True)
    with app.app_context():
        upgrade()
        load_hcmc()
        admin = db.session.scalar(db.select(User).where(User.email == "bench@socialbeat.vn"))
        if admin is None:
            from app.users.operations import create_user

            admin = create_user("bench@socialbeat.vn", "bench-password", "admin", "UBND-TP")
        _, token = issue_token(admin, name="bench")
    seed(app, total)
    seed_next_due(app)
    _officer_id, clocks = seed_unit(app, utcnow())
    with app.app_context():
        matching, unit_cases, case_id = db.session.execute(
            text(
                "SELECT count(*) FILTER (WHERE c.status = :s), count(*), "
                "min(c.id) FILTER (WHERE c.status = :s) "
                "FROM cases c JOIN units u ON u.id = c.unit_id WHERE u.code = :u"
            ),
            {"s": STATUS, "u": UNIT},
        ).one()
    if case_id is None:
        raise SystemExit(f"no {STATUS} case in {UNIT}: seed more cases (--cases)")
    print(
        f"  unit {UNIT}: {unit_cases:,} of {total:,} cases, {matching:,} {STATUS}, "
        f"{clocks:,} SLA clocks",
        flush=True,
    )

    api_url = f"/api/v1/cases?unit={UNIT}&status={STATUS}&per_page=50"
    api_client = app.test_client()
    officer_client = app.test_client()
    sign_in(officer_client)
    pages = [
        (
            "API list (50, unit+status)",
            api_url,
            _getter(api_client, api_url, '"items"', {"Authorization": f"Bearer {token}"}),
            None,
        ),
        (
            "queue page (50, unit+status)",
            f"/cases?unit={UNIT}&status={STATUS}&per_page=50",
            _getter(officer_client, f"/cases?unit={UNIT}&status={STATUS}&per_page=50", "<tbody>"),
            QUEUE_TARGET_MS,
        ),
        ("plain queue page", "/cases", _getter(officer_client, "/cases", "<tbody>"), None),
        (
            "case page",
            f"/cases/{case_id}",
            _getter(officer_client, f"/cases/{case_id}", "data-countdown"),
            None,
        ),
    ]
    if os.environ.get("BENCH_PROFILE"):
        _profile(pages[1][2])
    for name, url, function, target in pages:
        samples = timed(function, runs)
        verdict = ""
        if target is not None:
            passed = statistics.median(samples) < target
            verdict = f"  {'PASS' if passed else 'FAIL'} (target: median < {target} ms)"
        print(f"  {name}: GET {url}\n    {summary(samples)}{verdict}", flush=True)
