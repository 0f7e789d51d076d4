"""Storing posts: once each, watchlists decide what is kept, triage enqueued after the commit."""

import json
from datetime import UTC, datetime

from rq import Queue

from app.collectors.base import PostData
from app.collectors.models import Post, Watchlist
from app.collectors.operations import store_posts
from app.extensions import db
from app.triage.tasks import sweep_pending_posts


def _post(external_id="1", text="Đường Nguyễn Hữu Cảnh ngập sâu", source="facebook", **values):
    return PostData(
        source=source,
        external_id=external_id,
        text=text,
        posted_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
        **values,
    )


def _posts():
    return db.session.scalars(db.select(Post).order_by(Post.id)).all()


def test_a_post_is_stored_once_per_source_and_id(app_context):
    first = store_posts([_post("1"), _post("2"), _post("1")])
    second = store_posts([_post("1"), _post("3"), _post("1", source="x")])

    assert (first.new, first.duplicate) == (2, 1)
    assert (second.new, second.duplicate) == (2, 1)
    assert [(p.source, p.external_id) for p in _posts()] == [
        ("facebook", "1"),
        ("facebook", "2"),
        ("facebook", "3"),
        ("x", "1"),
    ]


def test_author_handles_are_pseudonymised_and_names_kept_internal(app_context):
    store_posts([_post(author_handle="nguyenvana.92", author_name="Nguyễn Văn A")])

    post = _posts()[0]
    assert post.author_pseudonym and "nguyenvana" not in post.author_pseudonym
    assert post.author_name == "Nguyễn Văn A"
    assert "nguyenvana.92" not in json.dumps(post.raw)


def test_watchlists_decide_what_is_kept_but_direct_reports_always_stay(app_context):
    db.session.add(
        Watchlist(
            name="Ngập", purpose="topic_monitoring", mode="any", terms=["ngập", "triều cường"]
        )
    )
    db.session.commit()

    stats = store_posts(
        [
            _post("1", "duong Nguyen Huu Canh NGAP qua troi"),
            _post("2", "Bán căn hộ view sông giá tốt inbox"),
            _post("3", "Hẻm nhà tôi có rác", source="citizen"),
        ]
    )

    assert (stats.new, stats.rejected["no watchlist matched"]) == (2, 1)
    kept = {p.external_id: p for p in _posts()}
    assert set(kept) == {"1", "3"}
    assert kept["1"].watchlist_ids == [db.session.scalar(db.select(Watchlist.id))]
    assert kept["3"].channel == "direct"


def test_new_posts_are_enqueued_for_triage_after_the_commit(app, app_context):
    from app.triage.tasks import enqueue_triage

    stats = store_posts([_post("1"), _post("2")])
    enqueue_triage(stats.new_ids)

    queue = Queue("triage", connection=app.extensions["socialbeat_redis"])
    assert queue.count == 1
    assert queue.jobs[0].args == (stats.new_ids,)
    assert {p.triage_status for p in _posts()} == {"queued"}


def test_when_redis_is_down_posts_stay_pending_and_the_sweeper_enqueues_them(
    app, app_context, monkeypatch
):
    import redis as redis_module

    from app.triage.tasks import enqueue_triage

    stats = store_posts([_post("1")])
    monkeypatch.setattr(
        Queue,
        "enqueue",
        lambda *a, **k: (_ for _ in ()).throw(redis_module.ConnectionError("down")),
    )

    assert enqueue_triage(stats.new_ids) is False
    assert _posts()[0].triage_status == "pending"

    monkeypatch.undo()
    assert sweep_pending_posts() == 1
    assert Queue("triage", connection=app.extensions["socialbeat_redis"]).count == 1


def test_import_twice_stores_each_post_once_and_skips_bad_lines(runner, app_context, tmp_path):
    path = tmp_path / "posts.jsonl"
    lines = [
        {
            "id": "a1",
            "text": "Kẹt xe ở vòng xoay Lăng Cha Cả",
            "posted_at": "2026-11-27T07:30:00+07:00",
            "source": "facebook",
        },
        {
            "id": "a2",
            "text": "Rác ùn ứ trước chợ Tân Mỹ",
            "posted_at": "2026-11-27T09:00:00+07:00",
            "source": "facebook",
        },
    ]
    path.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n{not json\n",
        encoding="utf-8",
    )

    first = runner.invoke(args=["collect", "import", str(path)])
    second = runner.invoke(args=["collect", "import", str(path)])

    assert first.exit_code == 0, first.output
    assert "read 3, new 2, duplicate 0, rejected 1\n" in first.output
    assert "  line 3: invalid JSON" in first.output
    assert "read 3, new 0, duplicate 2, rejected 1" in second.output
    assert len(_posts()) == 2


def test_import_refuses_unknown_file_types(runner, app_context, tmp_path):
    path = tmp_path / "posts.txt"
    path.write_text("x")

    result = runner.invoke(args=["collect", "import", str(path)])

    assert result.exit_code != 0
    assert "expected .jsonl, .ndjson or .csv" in result.output


def test_comment_links_to_its_collected_parent(app_context):
    store_posts([_post("p1"), _post("c1", "đồng ý", parent_external_id="p1")])

    posts = {p.external_id: p for p in _posts()}
    assert posts["c1"].parent_id == posts["p1"].id
