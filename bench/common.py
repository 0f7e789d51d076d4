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


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms (n={len(ordered)})"
