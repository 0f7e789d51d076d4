"""Fixtures for collector tests: an HTTP client that records its sleeps instead of sleeping."""

import pytest

from app.collectors.http import HttpClient


@pytest.fixture
def sleeps():
    """Every wait the client asked for, in order; nothing really sleeps."""
    return []


@pytest.fixture
def make_http(sleeps):
    """Build a fast `HttpClient` for a source: 3 attempts, no jitter, recorded sleeps."""

    def make(source: str, **overrides) -> HttpClient:
        options = {"sleep": sleeps.append, "jitter": lambda: 0.0, "max_attempts": 3, "timeout": 5}
        options.update(overrides)
        return HttpClient(source, **options)

    return make
