"""Applying triage to stored posts: record the decision, then join, flag or open a case.

The triage job links a whole batch of posts in one go (`Batch`): it takes the
clustering locks of the batch's categories once, in a fixed order, reads the
cases the posts may join in one query, and sends the cases, timeline events,
SLA clocks and signatures it writes in a few flushes rather than a few per
post. Every change to a case goes through the cases' service layer
(`app.cases.intake_ops`), which writes it with its timeline event in the same
transaction. A single post (an analyst's review decision) is a batch of one.

On a merge of cases, `move_mentions` (a hook registered with `app.cases.hooks`) moves
the duplicate's posts and drops its clustering signature.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.cases import intake_ops
from app.cases.hooks import register_merge_hook
from app.cases.models import Case
from app.cases.sla.clocks import SlaSettings
from app.collectors.models import Post
from app.extensions import db
from app.triage import clustering
from app.triage.hooks import run_readings_hooks
from app.triage.models import CaseSignature
from app.triage.pipeline import LOW_CONFIDENCE_REASON, Analysis
from app.triage.places.scope import PLACE_THRESHOLD
from app.triage.routing import Router
from app.triage.signals import assess
from app.units.models import LOCAL_KINDS, FormerDistrict, Unit

TITLE_LENGTH = 140
#: Mentions counted for "spreading fast" (signals.assess).
MENTIONS_PERIOD = timedelta(hours=1)


def decision(analysis: Analysis) -> dict:
    """What triage stores on a post (its columns and values)."""
    return {
        "is_relevant": analysis.relevant,
        "category": analysis.category,
        "confidence": analysis.confidence,
        "priority": analysis.priority,
        "sentiment": analysis.sentiment,
        "place": analysis.place,
        "flags": analysis.flags,
        "reasons": analysis.reasons,
        "model_version": analysis.model_version,
        "needs_review": analysis.needs_review,
    }


def apply(post: Post, analysis: Analysis, now: datetime, batch: "Batch | None" = None) -> None:
    """Store the decision on the post and, when it is confident and relevant, link it to a case.

    With a `batch`, the post and its case are written by `Batch.finish`, with the batch's.
    """
    if batch is None:
        for name, value in decision(analysis).items():
            setattr(post, name, value)
        if goes_to_case(analysis):
            link_to_case(post, analysis, now)
        return
    batch.record(post, decision(analysis))
    if goes_to_case(analysis):
        batch.link(post, analysis)


def goes_to_case(analysis: Analysis) -> bool:
    return analysis.relevant and not analysis.needs_review


#: A post the model thinks relevant but is unsure of (relevance or category below the
#: pipeline's thresholds) still joins an open case when its text repeats the case at least
#: this closely (cosine of the lexical vectors; joining needs `clustering.DEFAULT_THRESHOLD`
#: otherwise) and the case's category is one of the model's two best guesses for it, with at
#: least `GUESS_FLOOR`. Otherwise it waits for a person. On the posts of
#: tests/triage/data/clustering_problems.json (59 problems), 97% of posts are at least 0.25
#: from the rest of their own problem and 20% from the nearest other problem, before the
#: category, place and name checks that a join also needs.
REPEAT_THRESHOLD = 0.25
GUESS_FLOOR = 0.2


def repeat_guesses(analysis: Analysis) -> list[tuple[str, float]]:
    """The categories (with their probability) under which an unsure post may join a case
    it repeats: the model's two best guesses above `GUESS_FLOOR`; none for other posts."""
    if not (analysis.relevant and analysis.needs_review and analysis.category_scores):
        return []
    ranked = sorted(analysis.category_scores.items(), key=lambda item: -item[1])[:2]
    return [(category, score) for category, score in ranked if score >= GUESS_FLOOR]


def link_to_case(
    post: Post, analysis: Analysis, now: datetime, category: str | None = None
) -> Case:
    """Join one post to its case (or open one), under the category's clustering lock."""
    batch = Batch(now)
    batch.link(post, analysis, category)
    batch.finish()
    return db.session.get(Case, post.case_id)


def _place(analysis: Analysis) -> tuple[tuple[str, ...], str | None]:
    place = analysis.place
    if not place or place["confidence"] < PLACE_THRESHOLD:
        return (), None
    district = place.get("former_district")
    return tuple(w["code"] for w in place["wards"]), district["code"] if district else None


def _case_texts(case_ids: list[int]) -> dict[int, str]:
    with db.session.no_autoflush:
        rows = db.session.execute(
            select(Case.id, Case.title, Case.description).where(Case.id.in_(case_ids))
        )
        return {case_id: description or title for case_id, title, description in rows}


class Batch:
    """Posts of one transaction being linked to cases, for one use.

    `prepare` takes the clustering locks and reads what linking will need,
    `link` decides post by post (in memory, mostly), and `finish` writes the
    cases, their timeline events and clocks, the posts and the signatures.
    """

    def __init__(self, now: datetime):
        self.now = now
        self.index = clustering.CandidateIndex()
        self._router: Router | None = None
        self._sla: SlaSettings | None = None
        self._wards: dict[str, Unit | None] = {}
        self._districts: dict[str, FormerDistrict | None] = {}
        #: Mentions in the last hour that this batch adds, by candidate key, so far.
        self._mentions: dict = {}
        #: (post, case id or the new Case) in the order linked.
        self._linked: list[tuple[Post, Any]] = []
        self._opened: list[clustering.Candidate] = []
        #: Mentions of stored cases, written by `finish` once the cases are read in one go:
        #: (post, match, this batch's mentions of the case before the post).
        self._joins: list[tuple[Post, clustering.Match, int]] = []
        #: Column values to write on each post, in one statement for the batch.
        self._records: dict[Post, dict] = {}
        #: Recorded on the triage event of each case the batch opens (e.g. a citizen's report).
        self.origin: str | None = None

    # -- reading, once per batch ----------------------------------------------------

    def prepare(self, items: list[tuple[Post, Analysis]]) -> None:
        """Take the clustering locks and read, for all the posts at once, what linking needs."""
        unsure = [(post, repeat_guesses(analysis)) for post, analysis in items]
        unsure = [(post, guesses) for post, guesses in unsure if guesses]
        guesses = {category for _, found in unsure for category, _ in found}
        items = [(post, analysis) for post, analysis in items if goes_to_case(analysis)]
        if not items and not unsure:
            return
        places = [_place(analysis) for _, analysis in items]
        self._load_categories(
            {analysis.category for _, analysis in items} | guesses,
            min(post.posted_at for post, _ in items + unsure),
        )
        self._load_places(
            {wards[0] for wards, _ in places if len(wards) == 1},
            {district for _, district in places if district},
        )

    def _load_categories(self, categories, earliest: datetime) -> None:
        categories = {c for c in categories if not self.index.has(c)}
        if categories:
            clustering.lock_categories(categories)
            self.index.load(categories, earliest, _case_texts)

    def _load_places(self, ward_codes: set[str], district_codes: set[str]) -> None:
        ward_codes -= set(self._wards)
        district_codes -= set(self._districts)
        with db.session.no_autoflush:
            if ward_codes:
                found = db.session.scalars(
                    select(Unit)
                    .where(Unit.code.in_(ward_codes), Unit.kind.in_([k.value for k in LOCAL_KINDS]))
                    .options(selectinload(Unit.former_districts))
                )
                self._wards.update(dict.fromkeys(ward_codes))
                self._wards.update({unit.code: unit for unit in found})
            if district_codes:
                found = db.session.scalars(
                    select(FormerDistrict).where(FormerDistrict.code.in_(district_codes))
                )
                self._districts.update(dict.fromkeys(district_codes))
                self._districts.update({district.code: district for district in found})

    @property
    def router(self) -> Router:
        if self._router is None:
            with db.session.no_autoflush:
                self._router = Router.load()
        return self._router

    @property
    def sla(self) -> SlaSettings:
        if self._sla is None:
            with db.session.no_autoflush:
                self._sla = SlaSettings.load()
        return self._sla

    # -- linking, post by post --------------------------------------------------------

    def record(self, post: Post, values: dict) -> None:
        """Column values to store on the post when the batch finishes."""
        self._records.setdefault(post, {}).update(values)

    def link(
        self,
        post: Post,
        analysis: Analysis,
        category: str | None = None,
        match: clustering.Match | None = None,
        *,
        join_finished: bool = True,
    ) -> None:
        """Join the post to the case it is about (`match`, when already found), or open one.

        With `join_finished=False` a post joins only an open case: one that repeats a
        recently finished case opens a new one instead of saying the problem persists.
        """
        category = category or analysis.category
        self._load_categories({category}, post.posted_at)
        features = self._features(post, analysis, category)
        if match is None:
            match = self.index.find_match(features)
            if match is not None and match.persists and not join_finished:
                match = None
        if match is None:
            case = self._open_case(post, analysis, features)
            candidate = self.index.open(
                case, features, now=self.now, model_version=analysis.model_version
            )
            self._opened.append(candidate)
        else:
            candidate = self.index.get(match.case_id)
            before = self._mentions.get(candidate.key, 0)
            if candidate.new:
                self._add_mention(candidate.key, post, match, before)
            else:
                self._joins.append((post, match, before))
        reach = sum(v or 0 for v in (post.likes, post.shares, post.comments))
        self.index.add_post(candidate, features, post.source, reach, self.now)
        if post.collected_at is None or post.collected_at >= self.now - MENTIONS_PERIOD:
            self._mentions[candidate.key] = self._mentions.get(candidate.key, 0) + 1
        self._linked.append((post, candidate.key))

    def join_repeat(self, post: Post, analysis: Analysis) -> bool:
        """Join a post the model is unsure of (relevance or category) to the open case it
        repeats (`REPEAT_THRESHOLD`), under the case's category, if that is one of its
        `repeat_guesses`; True if it joined.

        The post's decision is rewritten: no review, the case's category, and why.
        """
        best = None
        for category, score in repeat_guesses(analysis):
            self._load_categories({category}, post.posted_at)
            match = self.index.find_match(self._features(post, analysis, category))
            if match is None or match.persists or match.similarity < REPEAT_THRESHOLD:
                continue
            if best is None or match.similarity > best[2].similarity:
                best = (category, score, match)
        if best is None:
            return False
        category, score, match = best
        self.link(post, analysis, category, match)
        reasons = [r for r in analysis.reasons if r != LOW_CONFIDENCE_REASON]
        reasons.append(
            f"unsure, but it repeats an open {category} case (similarity {match.similarity:.2f}, "
            f"{category} {score:.0%}): joined it"
        )
        self.record(
            post, {"needs_review": False, "category": category, "confidence": score,
                   "reasons": reasons},
        )  # fmt: skip
        return True

    def suggest(self, post: Post, analysis: Analysis) -> None:
        """Triage's reading of a post that is a case already (a citizen's direct report), as
        suggestions on that case's timeline: a priority or a category other than the case's
        (with the model's confidence) and the open cases it likely duplicates. Nothing of
        the case changes; the post is recorded under the case's category, never for review.
        """
        with db.session.no_autoflush:
            case = db.session.get(Case, post.case_id)
        if case is None:
            return
        suggestion: dict[str, Any] = {"priority": None, "category": None, "duplicates": []}
        parts = []
        if analysis.relevant and analysis.priority and analysis.priority != case.priority:
            suggestion["priority"] = analysis.priority
            parts.append(f"suggests priority {analysis.priority} (the case has {case.priority})")
        if analysis.relevant and analysis.category and analysis.category != case.category:
            suggestion["category"] = analysis.category
            suggestion["category_confidence"] = round(analysis.confidence, 3)
            parts.append(
                f"suggests category {analysis.category} ({analysis.confidence:.0%}) "
                f"instead of {case.category}"
            )
        for match in self._duplicates(post, analysis, case):
            code = _case_code(match.case_id)
            suggestion["duplicates"].append(
                {"case_id": match.case_id, "code": code, "similarity": round(match.similarity, 3)}
            )
            parts.append(f"possible duplicate of {code} (similarity {match.similarity:.2f})")
        if not parts:
            parts.append("no change suggested")
        reasons = [r for r in analysis.reasons if r != LOW_CONFIDENCE_REASON]
        intake_ops.note_suggestion(
            case, "; ".join(parts + reasons),
            {"post_id": post.id, "model_version": analysis.model_version,
             "confidence": analysis.confidence, "suggestion": suggestion},
            now=self.now,
        )  # fmt: skip
        scores = analysis.category_scores or {}
        self.record(post, {
            **decision(analysis), "is_relevant": True, "category": case.category,
            "confidence": scores.get(case.category, analysis.confidence),
            "needs_review": False, "reasons": parts + reasons,
        })  # fmt: skip

    def _duplicates(self, post: Post, analysis: Analysis, case: Case) -> list[clustering.Match]:
        """The open cases other than `case` that the post repeats, under the case's category
        and the model's (at most one each)."""
        categories = [case.category]
        if analysis.relevant and analysis.category and analysis.category != case.category:
            categories.append(analysis.category)
        ward_codes, district_code = _place(analysis)
        if case.ward is not None:
            ward_codes = (case.ward.code,)
        found = {}
        for category in categories:
            self._load_categories({category}, post.posted_at)
            features = clustering.PostFeatures(
                category=category, ward_codes=ward_codes, former_district_code=district_code,
                posted_at=post.posted_at, text=post.text,
            )  # fmt: skip
            match = self.index.find_match(features, exclude={case.id})
            if match is not None and not match.persists and isinstance(match.case_id, int):
                found.setdefault(match.case_id, match)
        return list(found.values())

    def _features(self, post: Post, analysis: Analysis, category: str) -> clustering.PostFeatures:
        ward_codes, district_code = _place(analysis)
        return clustering.PostFeatures(
            category=category, ward_codes=ward_codes, former_district_code=district_code,
            posted_at=post.posted_at, text=post.text,
        )  # fmt: skip

    def _open_case(self, post: Post, analysis: Analysis, features) -> Case:
        ward_code = features.ward_codes[0] if len(features.ward_codes) == 1 else None
        district_code = features.former_district_code
        self._load_places({ward_code} - {None}, {district_code} - {None})  # read by `prepare`
        ward = self._wards.get(ward_code) if ward_code else None
        district = self._districts.get(district_code) if district_code else None
        decision = self.router.route(features.category, ward, district.id if district else None)
        text = " ".join(post.text.split())
        title = (
            text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"
        )
        return intake_ops.open_case(
            {
                "title": title,
                "description": post.text,
                "category": features.category,
                "priority": analysis.priority or "P3",
                "ward": ward.code if ward else None,
                "source": post.source.split(":", 1)[0],
            },
            unit=decision.unit,
            now=self.now,
            first_seen_at=post.posted_at,
            reasons="; ".join(analysis.reasons),
            details={"post_id": post.id, "model_version": analysis.model_version,
                     "confidence": analysis.confidence,
                     **({"origin": self.origin} if self.origin else {})},
            routing_reason=decision.reason,
            rule_id=decision.rule_id,
            former_district=district,
            needs_verification="needs_verification" in analysis.flags,
            ward=ward,
            sla_settings=self.sla,
            # A case opened from a citizen's report answers to the code the citizen was given.
            code=post.tracking_code,
        )  # fmt: skip

    def _add_mention(
        self, case: Case, post: Post, match: clustering.Match, mentions_before: int
    ) -> None:
        """One more mention: counts, times and a timeline event; priority up if it spreads fast.

        `mentions_before`: the case's mentions in the last hour before this post.
        """
        intake_ops.add_mention(
            case, post_id=post.id, source=post.source, text=post.text, seen_at=post.posted_at,
            similarity=match.similarity, persists=match.persists, now=self.now,
        )  # fmt: skip
        if match.persists:
            return
        signals = assess(post.text, case.category, mentions_last_hour=mentions_before + 1)
        intake_ops.raise_priority(case, signals.priority, "; ".join(signals.reasons), now=self.now)

    # -- writing, once per batch --------------------------------------------------------

    def finish(self) -> None:
        """Write the mentions of stored cases, the new cases, the posts and the signatures."""
        if self._joins:
            self._write_joins()
        if self._linked:
            db.session.flush()  # the new cases get their ids
        for post, key in self._linked:
            case_id = key.id if isinstance(key, Case) else key
            if post in self._records:
                self._records[post]["case_id"] = case_id
            else:
                post.case_id = case_id
        self._write_signatures()
        self._write_records()
        self._linked, self._opened, self._joins, self._records = [], [], [], {}

    def _write_joins(self) -> None:
        case_ids = sorted({match.case_id for _, match, _ in self._joins})
        with db.session.no_autoflush:
            cases = {
                case.id: case
                for case in db.session.scalars(select(Case).where(Case.id.in_(case_ids)))
            }
            # The batch's own mentions are not written yet, so none of them is counted here.
            recent = dict(db.session.execute(
                select(Post.case_id, func.count(Post.id))
                .where(Post.case_id.in_(case_ids), Post.collected_at >= self.now - MENTIONS_PERIOD)
                .group_by(Post.case_id)
            ).all())  # fmt: skip
        for post, match, before in self._joins:
            self._add_mention(
                cases[match.case_id], post, match, recent.get(match.case_id, 0) + before
            )

    def _write_signatures(self) -> None:
        table = CaseSignature.__table__
        if self._opened:
            db.session.execute(
                table.insert(),
                [
                    {
                        "case_id": c.key.id, "category": c.category, "ward_codes": list(c.ward_codes),
                        "former_district_code": c.former_district_code, "model_version": c.model_version,
                        **c.signature_values(),
                    }
                    for c in self._opened
                ],
            )  # fmt: skip
        stored = [c for c in self.index.touched() if not c.new]
        for keys, rows in _by_keys([{"key": c.key, **c.signature_values()} for c in stored]):
            statement = table.update().where(table.c.case_id == bindparam("key"))
            db.session.execute(
                statement.values({k: bindparam(k) for k in keys if k != "key"}), rows
            )
        for candidate in self.index.touched():
            candidate.touched = False

    def _write_records(self) -> None:
        """Each post's columns in one executemany per set of columns, then the same on the objects."""
        table = Post.__table__
        rows = [{"post_id": post.id, **values} for post, values in self._records.items()]
        run_readings_hooks(self._records)  # the trends' counts, before the rows change
        for keys, group in _by_keys(rows):
            statement = table.update().where(table.c.id == bindparam("post_id"))
            db.session.execute(
                statement.values({k: bindparam(k) for k in keys if k != "post_id"}), group
            )
        for post, values in self._records.items():
            for name, value in values.items():
                set_committed_value(post, name, value)


def _case_code(case_id: int) -> str:
    with db.session.no_autoflush:
        return db.session.scalar(select(Case.code).where(Case.id == case_id))


def _by_keys(rows: list[dict]):
    """Rows grouped by their set of keys: one executemany each."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups.items()


@register_merge_hook
def move_mentions(duplicate: Case, into: Case) -> None:
    """On a merge (`cases.moves.merge`): the duplicate's posts become mentions of the
    case kept, and clustering forgets the duplicate."""
    db.session.execute(update(Post).where(Post.case_id == duplicate.id).values(case_id=into.id))
    db.session.execute(delete(CaseSignature).where(CaseSignature.case_id == duplicate.id))
