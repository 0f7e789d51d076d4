"""Shared benchmark helpers: a dedicated PostgreSQL database and timing statistics."""

import os
import statistics
import time
from collections.abc import Callable

import psycopg

ADMIN_DSN = os.environ.get(
    "BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = os.environ.get("BENCH_DATABASE", "socialbeat_bench")


def bench_database_url() -> str:
    """Create the benchmark database if needed (it is kept between runs to save seeding time)."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DB}"


def timed(function: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    """Milliseconds per call over `runs` calls, after `warmup` untimed calls."""
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    """The 95th percentile of the samples (the nearest rank below)."""
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]


def verdict(samples: list[float], target: float) -> str:
    """PASS or FAIL of the samples' p95 against a target in milliseconds."""
    if p95(samples) < target:
        return f"PASS (p95 under {target} ms)"
    return f"FAIL (p95 {target} ms or more)"


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95(ordered):.1f} ms, max {ordered[-1]:.1f} ms (n={len(ordered)})"


def analyst_app(database_url: str, title: str):
    """The app on `database_url` (jobs inline, migrated, the city's units loaded) and a
    bearer token of an analyst, who sees every unit: (app, token)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.units.operations import load_hcmc
    from app.users.operations import create_user, get_user_by_email, issue_token
    from config import Config

    config = type(
        "BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": database_url, "JOBS_MODE": "inline"}
    )
    app = create_app(config)
    print(f"{title} benchmark: preparing the database…", flush=True)
    with app.app_context():
        upgrade()
        load_hcmc()
        analyst = get_user_by_email("bench-analyst@socialbeat.vn") or create_user(
            "bench-analyst@socialbeat.vn", "bench-password", "analyst", "VP-UBND"
        )
        _, token = issue_token(analyst, name="bench")
    return app, token
