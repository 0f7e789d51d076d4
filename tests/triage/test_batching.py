"""Batching in the worker: a lone post is triaged at once, and waiting jobs ride along."""

import time
from datetime import UTC, datetime

from rq import Queue, SimpleWorker
from rq.job import Job

from app.collectors.base import FetchResult, PostData
from app.collectors.intake import store_pushed
from app.collectors.models import Post
from app.extensions import db


def _push(*texts, start=0):
    """Deliver posts the way a webhook does: stored, then one triage job for them."""
    posts = [
        PostData(
            source="facebook",
            external_id=str(start + n),
            text=text,
            posted_at=datetime(2026, 11, 27, tzinfo=UTC),
        )
        for n, text in enumerate(texts)
    ]
    return store_pushed(FetchResult(posts=posts)).new_ids


def _model_calls(classifier, monkeypatch) -> list[int]:
    """How many texts each call of the classifier got."""
    calls = []
    predict = classifier.predict

    def counted(texts, **kwargs):
        calls.append(len(texts))
        return predict(texts, **kwargs)

    monkeypatch.setattr(classifier, "predict", counted)
    return calls


def _work(app):
    connection = app.extensions["socialbeat_redis"]
    SimpleWorker(["triage"], connection=connection).work(burst=True)


def _statuses():
    db.session.expire_all()
    return [p.triage_status for p in db.session.scalars(db.select(Post).order_by(Post.id))]


def test_a_lone_post_is_triaged_at_once_without_waiting_for_a_batch(
    app, app_context, keyword_classifier, monkeypatch
):
    calls = _model_calls(keyword_classifier, monkeypatch)
    [post_id] = _push("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa, xe chết máy")

    began = time.monotonic()
    _work(app)

    assert time.monotonic() - began < 5
    post = db.session.get(Post, post_id)
    db.session.refresh(post)
    assert (post.triage_status, post.category) == ("done", "flooding")
    assert post.case_id is not None
    assert calls == [1]
    assert (post.triaged_at - post.collected_at).total_seconds() < 5


def test_jobs_waiting_in_the_queue_are_triaged_together_in_one_model_call(
    app, app_context, keyword_classifier, monkeypatch
):
    calls = _model_calls(keyword_classifier, monkeypatch)
    _push("Rác ùn ứ trước chợ Bến Thành")
    _push("Kẹt xe kéo dài trên đường Cộng Hòa", start=1)
    _push("Hẻm 12 Huỳnh Tấn Phát ngập nước", "Đèn đường hỏng cả tuần ở Quận 7", start=2)
    connection = app.extensions["socialbeat_redis"]
    job_ids = Queue("triage", connection=connection).job_ids
    assert len(job_ids) == 3

    _work(app)

    assert _statuses() == ["done"] * 4
    assert calls == [4]  # one job ran; it took the two waiting behind it
    assert Job.fetch_many(job_ids[1:], connection=connection) == [None, None]
    assert Queue("triage", connection=connection).count == 0


def test_a_job_too_big_to_join_runs_by_itself(app, app_context, keyword_classifier, monkeypatch):
    monkeypatch.setattr("app.triage.tasks.MODEL_BATCH", 3)
    calls = _model_calls(keyword_classifier, monkeypatch)
    _push("Rác ùn ứ trước chợ Bến Thành")
    _push("Kẹt xe trên đường Cộng Hòa", "Ổ gà trên đường Lê Văn Sỹ", "Trộm xe ở Q3", start=1)
    _push("Hẻm 12 Huỳnh Tấn Phát ngập nước", start=4)

    _work(app)

    assert _statuses() == ["done"] * 5
    # The first job takes the last one (2 posts in all, room for 3); the job of three runs alone.
    assert calls == [2, 3]
