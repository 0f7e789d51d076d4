"""Direct reports are cases at once; triage afterwards only suggests (issue 17, item 3)."""

from flask_babel import force_locale

from app.cases import operations
from app.cases.models import Case
from app.collectors.base import PostData
from app.collectors.models import Post
from app.collectors.operations import store_posts
from app.extensions import db
from app.models import utcnow
from app.public.reports import file_report
from app.triage.reasons import localise
from app.triage.tasks import triage_posts


def _collected(text: str, external_id: str) -> int:
    post = PostData(source="facebook", external_id=external_id, text=text, posted_at=utcnow())
    [post_id] = store_posts([post]).new_ids
    return post_id


def _cases() -> list[Case]:
    return db.session.scalars(db.select(Case).order_by(Case.id)).all()


def test_a_report_joins_the_open_case_that_collected_posts_opened(app_context, keyword_classifier):
    triage_posts([_collected("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa, xe chết máy", "fb-1")])
    [case] = _cases()

    filed = file_report(
        {
            "text": "Nguyễn Hữu Cảnh lại ngập sâu sau mưa chiều nay",
            "category": "flooding",
            "submission_id": "r-1",
        }
    )

    assert (filed.case.id, filed.joined, filed.code) == (case.id, True, case.code)
    assert filed.post.case_id == case.id and case.mention_count == 2
    assert len(_cases()) == 1


def test_a_report_that_repeats_a_finished_case_opens_a_new_one(
    app_context, keyword_classifier, create_user
):
    triage_posts([_collected("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa", "fb-1")])
    [answered] = _cases()
    admin = create_user("admin", unit_code="UBND-TP")
    for step in ("verifying", "in_progress", "resolved"):
        operations.transition(answered, step, admin, version=answered.version)
    operations.transition(
        answered, "responded", admin, version=answered.version, public_response="Đã nạo vét."
    )

    filed = file_report(
        {"text": "Đường Nguyễn Hữu Cảnh ngập sâu sau mưa", "category": "flooding", "ward": ""}
    )

    # Triage would call it "problem persists" on the answered case; the citizen gets a new case.
    assert filed.case.id != answered.id and not filed.joined
    assert (filed.case.status, filed.code) == ("received", filed.post.tracking_code)
    assert answered.status == "responded" and answered.mention_count == 1


def test_triage_suggests_the_category_and_the_duplicate_and_changes_nothing(
    app_context, keyword_classifier
):
    triage_posts([_collected("Ổ gà lớn trên đường Lê Văn Sỹ làm nhiều xe máy ngã", "fb-1")])
    [pothole] = _cases()
    filed = file_report(
        {
            "text": "Đường Lê Văn Sỹ có ổ gà lớn, nhiều xe máy ngã",
            "category": "other",
            "submission_id": "r-1",
        }
    )
    direct = filed.case
    assert direct.id != pothole.id  # another category: not joined at filing
    state = (direct.category, direct.priority, direct.unit_id, direct.version)
    traffic = _collected("Kẹt xe kéo dài trên cầu Sài Gòn giờ tan tầm", "fb-2")

    # One triage batch: the report (a case already) and a collected post (not yet).
    assert triage_posts([filed.post.id, traffic])["done"] == 2

    db.session.expire_all()
    direct = db.session.get(Case, direct.id)
    assert (direct.category, direct.priority, direct.unit_id, direct.version) == state
    event = direct.events[-1]
    assert event.kind == "triage"
    assert event.data["suggestion"]["category"] == "infrastructure"
    [duplicate] = event.data["suggestion"]["duplicates"]
    assert (duplicate["case_id"], duplicate["code"]) == (pothole.id, pothole.code)
    assert event.body.startswith("suggests category infrastructure (90%) instead of other; ")
    assert f"possible duplicate of {pothole.code} (similarity " in event.body
    assert db.session.get(Case, pothole.id).mention_count == 1
    post = db.session.get(Post, filed.post.id)
    assert (post.case_id, post.needs_review, post.triage_status) == (direct.id, False, "done")
    # The collected post was triaged as ever: a traffic case of its own.
    assert [c.category for c in _cases()] == ["infrastructure", "other", "traffic"]
    assert db.session.get(Post, traffic).case_id == _cases()[2].id


def test_the_reading_of_a_direct_report_is_said_in_the_readers_language(app_context):
    stored = (
        "suggests priority P1 (the case has P3); suggests category infrastructure (43%) "
        "instead of other; possible duplicate of HCM-7K3M-Q9XW5 (similarity 0.31); "
        "filed by a citizen as infrastructure; ward chosen by the citizen: Phường Sài Gòn"
    )
    with force_locale("en"):
        assert localise(stored) == (
            "suggests priority P1 (the case has P3); suggests category Urban infrastructure "
            "(43%) instead of Other; possible duplicate of HCM-7K3M-Q9XW5 (similarity 0.31); "
            "filed by a citizen as Urban infrastructure; ward chosen by the citizen: "
            "Phường Sài Gòn"
        )
    with force_locale("vi"):
        assert "Hạ tầng đô thị" in localise(stored)
