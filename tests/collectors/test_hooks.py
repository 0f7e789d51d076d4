"""Collectors hand new posts on through hooks that the domains above them register: triage
enqueues them, the trends count them. However the app starts, the hooks are in place."""

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

from rq import Queue

from app.collectors.base import FetchResult, PostData
from app.collectors.intake import store_pushed
from app.collectors.models import Post
from app.extensions import db
from app.stats.models import PostWords
from tests.conftest import TEST_REDIS_URL

# A fresh interpreter that imports nothing of the app but what building it imports, then
# stores a pushed post, as `flask worker`, the CLI and the web app each do after create_app.
FRESH_APP = textwrap.dedent("""
    import json, sys
    from app import create_app
    from tests.conftest import make_config

    app = create_app(make_config(sys.argv[1]))
    with app.app_context():
        from app.collectors import hooks as collector_hooks
        from app.collectors.base import FetchResult, PostData
        from app.collectors.intake import store_pushed
        from app.triage import hooks as triage_hooks
        from datetime import UTC, datetime

        post = PostData(
            source="webhook:fresh", external_id="1", text="Đường Nguyễn Hữu Cảnh ngập sâu",
            posted_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
        )
        stats = store_pushed(FetchResult(posts=[post]))
        print(json.dumps({
            "new_ids": stats.new_ids,
            "collectors": collector_hooks.registered_hooks(),
            "triage": triage_hooks.registered_hooks(),
        }))
""")


def _pushed(external_id="1", text="Đường Nguyễn Hữu Cảnh ngập sâu sau mưa"):
    post = PostData(
        source="webhook:test",
        external_id=external_id,
        text=text,
        posted_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
    )
    return FetchResult(posts=[post])


def test_a_freshly_built_app_hands_stored_posts_to_triage_and_the_trends(
    app, app_context, database_url
):
    finished = subprocess.run(
        [sys.executable, "-c", FRESH_APP, database_url],
        cwd=os.getcwd(),
        env={**os.environ, "TEST_REDIS_URL": TEST_REDIS_URL},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    answer = json.loads(finished.stdout.strip().splitlines()[-1])

    # Triage heard of the post: it is queued, and its job waits on the triage queue.
    (post_id,) = answer["new_ids"]
    db.session.expire_all()
    assert db.session.get(Post, post_id).triage_status == "queued"
    queue = Queue("triage", connection=app.extensions["socialbeat_redis"])
    assert [job.args for job in queue.jobs] == [([post_id],)]
    # The trends counted it in the storing transaction.
    assert db.session.get(PostWords, post_id) is not None
    assert "app.triage.tasks.enqueue_triage" in answer["collectors"]["new"]
    assert "app.stats.trends.hourly.record_new_posts" in answer["collectors"]["stored"]
    assert "app.stats.trends.hourly.record_readings" in answer["triage"]


def test_pushed_posts_are_queued_for_triage_and_counted(app, app_context):
    stats = store_pushed(_pushed())

    (post,) = db.session.scalars(db.select(Post)).all()
    assert stats.new_ids == [post.id]
    assert post.triage_status == "queued"
    assert Queue("triage", connection=app.extensions["socialbeat_redis"]).count == 1
    assert db.session.get(PostWords, post.id) is not None


def test_collect_sweep_hands_pending_posts_to_triage_again(app, app_context, runner):
    from app.collectors.operations import store_posts

    store_posts(_pushed("1").posts + _pushed("2", "Rác ở hẻm 12 chưa được thu gom").posts)

    result = runner.invoke(args=["collect", "sweep"])

    assert result.exit_code == 0, result.output
    assert result.output == "re-enqueued 2 posts\n"
    db.session.expire_all()
    assert {post.triage_status for post in db.session.scalars(db.select(Post))} == {"queued"}
