"""Listing 50 cases out of 1,000,000 in PostgreSQL, filtered by unit and status.

    python -m bench cases [--cases N]

Seeds the benchmark database once (kept between runs), then times
GET /api/v1/cases?unit=…&status=…&per_page=50 end to end through the app.
"""

import time

from sqlalchemy import text

from bench.common import bench_database_url, summary, timed

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


def seed(app, total: int) -> None:
    from app.extensions import db

    with app.app_context():
        have = db.session.execute(text("SELECT count(*) FROM cases")).scalar()
        if have >= total:
            print(f"  {have:,} cases already seeded")
            return
        batch = 100_000
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
                f"  seeded {stop:,}/{total:,} cases ({time.perf_counter() - began:.1f} s)",
                flush=True,
            )
        db.session.execute(text("ANALYZE cases"))
        db.session.execute(text("ANALYZE case_events"))
        db.session.commit()


def run(total: int = 1_000_000, runs: int = 50) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.units.operations import load_hcmc
    from app.users.models import User
    from app.users.operations import issue_token
    from config import Config

    config = type(
        "BenchConfig",
        (Config,),
        {"SQLALCHEMY_DATABASE_URI": bench_database_url(), "JOBS_MODE": "inline"},
    )
    app = create_app(config)
    print("cases benchmark: preparing the database…", flush=True)
    with app.app_context():
        upgrade()
        load_hcmc()
        officer = db.session.scalar(db.select(User).where(User.email == "bench@socialbeat.vn"))
        if officer is None:
            from app.users.operations import create_user

            officer = create_user("bench@socialbeat.vn", "bench-password", "admin", "UBND-TP")
        _, token = issue_token(officer, name="bench")
    seed(app, total)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/cases?unit=SO-XD&status=in_progress&per_page=50"

    def list_page():
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert len(response.get_json()["items"]) == 50

    with app.app_context():
        matching = db.session.execute(
            text(
                "SELECT count(*) FROM cases c JOIN units u ON u.id = c.unit_id "
                "WHERE u.code = 'SO-XD' AND c.status = 'in_progress'"
            )
        ).scalar()
    print(f"  GET {url}  ({matching:,} matching of {total:,})")
    print(
        f"cases list (50 of {total:,}, filtered by unit and status): {summary(timed(list_page, runs))}"
    )
