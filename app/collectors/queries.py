"""Search query strings for the sources that can search (X, YouTube).

Sources that cannot search (Facebook pages, Zalo, RSS) take everything and
rely on the watchlist matcher afterwards.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from app.core.text import fold

log = logging.getLogger(__name__)

SEARCHABLE_SOURCES = ("x", "youtube")
X_DEFAULT_MAX_LENGTH = 512  # the query limit of X's self-serve tiers
_BARE_WORD = re.compile(r"^\w+$")
_RESERVED_WORDS = {"OR", "AND", "NOT"}


def _quoted(term: str) -> str:
    """A term as one search token: bare when it is a single word, else a quoted phrase."""
    term = " ".join(term.replace('"', " ").split())
    if _BARE_WORD.match(term) and term.upper() not in _RESERVED_WORDS:
        return term
    return f'"{term}"'


def _variants(term: str, include_unaccented: bool) -> list[str]:
    """The term, plus its form without diacritics since many people type without them."""
    variants = [_quoted(term)]
    if include_unaccented:
        bare = _quoted(fold(term))
        if bare.lower() != variants[0].lower():
            variants.append(bare)
    return variants


def _clean_terms(terms: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    cleaned = []
    for term in terms:
        term = " ".join(str(term).replace('"', " ").split())
        if term and term.lower() not in seen:
            seen.add(term.lower())
            cleaned.append(term)
    return cleaned


def x_query(
    terms: Iterable[str],
    *,
    mode: str = "any",
    must_not: Iterable[str] = (),
    language: str | None = "vi",
    max_length: int = X_DEFAULT_MAX_LENGTH,
    include_unaccented: bool = True,
) -> str:
    """An X API v2 search query: terms ORed (mode any) or ANDed (mode all), `-is:retweet`.

    In mode any, terms that do not fit in `max_length` are dropped with a
    warning (the rest still searches); in mode all a too-long query is a
    ValueError, because dropping a term would widen the search.
    """
    terms = _clean_terms(terms)
    if not terms:
        raise ValueError("a search query needs at least one term")
    if mode not in ("any", "all"):
        raise ValueError(f"cannot search for mode {mode!r}")
    suffix_parts = [
        f"-{variant}"
        for term in _clean_terms(must_not)
        for variant in _variants(term, include_unaccented)
    ]
    if language:
        suffix_parts.append(f"lang:{language}")
    suffix_parts.append("-is:retweet")
    suffix = " ".join(suffix_parts)

    def group(term: str) -> list[str]:
        return _variants(term, include_unaccented)

    if mode == "all":
        parts = []
        for term in terms:
            variants = group(term)
            parts.append(variants[0] if len(variants) == 1 else f"({' OR '.join(variants)})")
        query = f"{' '.join(parts)} {suffix}"
        if len(query) > max_length:
            raise ValueError(f"X query is {len(query)} characters, over the limit of {max_length}")
        return query

    chosen: list[str] = []
    budget = max_length - len(suffix) - len("() ")
    dropped = 0
    for term in terms:
        candidate = chosen + group(term)
        if len(" OR ".join(candidate)) <= budget:
            chosen = candidate
        else:
            dropped += 1
    if not chosen:
        raise ValueError(f"no term fits in an X query of {max_length} characters")
    if dropped:
        log.warning(
            "X query: %d of %d terms did not fit in %d characters", dropped, len(terms), max_length
        )
    body = chosen[0] if len(chosen) == 1 else f"({' OR '.join(chosen)})"
    return f"{body} {suffix}"


def youtube_query(terms: Iterable[str], *, mode: str = "any", must_not: Iterable[str] = ()) -> str:
    """A YouTube `search.list` q: phrases quoted, `|` for OR, `-` to exclude."""
    terms = _clean_terms(terms)
    if not terms:
        raise ValueError("a search query needs at least one term")
    if mode not in ("any", "all"):
        raise ValueError(f"cannot search for mode {mode!r}")
    joiner = "|" if mode == "any" else " "
    query = joiner.join(_quoted(term) for term in terms)
    exclusions = " ".join(f"-{_quoted(term)}" for term in _clean_terms(must_not))
    return f"{query} {exclusions}".strip()


def search_query(
    source_kind: str, terms: Iterable[str], *, mode: str = "any", must_not: Iterable[str] = ()
) -> str | None:
    """The query string for `source_kind`, or None when that source cannot search."""
    if source_kind == "x":
        return x_query(terms, mode=mode, must_not=must_not)
    if source_kind == "youtube":
        return youtube_query(terms, mode=mode, must_not=must_not)
    return None
