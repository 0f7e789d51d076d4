"""Issue 17, item 5: a P1 case that triage opens tells its unit at once (a P1 accident
with injuries once sat unassigned for 48 minutes)."""

from datetime import UTC, datetime

from app.cases.models import Case
from app.collectors.base import PostData
from app.collectors.operations import store_posts
from app.extensions import db
from app.notifications.models import Notification
from app.triage.tasks import triage_posts


def test_a_p1_case_opened_by_triage_notifies_the_units_officers_and_supervisor(
    app_context, keyword_classifier, create_user
):
    officer = create_user("officer", unit_code="SO-XD")
    supervisor = create_user("supervisor", unit_code="SO-XD")
    elsewhere = create_user("officer", unit_code="SO-YT")
    [post_id] = store_posts(
        [
            PostData(
                source="facebook",
                external_id="p1-accident",
                text="Đường Nguyễn Hữu Cảnh ngập sâu, xe máy tai nạn, 2 người bị thương",
                posted_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
            )
        ]
    ).new_ids

    triage_posts([post_id])

    case = db.session.scalars(db.select(Case)).one()
    assert (case.priority, case.unit.code) == ("P1", "SO-XD")
    notified = {(n.user_id, n.kind, n.case_id) for n in db.session.scalars(db.select(Notification))}
    assert notified == {(officer.id, "new_p1", case.id), (supervisor.id, "new_p1", case.id)}
    assert elsewhere.id not in {user_id for user_id, _, _ in notified}
