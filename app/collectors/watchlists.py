"""Watchlists: named groups of terms that decide which collected posts are kept.

Matching ignores case and diacritics ("ngap nuoc" finds "Ngập nước") and
respects word boundaries ("ngập" does not match inside "ngậpp"). All terms of
all watchlists go into ONE Aho-Corasick automaton, so a post is scanned once
whatever the number of terms. A multi-word term also matches its hashtag form
("kẹt xe" finds "#ketxe"), since hashtags are how many posts name a topic.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import ahocorasick

from app.collectors.queries import search_query
from app.core.text import fold

PURPOSES = ("topic_monitoring", "direct_feedback", "trend_analysis")
MODES = ("any", "all", "none")
MUST_NOT_SLOT = -1


@dataclass(frozen=True)
class Watchlist:
    """A named group of terms with a purpose and a combination mode.

    mode `any`: at least one term appears; `all`: every term appears; `none`:
    no term appears. In every mode a post containing a `must_not` term is out.
    """

    id: Hashable
    name: str
    terms: tuple[str, ...]
    purpose: str = "topic_monitoring"
    mode: str = "any"
    must_not: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists from callers but keep the dataclass hashable and immutable.
        object.__setattr__(self, "terms", tuple(self.terms))
        object.__setattr__(self, "must_not", tuple(self.must_not))
        if self.purpose not in PURPOSES:
            raise ValueError(f"watchlist {self.name!r}: unknown purpose {self.purpose!r}")
        if self.mode not in MODES:
            raise ValueError(f"watchlist {self.name!r}: unknown mode {self.mode!r}")
        if not self.terms:
            raise ValueError(f"watchlist {self.name!r} has no terms")
        for term in self.terms + self.must_not:
            if not fold(term):
                raise ValueError(f"watchlist {self.name!r}: term {term!r} is empty once folded")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Watchlist:
        """A watchlist from a dict (a DB row, JSON): id, name, terms, purpose, mode, must_not."""
        return cls(
            id=data["id"],
            name=data.get("name") or str(data["id"]),
            terms=tuple(data["terms"]),
            purpose=data.get("purpose") or "topic_monitoring",
            mode=data.get("mode") or "any",
            must_not=tuple(data.get("must_not") or ()),
        )


class _Postings(NamedTuple):
    """What a hit on one automaton key means for the watchlists."""

    #: `any` watchlists this term alone puts the post in (unless a must_not hits too).
    sufficient: frozenset[int]
    #: (watchlist index, slot) needing bookkeeping: a term of an `all` or `none`
    #: watchlist (slot = its term number), or a must_not term (slot = MUST_NOT_SLOT).
    others: tuple[tuple[int, int], ...]


def _postings(entries: list[tuple[int, int, str]]) -> _Postings:
    sufficient = frozenset(index for index, _, mode in entries if mode == "any")
    others = tuple(
        (index, slot) for index, slot, mode in entries if mode != "any" or slot == MUST_NOT_SLOT
    )
    return _Postings(sufficient - {i for i, slot in others if slot == MUST_NOT_SLOT}, others)


class WatchlistMatcher:
    """Matches text against many watchlists at once; build it once, call `match` per post."""

    def __init__(self, watchlists: Iterable[Watchlist | Mapping[str, Any]]):
        self.watchlists: list[Watchlist] = [
            w if isinstance(w, Watchlist) else Watchlist.from_mapping(w) for w in watchlists
        ]
        # folded key -> (entries for plain matches, entries for the '#' compact form);
        # an entry is (watchlist index, term slot or MUST_NOT_SLOT, mode).
        keys: dict[str, tuple[list, list]] = {}
        self._term_counts: list[int] = []
        for index, watchlist in enumerate(self.watchlists):
            slots: dict[str, int] = {}
            for term in watchlist.terms:
                slots.setdefault(fold(term), len(slots))
            self._term_counts.append(len(slots))
            entries = list(slots.items()) + [(fold(t), MUST_NOT_SLOT) for t in watchlist.must_not]
            for key, slot in entries:
                keys.setdefault(key, ([], []))[0].append((index, slot, watchlist.mode))
                if " " in key:
                    compact = key.replace(" ", "")
                    keys.setdefault(compact, ([], []))[1].append((index, slot, watchlist.mode))
        self._ids = [w.id for w in self.watchlists]
        self._all_mode = frozenset(i for i, w in enumerate(self.watchlists) if w.mode == "all")
        self._none_mode = frozenset(i for i, w in enumerate(self.watchlists) if w.mode == "none")
        self._automaton: ahocorasick.Automaton | None = None
        if keys:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY)
            for key, (plain, hashtag) in keys.items():
                # After '#', both the plain and the compact hashtag entries apply.
                automaton.add_word(key, (len(key), _postings(plain), _postings(plain + hashtag)))
            automaton.make_automaton()
            self._automaton = automaton

    @property
    def term_count(self) -> int:
        """How many keys the automaton holds: folded terms, exclusions and hashtag forms."""
        return 0 if self._automaton is None else len(self._automaton)

    def match(self, text: str | None) -> list[Hashable]:
        """Ids of the watchlists `text` belongs to, in the order the watchlists were given."""
        folded = fold(text)
        matched = set(self._none_mode)
        bookkeeping: list[tuple[int, int]] = []
        if self._automaton is not None and folded:
            # Padding gives every hit a neighbour on both sides: no bounds checks.
            padded = f" {folded} "
            for end, (length, plain, after_hash) in self._automaton.iter(padded):
                if padded[end + 1].isalnum():
                    continue
                before = padded[end - length]
                if before == "#":
                    sufficient, others = after_hash
                elif before.isalnum():
                    continue
                else:
                    sufficient, others = plain
                matched |= sufficient
                if others:
                    bookkeeping += others
        if bookkeeping:
            self._apply_bookkeeping(bookkeeping, matched)
        return [self._ids[i] for i in sorted(matched)]

    def _apply_bookkeeping(self, entries: list[tuple[int, int]], matched: set[int]) -> None:
        """Add complete `all` watchlists; drop touched `none` ones and must_not hits."""
        found: dict[int, set[int]] = {}
        for index, slot in entries:
            if slot == MUST_NOT_SLOT or index in self._none_mode:
                matched.discard(index)
            else:
                found.setdefault(index, set()).add(slot)
        excluded = {index for index, slot in entries if slot == MUST_NOT_SLOT}
        for index, slots in found.items():
            if len(slots) == self._term_counts[index] and index not in excluded:
                matched.add(index)


def to_query(watchlist: Watchlist | Mapping[str, Any], source_kind: str) -> str | None:
    """The search query for `source_kind` ("x", "youtube") from a watchlist's terms.

    None when the source cannot search or the watchlist's mode (`none`) cannot
    be expressed as a search; those sources collect everything and filter after.
    """
    if not isinstance(watchlist, Watchlist):
        watchlist = Watchlist.from_mapping(watchlist)
    if watchlist.mode == "none":
        return None
    return search_query(
        source_kind, watchlist.terms, mode=watchlist.mode, must_not=watchlist.must_not
    )
