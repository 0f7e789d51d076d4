"""Clustering: is this post one more mention of an open case, or a new problem?

A post joins an open case when the category matches, the place is compatible,
the case was last seen within the window (72 h by default), and the post's
embedding is similar enough to the case's centroid. Clustering of one category
is serialised with a PostgreSQL advisory lock, so two workers that see two posts
about the same new problem make one case, not two.

The triage job clusters a whole batch of posts at once: `CandidateIndex` reads
the signatures of every case the batch's posts could join in one query, keeps
their centroids as one matrix per category, and scores each post against all
of them with one matrix product; the cases the batch opens or grows are added
to the index as it goes, so the next post of the batch sees them.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import select, text

from app.cases.models import Case
from app.cases.workflow import UNRESOLVED_STATUSES
from app.extensions import db
from app.triage import lexical
from app.triage.models import CaseSignature

DEFAULT_WINDOW = timedelta(hours=72)
#: Cosine similarity of the post's lexical vector (`lexical.vector`) with a case's centroid
#: above which the post is one more mention of the case (if no place or name contradicts).
#: Chosen with `python -m bench.clustering` on posts about 33 problems
#: (tests/triage/data/clustering_problems.json): the lowest threshold at which no case
#: mixed two problems in 20 arrival orders (B-cubed precision 1.000, recall 0.945);
#: 16 and 10 problems written afterwards give precision 0.991 / 0.995, recall 0.915 / 0.992.
DEFAULT_THRESHOLD = 0.18
PERSISTS_WITHIN = timedelta(days=30)
#: Cases still unresolved (workflow.UNRESOLVED_STATUSES) take posts while posts about them keep
#: coming; finished ones (resolved, responded) for PERSISTS_WITHIN after their last change.
FINISHED_STATUSES = ("resolved", "responded")
#: Centroids are stored as this header, the float32 values and the case's names (UTF-8,
#: one a line). Older ones, without it, were the classifier's embedding: such a case is
#: compared by the lexical vector and names of its description.
CENTROID_FORMAT = b"LX2:"
#: At most this many names are kept per case.
MAX_NAMES = 64


def encode_centroid(centroid: np.ndarray, names=frozenset()) -> bytes:
    return (
        CENTROID_FORMAT + centroid.astype(np.float32).tobytes() + "\n".join(sorted(names)).encode()
    )


def decode_centroid(data: bytes | None) -> tuple[np.ndarray, frozenset[str]] | None:
    """The stored lexical centroid and names, or None when there are none in this format."""
    size = len(CENTROID_FORMAT) + 4 * lexical.DIMENSIONS
    if not data or not data.startswith(CENTROID_FORMAT) or len(data) < size:
        return None
    values = np.frombuffer(
        data, dtype=np.float32, count=lexical.DIMENSIONS, offset=len(CENTROID_FORMAT)
    )
    names = data[size:].decode()
    return values.copy(), frozenset(names.split("\n") if names else ())


@dataclass(frozen=True)
class PostFeatures:
    category: str
    ward_codes: tuple[str, ...]
    former_district_code: str | None
    posted_at: datetime
    text: str

    @cached_property
    def vector(self) -> np.ndarray:
        return lexical.vector(self.text)

    @cached_property
    def names(self) -> frozenset[str]:
        return lexical.names(self.text)


@dataclass(frozen=True)
class Match:
    #: The case's id, or the `Candidate.key` of a case opened earlier in the same batch.
    case_id: Any
    similarity: float
    #: The case was finished recently: the post says the problem persists.
    persists: bool = False


def lock_category(category: str) -> None:
    """Serialise clustering per category until the transaction ends (PostgreSQL only)."""
    lock_categories([category])


def lock_categories(categories) -> None:
    """Take the clustering locks of several categories, always in the same order.

    Two workers that each need two categories then never wait for each other crosswise.
    """
    keys = [f"cluster:{category}" for category in sorted(set(categories))]
    if not keys or db.engine.dialect.name != "postgresql":
        return
    # One round trip; the sorted subquery makes the locks come in that order.
    db.session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(hashtext(key))) FROM "
            "(SELECT key FROM unnest(CAST(:keys AS text[])) AS key ORDER BY key) AS sorted"
        ),
        {"keys": keys},
    )


def places_compatible(
    post_wards, post_district: str | None, case_wards, case_district: str | None
) -> bool:
    """No contradiction between the places: a side that names none fits anything.

    A district-level place carries all the wards the district became, so a ward
    and its former district overlap.
    """
    if not (post_wards or post_district) or not (case_wards or case_district):
        return True
    if post_wards and case_wards:
        return not set(case_wards).isdisjoint(post_wards)
    if post_district and case_district:
        return post_district == case_district
    return True


@dataclass(eq=False)
class Candidate:
    """A case the batch's posts may join, as clustering sees it (its signature, in memory)."""

    #: The case id for a stored case; for one opened in this batch, whatever its opener
    #: passes (the Case object, whose id comes with the batch's flush).
    key: Any
    category: str
    ward_codes: tuple[str, ...]
    former_district_code: str | None
    status: str
    updated_at: datetime
    last_post_at: datetime
    post_count: int
    sources: dict
    reach: int
    model_version: str | None
    #: The mean of its posts' lexical vectors (not normalised).
    centroid: np.ndarray
    #: The names its posts gave (`lexical.names`).
    names: frozenset[str] = frozenset()
    #: Opened in this batch (its signature is inserted, not updated).
    new: bool = False
    #: Changed in this batch (its signature is written back).
    touched: bool = False
    #: The place changed (a case without one took its first placed post's).
    place_changed: bool = False
    #: Row in the category's matrix.
    row: int = field(default=-1, repr=False)

    def signature_values(self) -> dict:
        values = {
            "centroid": encode_centroid(self.centroid, self.names),
            "post_count": self.post_count,
            "sources": self.sources,
            "reach": self.reach,
            "last_post_at": self.last_post_at,
        }
        if self.place_changed:
            values.update(
                ward_codes=list(self.ward_codes), former_district_code=self.former_district_code
            )
        return values


class _CategoryIndex:
    """The candidates of one category and their unit-length centroids as rows of a matrix."""

    def __init__(self):
        self.candidates: list[Candidate] = []
        self.matrix = np.zeros((16, lexical.DIMENSIONS), dtype=np.float32)

    def add(self, candidate: Candidate) -> None:
        candidate.row = len(self.candidates)
        self.candidates.append(candidate)
        if candidate.row >= len(self.matrix):  # grow by doubling
            matrix = np.zeros((2 * len(self.matrix), lexical.DIMENSIONS), dtype=np.float32)
            matrix[: len(self.matrix)] = self.matrix
            self.matrix = matrix
        self.refresh(candidate)

    def refresh(self, candidate: Candidate) -> None:
        norm = float(np.linalg.norm(candidate.centroid))
        self.matrix[candidate.row] = candidate.centroid / norm if norm else 0.0

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of a unit-length vector with every candidate's centroid."""
        return self.matrix[: len(self.candidates)] @ vector


class CandidateIndex:
    """Every case the posts of one batch may join, read once, updated as the batch goes.

    Build it after taking the batch's category locks (`lock_categories`), so
    that it sees every case other workers have committed.
    """

    def __init__(
        self,
        *,
        window: timedelta = DEFAULT_WINDOW,
        threshold: float = DEFAULT_THRESHOLD,
        adopt_place: bool = True,
    ):
        self.window = window
        self.threshold = threshold
        #: A case that names no place takes the place of the first post that names one,
        #: so that posts placed elsewhere no longer join it.
        self.adopt_place = adopt_place
        self._categories: dict[str, _CategoryIndex] = {}
        self._by_key: dict[Any, Candidate] = {}

    def start(self, categories) -> list[str]:
        """Begin empty indexes for the categories not started yet; returns those."""
        categories = sorted(set(categories) - set(self._categories))
        for category in categories:
            self._categories[category] = _CategoryIndex()
        return categories

    def has(self, category: str) -> bool:
        """Whether the candidates of the category are loaded."""
        return category in self._categories

    def load(self, categories, earliest: datetime, case_texts) -> None:
        """Read the signatures of the cases posts of `categories` posted from `earliest` on may join.

        `case_texts(case_ids)` gives {case id: text} for cases whose signature has no
        lexical centroid yet (written before it existed): their text stands in for it.
        """
        categories = self.start(categories)
        if not categories:
            return
        rows = db.session.execute(
            select(
                CaseSignature.case_id, CaseSignature.category, CaseSignature.ward_codes,
                CaseSignature.former_district_code, CaseSignature.centroid, CaseSignature.post_count,
                CaseSignature.sources, CaseSignature.reach, CaseSignature.last_post_at,
                CaseSignature.model_version, Case.status, Case.updated_at,
            )
            .join(Case, Case.id == CaseSignature.case_id)
            .where(
                CaseSignature.category.in_(categories),
                Case.duplicate_of_id.is_(None),
                (Case.status.in_(UNRESOLVED_STATUSES) & (CaseSignature.last_post_at >= earliest - self.window))
                | (Case.status.in_(FINISHED_STATUSES) & (Case.updated_at >= earliest - PERSISTS_WITHIN)),
            )
            .order_by(CaseSignature.case_id)
        ).all()  # fmt: skip
        stored = {row.case_id: decode_centroid(row.centroid) for row in rows}
        missing = [case_id for case_id, found in stored.items() if found is None]
        if missing:
            for case_id, text in case_texts(missing).items():
                stored[case_id] = (lexical.vector(text), lexical.names(text))
        for row in rows:
            centroid, names = stored.get(row.case_id) or (None, frozenset())
            self._add(Candidate(
                key=row.case_id, category=row.category, ward_codes=tuple(row.ward_codes or ()),
                former_district_code=row.former_district_code, status=row.status,
                updated_at=row.updated_at, last_post_at=row.last_post_at,
                post_count=max(row.post_count, 1), sources=dict(row.sources or {}), reach=row.reach,
                model_version=row.model_version,
                centroid=centroid if centroid is not None else np.zeros(lexical.DIMENSIONS, np.float32),
                names=names,
            ))  # fmt: skip

    def _add(self, candidate: Candidate) -> None:
        self.start([candidate.category])
        self._categories[candidate.category].add(candidate)
        self._by_key[candidate.key] = candidate

    def get(self, key) -> Candidate:
        return self._by_key[key]

    def touched(self) -> list[Candidate]:
        return [c for c in self._by_key.values() if c.touched]

    def find_match(self, post: PostFeatures, exclude=frozenset()) -> Match | None:
        """The best open case for the post, else a recently finished one it says persists, else None.

        The cases whose keys are in `exclude` (the post's own case) are passed over.
        """
        index = self._categories.get(post.category)
        if index is None or not index.candidates:
            return None
        scores = index.similarities(post.vector)
        open_since = post.posted_at - self.window
        finished_since = post.posted_at - PERSISTS_WITHIN
        best: Match | None = None
        # Most posts are decided here, without a look at any case's place or time.
        for row in np.flatnonzero(scores >= self.threshold):
            candidate = index.candidates[row]
            if candidate.key in exclude:
                continue
            if candidate.status in UNRESOLVED_STATUSES:
                if candidate.last_post_at < open_since:
                    continue
            elif candidate.status not in FINISHED_STATUSES or candidate.updated_at < finished_since:
                continue
            if not places_compatible(
                post.ward_codes, post.former_district_code,
                candidate.ward_codes, candidate.former_district_code,
            ):  # fmt: skip
                continue
            if post.names and candidate.names and post.names.isdisjoint(candidate.names):
                continue  # both name where, and not the same place
            match = Match(
                candidate.key, float(scores[row]), persists=candidate.status in FINISHED_STATUSES
            )
            # An open case beats a finished one; then the most similar wins.
            if best is None or (best.persists, -best.similarity) > (
                match.persists,
                -match.similarity,
            ):
                best = match
        return best

    def open(
        self, key, post: PostFeatures, *, now: datetime, model_version: str | None
    ) -> Candidate:
        """Add the case the post opens; its signature starts empty and takes the post."""
        candidate = Candidate(
            key=key, category=post.category, ward_codes=tuple(post.ward_codes),
            former_district_code=post.former_district_code, status=UNRESOLVED_STATUSES[0],
            updated_at=now, last_post_at=post.posted_at, post_count=0, sources={}, reach=0,
            model_version=model_version, centroid=np.zeros(lexical.DIMENSIONS, np.float32), new=True,
        )  # fmt: skip
        self._add(candidate)
        return candidate

    def add_post(
        self, candidate: Candidate, post: PostFeatures, source: str, reach: int, now: datetime
    ) -> None:
        """Fold the post into the case's centroid, counts, sources, reach and (maybe) place."""
        count = candidate.post_count
        candidate.centroid = ((candidate.centroid * count + post.vector) / (count + 1)).astype(
            np.float32
        )
        candidate.post_count = count + 1
        candidate.sources = {**candidate.sources, source: candidate.sources.get(source, 0) + 1}
        candidate.reach += reach
        candidate.last_post_at = max(candidate.last_post_at, post.posted_at)
        candidate.updated_at = now
        if (
            self.adopt_place
            and not (candidate.ward_codes or candidate.former_district_code)
            and (post.ward_codes or post.former_district_code)
        ):
            candidate.ward_codes = tuple(post.ward_codes)
            candidate.former_district_code = post.former_district_code
            candidate.place_changed = not candidate.new
        if post.names and len(candidate.names) < MAX_NAMES:
            candidate.names = frozenset(sorted(candidate.names | post.names)[:MAX_NAMES])
        candidate.touched = True
        self._categories[candidate.category].refresh(candidate)
