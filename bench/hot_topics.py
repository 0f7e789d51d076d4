"""Hot topics and hot keywords over 1,000,000 posts (31 days) in PostgreSQL, uncached.

    python -c "from bench.hot_topics import run; run()"      (or through `python -m bench`)

Seeds its own database (`socialbeat_bench_hot`) with N posts spread evenly over the last 31
days, stored in the order they were posted (as collectors store them).
Their texts are the ~4,900 hand-written posts of the labelled dataset (data/triage/raw), each
with its relevance, category and sentiment; the keywords of each text are read once with the
app's segmenter (after learning the dataset's compounds, as triage would) and stored for every
post that uses it. Relevant posts are mentions of cases that gather their posts within six
hours (about 30 mentions each); 40 % of the posts name a ward. The last 24 hours also hold a
flood: 1 % of the posts, flooding texts, about 20 cases. Posts and keywords are inserted with
SQL (generate_series); the hourly counts are then built by the app's own
`stats rebuild-hourly` (without reading the texts again), with its progress.

Then it times, end to end through the app with a real bearer token, uncached (the app runs
with JOBS_MODE=inline, so without Redis, where the page and the API keep hot keywords for
five minutes),

    GET /api/v1/trends?window=24h&limit=10

which answers hot cases and hot keywords (and the 30-day sentiment and volume, and the spike
alerts), as an analyst (every unit), and prints the median and p95 of n runs with PASS or
FAIL against a p95 under 300 ms. A 7-day window and the parts (hot cases, hot keywords) are
timed for information. The database is dropped at the end unless BENCH_KEEP_DB=1 (then a
later run reuses the seed).
"""

from __future__ import annotations

import gc
import glob
import json
import os
import statistics
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import text

from bench.common import ADMIN_DSN, analyst_app, p95, summary, timed, verdict

DB_NAME = os.environ.get("BENCH_HOT_DATABASE", "socialbeat_bench_hot")
BATCH = 100_000
TARGET_P95_MS = 300
DAYS = 31
#: Share of the posts that are the last day's flood, and how many cases it makes.
SPIKE_SHARE = 0.01
SPIKE_CASES = 20
#: Relevant posts within one six-hour slot gather into this many cases.
CASES_PER_SLOT = 200
#: A kept seed is used again while its last post is this recent (the window moves on).
FRESH = timedelta(hours=2)
DATASET = Path(__file__).resolve().parents[1] / "data" / "triage" / "raw"

SEED_BATCH = """
CREATE TEMP TABLE bench_seed ON COMMIT DROP AS
SELECT g AS id, t.id AS tid, t.relevant, t.category, t.sentiment, t.words, t.terms, t.places,
       at AS posted_at,
       CASE WHEN NOT t.relevant THEN NULL
            WHEN spike THEN CAST(:spike_case AS bigint) + g % CAST(:spike_cases AS bigint)
            ELSE 1 + (floor(extract(epoch FROM CAST(:now AS timestamptz) - at) / 21600)
                      * :per_slot + g % :per_slot)::bigint % CAST(:cases AS bigint) END
           AS case_id,
       (ARRAY['social','social','social','press','direct'])[1 + g % 5] AS channel,
       CASE WHEN g % 5 < 2 THEN wards[1 + (g * 13) % array_length(wards, 1)] END AS ward
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) AS g,
     (SELECT array_agg(id ORDER BY id) AS floods FROM bench_hot_templates
      WHERE category = 'flooding') AS f,
     (SELECT array_agg(code ORDER BY code) AS wards FROM units
      WHERE kind IN ('ward', 'commune', 'special_zone')) AS w,
     LATERAL (SELECT g > CAST(:normal AS bigint) AS spike) AS s,
     LATERAL (
         SELECT CAST(:now AS timestamptz) - CASE
                    WHEN spike THEN 86400.0 * (CAST(:total AS bigint) - g)
                                    / (CAST(:total AS bigint) - CAST(:normal AS bigint))
                    ELSE 86400.0 * :days * (CAST(:normal AS bigint) - g) / CAST(:normal AS bigint)
                    END * interval '1 second' - ((g * 7919) % 600) * interval '1 second' AS at,
                CASE WHEN spike THEN floods[1 + (g * 31) % array_length(floods, 1)]
                     ELSE 1 + (g * 104729) % CAST(:templates AS bigint) END AS pick
     ) AS p,
     bench_hot_templates AS t
WHERE t.id = p.pick;

INSERT INTO posts (id, source, external_id, channel, text, posted_at, collected_at, media_urls,
                   place_hints, watchlist_ids, raw, triage_status, triage_attempts, triaged_at,
                   case_id, is_relevant, category, confidence, priority, sentiment, place,
                   flags, reasons, model_version, needs_review)
SELECT s.id, CASE s.channel WHEN 'press' THEN 'rss' WHEN 'direct' THEN 'citizen'
                  ELSE 'facebook' END,
       'bench-hot-' || s.id, s.channel, t.text, s.posted_at, s.posted_at + interval '3 minutes',
       CAST('[]' AS json), CAST('{}' AS json), CAST('[]' AS json), CAST('{}' AS json), 'done', 1,
       s.posted_at + interval '4 minutes', s.case_id, s.relevant, s.category, 0.9, 'P3',
       s.sentiment,
       CASE WHEN s.ward IS NOT NULL THEN json_build_object(
           'wards', json_build_array(json_build_object('code', s.ward)), 'confidence', 0.9) END,
       CAST('[]' AS json), CAST('[]' AS json), 'bench', false
FROM bench_seed AS s JOIN bench_hot_templates AS t ON t.id = s.tid;

INSERT INTO stats_post_words (post_id, posted_at, counted, words, terms, places)
SELECT id, posted_at, relevant, words, terms, places FROM bench_seed
"""

CASES = """
INSERT INTO cases (id, code, title, description, category, priority, status, unit_id, ward_id,
                   source, mention_count, first_seen_at, last_seen_at, cycle, search_text,
                   version, created_at, updated_at, needs_verification)
SELECT g, 'HOT-' || lpad(g::text, 9, '0'), 'Phản ánh số ' || g, '',
       (ARRAY['flooding','traffic','environment','urban_order','security','infrastructure',
              'administrative','health','education','other'])[1 + g % 10],
       'P3', 'received', units[1 + (g * 31) % array_length(units, 1)], NULL, 'facebook', 30,
       CAST(:now AS timestamptz) - interval '31 days', CAST(:now AS timestamptz), 1,
       'phan anh so ' || g, 1, CAST(:now AS timestamptz) - interval '31 days',
       CAST(:now AS timestamptz), false
FROM generate_series(1, CAST(:total AS bigint)) AS g,
     (SELECT array_agg(id ORDER BY id) AS units FROM units) AS u
"""


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)


def _database_url() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"


def _templates() -> list[dict]:
    rows = []
    for path in sorted(glob.glob(str(DATASET / "*.jsonl"))):
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def _store_templates() -> int:
    """The dataset's texts with their keywords, read as the app reads them."""
    from app.extensions import db
    from app.stats.trends import hourly, lexicon

    db.session.execute(text("DROP TABLE IF EXISTS bench_hot_templates"))
    db.session.execute(
        text(
            "CREATE TABLE bench_hot_templates (id integer PRIMARY KEY, text text, "
            "relevant boolean, category varchar(32), sentiment varchar(16), words json, "
            "terms json, places json)"
        )
    )
    rows = _templates()
    began = time.perf_counter()
    learned = lexicon.learn(r["text"] for r in rows if r["relevant"])
    segmenter = lexicon.segmenter()
    sequences = [segmenter.words(r["text"]) for r in rows]
    learned += lexicon.learn_pairs(sequences)
    segmenter = lexicon.segmenter()
    values = []
    for number, row in enumerate(rows, start=1):
        words = hourly.words_of(segmenter, row["text"])
        values.append(
            {
                "id": number,
                "text": row["text"],
                "relevant": bool(row["relevant"]),
                "category": row["category"] if row["relevant"] else None,
                "sentiment": row.get("sentiment"),
                "words": json.dumps(words, ensure_ascii=False),
                "terms": json.dumps(hourly.terms_of(words), ensure_ascii=False),
                "places": json.dumps(hourly.places_of(words), ensure_ascii=False),
            }
        )
    db.session.execute(
        text(
            "INSERT INTO bench_hot_templates VALUES "
            "(:id, :text, :relevant, :category, :sentiment, CAST(:words AS json), "
            "CAST(:terms AS json), CAST(:places AS json))"
        ),
        values,
    )
    db.session.commit()
    distinct = len({w[0] for v in values for w in json.loads(v["words"])})
    print(
        f"  {len(rows):,} texts read with the segmenter ({learned:,} lexicon entries learned, "
        f"{distinct:,} distinct keywords, {time.perf_counter() - began:.0f} s)",
        flush=True,
    )
    return len(rows)


def seed(app, total: int, now) -> None:
    from app.extensions import db
    from app.stats.trends.hourly_rebuild import rebuild

    with app.app_context():
        have = db.session.execute(text("SELECT count(*) FROM posts")).scalar()
        counted = db.session.execute(text("SELECT count(*) FROM stats_post_counts_daily")).scalar()
        latest = db.session.execute(text("SELECT max(posted_at) FROM posts")).scalar()
        if have >= total and counted and latest > now - FRESH:
            print(f"  {have:,} posts already seeded with their counts", flush=True)
            return
        if have:
            print(f"  {have:,} posts there, older than {FRESH}: seeding again", flush=True)
        began = time.perf_counter()
        db.session.execute(
            text(
                "TRUNCATE posts, stats_post_words, stats_post_counts_hourly, "
                "stats_post_counts_daily, stats_lexicon, cases RESTART IDENTITY CASCADE"
            )
        )
        db.session.commit()
        templates = _store_templates()
        spike = int(total * SPIKE_SHARE)
        normal = total - spike
        cases = DAYS * 4 * CASES_PER_SLOT
        db.session.execute(text(CASES), {"total": cases + SPIKE_CASES, "now": now})
        db.session.commit()
        print(f"  {cases + SPIKE_CASES:,} cases", flush=True)
        params = {
            "now": now,
            "days": DAYS,
            "templates": templates,
            "normal": normal,
            "cases": cases,
            "per_slot": CASES_PER_SLOT,
            "spike_case": cases + 1,
            "spike_cases": SPIKE_CASES,
            "total": total,
        }
        for start in range(1, total + 1, BATCH):
            stop = min(total, start + BATCH - 1)
            db.session.execute(text("SET LOCAL synchronous_commit = off"))
            for statement in SEED_BATCH.split(";\n\n"):
                db.session.execute(text(statement), {**params, "start": start, "stop": stop})
            db.session.commit()
            print(
                f"  seeded {stop:,}/{total:,} posts with their keywords "
                f"({time.perf_counter() - began:.0f} s)",
                flush=True,
            )
        db.session.execute(text("SELECT setval('posts_id_seq', (SELECT max(id) FROM posts))"))
        db.session.execute(text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
        db.session.commit()
        _analyse(("posts", "stats_post_words", "cases"))
        print("  counting per hour and day (flask stats rebuild-hourly --keep-words)…", flush=True)
        rebuild(learn=0, segment=False, progress=lambda line: print(line, flush=True))
        db.session.remove()
    _analyse(("stats_post_counts_hourly", "stats_post_counts_daily"))
    print(f"  seeded in {time.perf_counter() - began:.0f} s", flush=True)


def _analyse(tables) -> None:
    with psycopg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB_NAME}", autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")


def run(total: int = 1_000_000, runs: int = 30) -> None:
    from app.extensions import db
    from app.models import utcnow
    from app.stats.trends import hot_topics as hot

    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    app, token = analyst_app(_database_url(), "hot topics")
    now = utcnow()
    try:
        seed(app, total, now)
        with app.app_context():
            posts = db.session.execute(text("SELECT count(*) FROM posts")).scalar()
            last = db.session.execute(text("SELECT max(posted_at) FROM posts")).scalar()
            day = db.session.execute(
                text("SELECT count(*) FROM posts WHERE posted_at >= :a"),
                {"a": last - timedelta(hours=24)},
            ).scalar()
            rows = db.session.execute(
                text("SELECT count(*) FROM stats_post_counts_hourly")
            ).scalar()
            db.session.remove()
        print(
            f"  {posts:,} posts, {day:,} in the last 24 hours, {rows:,} hourly count rows",
            flush=True,
        )
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def call(url: str):
            def get():
                response = client.get(url, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                return response.get_json()

            return get

        url = "/api/v1/trends?window=24h&limit=10"
        found = call(url)()["hot_topics"]
        # As wsgi.py does once start-up is done: what the process keeps for its life stays
        # out of the collector's full passes (each one paused a request for about 100 ms).
        gc.collect()
        gc.freeze()
        print(
            f"  GET {url}: {len(found['cases'])} hot cases, {len(found['keywords'])} hot "
            f"keywords: {', '.join(k['display'] for k in found['keywords'][:6])}",
            flush=True,
        )
        samples = timed(call(url), runs)
        print(
            f"hot topics and keywords, 24 h window ({posts:,} posts): {summary(samples)} "
            f"— {verdict(samples, TARGET_P95_MS)}",
            flush=True,
        )
        week = timed(call("/api/v1/trends?window=7d&limit=10"), max(5, runs // 3))
        print(f"  7-day window: {summary(week)}", flush=True)
        with app.app_context():
            moment = utcnow()
            start, base = moment - timedelta(hours=24), moment - timedelta(days=8)
            parts = {
                "hot cases": lambda: hot.hot_cases(start, moment, base, 10, 3, None),
                "hot keywords": lambda: hot.hot_keywords(start, moment, base, 10, 3),
            }
            for name, function in parts.items():

                def alone(function=function):
                    # A session of its own each time, as each request has.
                    function()
                    db.session.remove()

                print(f"  {name} alone: {summary(timed(alone, max(5, runs // 3)))}", flush=True)
            db.session.remove()
        print(
            f"hot topics summary ({posts:,} posts): median {statistics.median(samples):.1f} ms, "
            f"p95 {p95(samples):.1f} ms — {verdict(samples, TARGET_P95_MS)}",
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


if __name__ == "__main__":
    run()
