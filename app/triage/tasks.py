"""The triage job: the one entry point collectors hand new posts to.

Safe to run twice and under concurrent workers: posts are locked while they
are linked to cases and skipped once done, so a re-enqueued post is triaged
once. The model reads up to MODEL_BATCH posts in one call (sorted by length
inside, so less padding); their decisions are then written in batches of
LINK_BATCH posts, each locked, linked and committed together, so a worker that
dies loses at most the batch in hand, which the sweeper hands out again. A
batch is linked to cases in one go; if that fails, it is redone post by post,
so one bad post fails alone.

Batching never holds a post back: collectors enqueue a job as soon as their
posts are committed, however few (a lone citizen report is a job of one), and a
worker starts it at once. What makes the batches is the worker side: a job run
by a worker first takes the triage jobs already waiting behind it in its queue,
up to MODEL_BATCH posts in all (`_take_waiting`), so that under load one fork,
one model call and a few commits serve what arrived while the worker was busy,
and with nothing waiting a job of one post runs alone.
"""

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import load_only

from app.collectors.hooks import register_new_posts_hook
from app.collectors.models import Post, TriageStatus
from app.collectors.operations import scopes_of
from app.extensions import db
from app.jobs import QueueUnavailable, enqueue, job, periodic, redis_connection
from app.models import utcnow
from app.triage.model.store import ModelUnavailable

log = logging.getLogger(__name__)

#: Posts handed to one job (`enqueue_triage` enqueues them in chunks of this size).
JOB_SIZE = 256
#: A queued post not done after this long is assumed lost with its worker.
STALE_QUEUED_AFTER = timedelta(minutes=15)
#: How many times the sweeper hands out a post whose triage failed.
MAX_TRIAGE_ATTEMPTS = 5
#: Posts analysed per model call.
MODEL_BATCH = 256
#: Posts locked, linked to cases and committed together.
LINK_BATCH = 64
#: The queue of the API's large triage calls: the worker takes it after every other queue
#: (`app.jobs.QUEUE_NAMES`), so posts and citizen reports never wait behind a whole call.
API_QUEUE = "triage-api"
#: What `warm_up` runs through the pipeline: a place, a category, a few signals.
WARM_UP_TEXT = "Đường Nguyễn Hữu Thọ, phường Tân Hưng, Q7 ngập sâu sau mưa, xe chết máy hàng loạt"
#: The columns of a post that linking it reads.
LINK_COLUMNS = (
    "id", "source", "text", "posted_at", "collected_at", "likes", "shares", "comments",
    "tracking_code", "triage_attempts", "triage_status", "case_id",
)  # fmt: skip


def _pending(post_ids: list[int]) -> list[tuple]:
    """(id, text, url, place name, source scope) of the posts not triaged yet, read without a lock."""
    rows = db.session.execute(
        select(Post.id, Post.text, Post.url, Post.place_hints, Post.source)
        .where(Post.id.in_(post_ids), Post.triage_status != TriageStatus.done.value)
        .order_by(Post.id)
    ).all()
    scopes = scopes_of(row.source for row in rows)
    db.session.commit()  # end the read: nothing is held while the model runs
    return [
        (row.id, row.text, row.url, (row.place_hints or {}).get("place_name"), scopes[row.source])
        for row in rows
    ]


def _lock_pending(post_ids: list[int]) -> list[Post]:
    statement = (
        select(Post)
        .where(Post.id.in_(post_ids), Post.triage_status != TriageStatus.done.value)
        # What linking reads; the rest (the source's payload, …) stays in the database.
        .options(load_only(*(getattr(Post, name) for name in LINK_COLUMNS)))
        .order_by(Post.id)
    )
    if db.engine.dialect.name == "postgresql":
        # A post another worker holds is being triaged already: skip it.
        statement = statement.with_for_update(skip_locked=True)
    return list(db.session.scalars(statement))


@job(queue="triage", timeout=900)
def triage_posts(post_ids: list[int], now: datetime | None = None) -> dict:
    """Triage the posts that are not done yet; returns counts of done, skipped and failed
    (and postponed: no model could be loaded at all, the posts stay pending).

    `now`: when the triage happens (default: the clock); the demo replays past days with it.
    Run by a worker, the job also triages the posts of the triage jobs waiting behind it
    (counted in "joined": how many jobs it took), up to MODEL_BATCH posts in all.
    """
    counts = {"done": 0, "skipped": 0, "failed": 0}
    if now is None:
        joined, taken = _take_waiting(MODEL_BATCH - len(post_ids))
        if joined:
            post_ids, counts["joined"] = list(post_ids) + taken, joined
    for start in range(0, len(post_ids), MODEL_BATCH):
        for key, value in _triage_chunk(post_ids[start : start + MODEL_BATCH], now).items():
            counts[key] = counts.get(key, 0) + value  # "postponed": no model could be loaded
    return counts


@register_new_posts_hook
def enqueue_triage(post_ids: list[int]) -> bool:
    """Hand posts to triage after their commit. False when the queue is unreachable (they stay pending).

    Collectors call it for the posts they store (through `collectors.hooks`, where it is
    registered at import: create_app imports this module)."""
    if not post_ids:
        return True
    try:
        for start in range(0, len(post_ids), JOB_SIZE):
            chunk = post_ids[start : start + JOB_SIZE]
            mark_queued(chunk)
            enqueue(triage_posts, chunk)
    except QueueUnavailable as error:
        log.warning("triage not enqueued, posts stay pending for the sweeper: %s", error)
        db.session.rollback()
        db.session.execute(
            update(Post)
            .where(Post.id.in_(post_ids), Post.triage_status == TriageStatus.queued.value)
            .values(triage_status=TriageStatus.pending.value)
        )
        db.session.commit()
        return False
    return True


def mark_queued(post_ids: list[int]) -> None:
    db.session.execute(
        update(Post)
        .where(Post.id.in_(post_ids), Post.triage_status != TriageStatus.done.value)
        .values(triage_status=TriageStatus.queued.value, triage_enqueued_at=utcnow())
    )
    db.session.commit()


@periodic(interval=300)
def sweep_pending_posts(limit: int = 5000) -> int:
    """Re-enqueue posts that never reached triage or whose worker died; returns how many."""
    now = utcnow()
    statement = (
        select(Post.id)
        .where(
            or_(
                Post.triage_status == TriageStatus.pending.value,
                (Post.triage_status == TriageStatus.queued.value)
                & (Post.triage_enqueued_at < now - STALE_QUEUED_AFTER),
                (Post.triage_status == TriageStatus.failed.value)
                & (Post.triage_attempts < MAX_TRIAGE_ATTEMPTS),
            )
        )
        .order_by(Post.id)
        .limit(limit)
    )
    post_ids = list(db.session.scalars(statement))
    if post_ids:
        enqueue_triage(post_ids)
        log.info("sweeper re-enqueued %d posts for triage", len(post_ids))
    return len(post_ids)


#: How far down its queue a job looks for waiting triage jobs to take.
LOOK_AHEAD = 100


def _take_waiting(room: int) -> tuple[int, list[int]]:
    """Take triage jobs waiting in the running job's queue, up to `room` posts in all:
    (how many jobs, their post ids). Nothing outside an RQ worker.

    Each job is taken off the queue with one atomic LREM, so a job that another
    worker dequeued at the same moment stays that worker's, and a job is never run
    twice; a taken job is deleted. Its posts are `queued` already: should this worker
    die, the sweeper hands them out again like the job's own.
    """
    from rq import Queue, get_current_job
    from rq.job import Job

    current = get_current_job()
    if current is None or room <= 0:
        return 0, []
    connection = current.connection
    queue = Queue(current.origin, connection=connection)
    waiting = [job_id for job_id in queue.get_job_ids(0, LOOK_AHEAD) if job_id != current.id]
    joined, taken = 0, []
    for waiting_job in Job.fetch_many(waiting, connection=connection):
        if waiting_job is None or waiting_job.func_name != current.func_name:
            continue
        try:
            args, kwargs = waiting_job.args, waiting_job.kwargs
        except Exception:  # a job that cannot be read is left to run (and fail) by itself
            continue
        if kwargs or len(args) != 1 or len(args[0]) > room - len(taken):
            continue  # `now` given, or too big to join: it runs by itself
        if connection.lrem(queue.key, 1, waiting_job.id) != 1:
            continue  # another worker dequeued it meanwhile
        waiting_job.delete(remove_from_queue=False)
        joined += 1
        taken.extend(args[0])
        if len(taken) >= room:
            break
    return joined, taken


def _triage_chunk(post_ids: list[int], now: datetime | None = None) -> dict:
    """One model call for the pending posts, then their links, batch by batch."""
    from app.triage.pipeline import analyse

    pending = _pending(post_ids)
    counts = {"done": 0, "skipped": len(post_ids) - len(pending), "failed": 0}
    if not pending:
        return counts
    ids, texts, urls, places, scopes = (list(column) for column in zip(*pending, strict=True))
    try:
        analyses = dict(
            zip(ids, analyse(texts, urls=urls, place_texts=places, scopes=scopes), strict=True)
        )
        error = None
    except ModelUnavailable as missing:  # no model yet: the posts wait, not counted as failures
        log.warning("triage postponed for %s posts: %s", len(ids), missing)
        return _postpone(ids, counts)
    except Exception as failure:  # the model failing must not lose the posts: they retry later
        log.exception("triage model failed on posts %s", ids)
        analyses, error = {}, failure
    for start in range(0, len(ids), LINK_BATCH):
        batch_ids = ids[start : start + LINK_BATCH]
        for key, value in _triage_batch(batch_ids, analyses, error, now).items():
            counts[key] += value
    return counts


def _triage_batch(
    post_ids: list[int], analyses: dict, error: Exception | None, now: datetime | None = None
) -> dict:
    posts = _lock_pending(post_ids)
    counts = {"done": 0, "skipped": len(post_ids) - len(posts), "failed": 0}
    if not posts:
        db.session.rollback()
        return counts
    now = now or utcnow()
    if error is not None:
        for post in posts:
            _fail(post, error)
        db.session.commit()
        counts["failed"] = len(posts)
        return counts
    items = [(post, analyses[post.id]) for post in posts]
    try:
        # The whole batch in one go: one read of the candidate cases, a few flushes.
        with db.session.begin_nested():
            _link(items, now)
    except Exception:
        # Something in the batch failed: redo it post by post, so that only the
        # post at fault fails and the others are linked.
        log.warning(
            "triage batch of %s posts failed; retrying post by post", len(items), exc_info=True
        )
        for post, analysis in items:
            try:
                with db.session.begin_nested():
                    _link([(post, analysis)], now)
            except Exception as failure:
                log.exception("triage failed for post %s", post.id)
                _fail(post, failure)
                counts["failed"] += 1
    counts["done"] = len(posts) - counts["failed"]
    db.session.commit()
    return counts


def _link(items: list, now) -> None:
    """Record each post's decision and link it to its case, as one batch."""
    from app.triage import intake

    batch = intake.Batch(now)
    # A citizen's direct report is a case from the moment it was filed (app.triage.direct):
    # triage only adds its reading to that case as suggestions.
    fresh = [(post, analysis) for post, analysis in items if post.case_id is None]
    batch.prepare(fresh)
    for post, analysis in items:
        if post.case_id is None:
            intake.apply(post, analysis, now, batch)
        else:
            batch.suggest(post, analysis)
        batch.record(post, {
            "triage_status": TriageStatus.done.value, "triaged_at": now, "triage_error": None,
            "triage_attempts": post.triage_attempts + 1,
        })  # fmt: skip
    # Then the posts whose category is unsure: one that repeats a case (also one the posts
    # above opened) joins it; the rest wait for a person.
    for post, analysis in fresh:
        if intake.repeat_guesses(analysis):
            batch.join_repeat(post, analysis)
    batch.finish()


def _postpone(post_ids: list[int], counts: dict) -> dict:
    """Leave posts pending, attempts untouched: the sweeper hands them out again later."""
    posts = _lock_pending(post_ids)
    for post in posts:
        post.triage_status = TriageStatus.pending.value
    db.session.commit()
    counts["postponed"] = len(posts)
    return counts


def _fail(post: Post, error: Exception) -> None:
    post.triage_attempts += 1
    post.triage_status = TriageStatus.failed.value
    post.triage_error = f"{type(error).__name__}: {error}"[:2000]


def warm_up() -> dict | None:
    """Load the classifier and the place indexes into this process, ready for forked children.

    RQ forks a work-horse for every job, and what a horse loads dies with it: a
    worker whose parent never loaded the model loads it again for every job.
    Call this in the worker's parent before it starts working (``flask worker``
    on the ``triage`` queues); every horse then shares the loaded model
    copy-on-write, and a single post is triaged in well under a second.

    The parent runs the warm-up on one thread: a child forked from a process
    whose OpenMP threads have run hangs on its first parallel operation (so the
    parent must run no other torch work either). The thread count is restored
    afterwards, so the horses use every core. Returns what was loaded and how
    long it took, or None when loading failed (logged: the jobs then load the
    model themselves, and fail and retry as before).
    """
    from app.triage.model.inference import load_classifier, load_count, model_key
    from app.triage.pipeline import analyse

    began = time.perf_counter()
    restore = _single_threaded()
    try:
        key = model_key()
        classifier = load_classifier()
        analyse([WARM_UP_TEXT])
    except Exception:
        log.exception("triage warm-up failed: each job will load the model itself")
        return None
    finally:
        restore()
    seconds = time.perf_counter() - began
    _warm["key"], _warm["checked"] = key, time.monotonic()
    log.info("triage model %s warmed up in %.1f s", classifier.version, seconds)
    return {"model_version": classifier.version, "seconds": seconds, "loads": load_count()}


#: How often (seconds, at most) the worker parent checks whether a new model has landed.
WARM_CHECK_SECONDS = 30.0
#: What the parent warmed up (`model_key`), and when it last checked.
_warm: dict = {"key": None, "checked": 0.0}


def refresh_warm_model(clock=time.monotonic) -> dict | None:
    """In a warmed-up worker parent: warm up again when the served model changed.

    A model that lands while the worker runs (``make run`` trains the first one in
    the background, serving the TF-IDF fallback meanwhile) is picked up without a
    restart: every horse's `load_classifier` sees the new ``current`` at once (and
    loads it itself), and the parent, checking at most every `WARM_CHECK_SECONDS`
    before it forks the next horse, loads it once so later horses share it.
    Returns `warm_up`'s answer when it reloaded, else None (also in a process that
    never warmed up).
    """
    if _warm["key"] is None or clock() - _warm["checked"] < WARM_CHECK_SECONDS:
        return None
    from app.triage.model.inference import model_key

    _warm["checked"] = clock()
    if model_key() == _warm["key"]:
        return None
    log.info("a new triage model landed: the worker loads it")
    return warm_up()


def _single_threaded():
    """Run torch on one thread until the returned function is called (no-op without torch)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return lambda: None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    return lambda: torch.set_num_threads(threads)


@job(queue=API_QUEUE, timeout=600)
def triage_api_chunk(job_id: str, index: int, texts: list[str], scope: str) -> int:
    """Analyse one chunk of a large POST /api/v1/triage call and store its results for polling."""
    from app.triage import api_jobs
    from app.triage.pipeline import analyse

    connection = redis_connection()
    try:
        items = [analysis.as_json() for analysis in analyse(texts, scopes=[scope] * len(texts))]
    except Exception as failure:  # the caller polls: tell it, rather than leave it pending
        log.exception("triage API job %s chunk %s failed", job_id, index)
        api_jobs.record_chunk(connection, job_id, index, error=type(failure).__name__)
        return 0
    api_jobs.record_chunk(connection, job_id, index, items=items)
    return len(items)
