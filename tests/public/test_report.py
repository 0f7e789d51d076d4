"""Filing a report on the public form: tracking code, pipeline, spam defences, photos, privacy."""

import io
import re

import pytest
from PIL import Image

from app.collectors.models import Post
from app.extensions import db
from app.triage.tasks import triage_posts
from app.units.models import Unit
from tests.public.conftest import PHONE, assert_no_phone, csrf_token


def _code_from(response) -> str:
    post = db.session.scalars(db.select(Post).order_by(Post.id.desc())).first()
    assert post.tracking_code in response.get_data(as_text=True)
    return post.tracking_code


def test_filing_returns_a_tracking_code_and_stores_a_citizen_post(file_report):
    response = file_report(submission_id="form-1")
    assert response.status_code == 200
    code = _code_from(response)
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    assert (post.source, post.channel) == ("citizen", "direct")
    assert post.place_hints["place_name"] == "Bình Thạnh"


def test_a_double_submit_files_one_report(file_report):
    file_report(submission_id="same")
    file_report(submission_id="same")
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 1


def test_a_chosen_ward_is_passed_as_the_place(file_report):
    ward = db.session.scalars(db.select(Unit).where(Unit.kind == "ward").order_by(Unit.id)).first()
    file_report(place="", ward=ward.code, submission_id="w")
    post = db.session.scalars(db.select(Post)).one()
    assert post.place_hints["place_name"] == ward.name_vi


def test_an_unknown_ward_is_refused(file_report):
    assert file_report(ward="no-such-ward").status_code == 422


# --- a direct report is a case at once (issue 17, item 3) ----------------------------------

POTHOLE = "Ổ gà lớn giữa đường Lê Văn Sỹ, tối qua 2 người ngã xe, có ảnh đính kèm?"


def _a_ward() -> Unit:
    return db.session.scalars(db.select(Unit).where(Unit.kind == "ward").order_by(Unit.id)).first()


def _local(moment) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")


def test_a_report_is_a_case_at_once_with_the_citizens_category_ward_and_unit(
    client, file_report, uploads
):
    from app.cases.models import Case
    from app.public.operations import promised_response_at
    from app.triage.routing import route

    ward = _a_ward()
    response = file_report(
        text=POTHOLE,
        category="infrastructure",
        ward=ward.code,
        place="",
        photo=(io.BytesIO(_photo_with_gps()), "o-ga.jpg"),
        submission_id="pothole",
    )

    assert response.status_code == 200
    code = _code_from(response)
    case = db.session.scalar(db.select(Case).where(Case.code == code))
    # No model has run: the case is there, as the citizen filed it, routed by the rules.
    assert (case.status, case.category, case.ward_id) == ("received", "infrastructure", ward.id)
    assert case.unit_id == route("infrastructure", ward).unit.id
    assert (case.source, case.created_by_id) == ("citizen", None)
    assert [e.kind for e in case.events] == ["created", "triage", "routed"]
    assert case.events[1].data["origin"] == "citizen_report"
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    assert (post.case_id, post.needs_review) == (case.id, False)
    due = promised_response_at(case)
    assert due is not None
    # The confirmation page and the citizen's page say "received" and the promised date.
    filed = response.get_data(as_text=True)
    assert "Tiếp nhận" in filed and _local(due) in filed
    page = client.get(f"/public/cases/{code}").get_data(as_text=True)
    assert "đang được phân loại" not in page
    assert "Đã tiếp nhận phản ánh của bạn." in page and "Tiếp nhận" in page
    assert "Hẹn trả lời trước" in page and _local(due) in page
    assert case.unit.name_vi in page


def test_a_chosen_ward_routes_to_the_ward_when_the_rules_say_so(file_report):
    from app.cases.models import Case

    ward = _a_ward()
    code = _code_from(
        file_report(
            text="Rác ùn ứ trước chợ mấy ngày chưa ai dọn",
            category="environment",
            ward=ward.code,
            submission_id="rac",
        )
    )
    case = db.session.scalar(db.select(Case).where(Case.code == code))
    assert (case.unit_id, case.category) == (ward.id, "environment")


def test_triage_afterwards_only_suggests_and_never_changes_the_category(
    client, file_report, keyword_classifier
):
    from flask_babel import force_locale

    from app.cases.models import Case
    from app.triage.reasons import localise

    code = _code_from(file_report(text=POTHOLE, category="other", submission_id="other"))
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    case = db.session.scalar(db.select(Case).where(Case.code == code))
    before = (case.category, case.priority, case.unit_id, case.status, case.version)

    # The model reads infrastructure at 50%: once this sent the report to the review queue.
    assert triage_posts([post.id]) == {"done": 1, "skipped": 0, "failed": 0}

    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.category, case.priority, case.unit_id, case.status, case.version) == before
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 1
    post = db.session.get(Post, post.id)
    assert (post.case_id, post.needs_review, post.category) == (case.id, False, "other")
    suggestion = case.events[-1]
    assert suggestion.kind == "triage"
    assert suggestion.data["suggestion"]["category"] == "infrastructure"
    assert suggestion.data["suggestion"]["category_confidence"] == 0.5
    assert "suggests category infrastructure (50%) instead of other" in suggestion.body
    with force_locale("en"):
        assert "suggests category Urban infrastructure (50%) instead of Other" in localise(
            suggestion.body
        )
    # Still one case for the citizen, with the same code, received.
    page = client.get(f"/public/cases/{code}").get_data(as_text=True)
    assert "Tiếp nhận" in page and "đang được phân loại" not in page


def test_a_repeat_report_joins_the_open_case_and_the_citizen_gets_its_code(client, file_report):
    from app.cases.models import Case

    first = _code_from(
        file_report(text="Ngập nước sâu ở đường Nguyễn Hữu Cảnh sau cơn mưa", submission_id="a")
    )
    response = file_report(
        text="Đường Nguyễn Hữu Cảnh lại ngập nước sâu sau mưa, xe chết máy", submission_id="b"
    )

    assert response.status_code == 200
    second = db.session.scalar(db.select(Post).where(Post.external_id == "b"))
    assert second.tracking_code != first
    page = response.get_data(as_text=True)
    assert first in page and second.tracking_code not in page
    assert 'data-testid="joined-case"' in page
    link = _feedback_link(response)
    assert link.startswith(f"/public/cases/{first}/feedback/")
    assert client.get(link).status_code == 200  # the reporter's link works on the joined case
    case = db.session.scalar(db.select(Case).where(Case.code == first))
    assert second.case_id == case.id
    assert (case.mention_count, db.session.scalar(db.select(db.func.count(Case.id)))) == (2, 1)
    assert case.events[-1].data["post_id"] == second.id
    # The report's own code leads to the case it joined, received with its promised date.
    followed = client.get(f"/public/cases/{second.tracking_code}").get_data(as_text=True)
    assert first in followed and "Tiếp nhận" in followed and "Hẹn trả lời trước" in followed


def test_a_report_of_another_category_opens_its_own_case(file_report):
    from app.cases.models import Case

    file_report(text="Ngập nước sâu ở đường Nguyễn Hữu Cảnh sau cơn mưa", submission_id="a")
    file_report(
        text="Đường Nguyễn Hữu Cảnh ngập nước sâu, kẹt xe hàng giờ",
        category="traffic",
        submission_id="b",
    )
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 2


def test_the_evening_report_counts_a_direct_report_case_as_from_citizens(file_report):
    from datetime import timedelta

    from app.models import utcnow
    from app.stats.reports.evening import new_cases_by_origin

    file_report(submission_id="evening")
    now = utcnow()
    assert new_cases_by_origin(now - timedelta(hours=1), now + timedelta(minutes=1)) == {
        "posts": 0,
        "direct": 1,
    }


def test_the_form_asks_what_the_problem_is_about(client, file_report):
    page = client.get("/public/report?lang=en").get_data(as_text=True)
    assert '<select id="category" name="category" required' in page
    assert '<option value="infrastructure">Urban infrastructure</option>' in page
    response = client.post(
        "/public/report?lang=en",
        data={"text": POTHOLE, "category": "potholes", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 422
    assert "Please choose what the problem is about." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_a_report_without_a_category_waits_for_triage_as_before(
    client, file_report, keyword_classifier
):
    code = _code_from(file_report(category="", submission_id="c"))
    assert "đang được phân loại" in client.get(f"/public/cases/{code}").get_data(as_text=True)
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    triage_posts([post.id])
    db.session.expire_all()
    assert post.case_id is not None
    page = client.get(f"/public/cases/{code}").get_data(as_text=True)
    assert "Ngập nước sâu" in page


def test_a_report_is_kept_when_its_case_cannot_be_opened(client, file_report, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("routing table unreadable")

    monkeypatch.setattr("app.triage.direct.open_or_join", broken)
    response = file_report(submission_id="kept")
    assert response.status_code == 200
    post = db.session.scalars(db.select(Post)).one()
    assert post.case_id is None and post.tracking_code in response.get_data(as_text=True)


def test_the_honeypot_holds_back_bots(file_report):
    response = file_report(website="http://spam.example")
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_too_many_reports_from_one_address_are_refused(app, file_report, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_REPORTS_PER_HOUR", 2)
    assert file_report(submission_id="1").status_code == 200
    assert file_report(submission_id="2").status_code == 200
    assert file_report(submission_id="3").status_code == 429
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 2


def test_an_empty_report_is_refused(file_report):
    assert file_report(text="  ").status_code == 422


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(0x8825)[2] = (10.0, 46.0, 30.0)  # GPSLatitude
    exif.get_ifd(0x8825)[1] = "N"
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def test_photos_are_stored_without_exif(file_report, uploads):
    original = _photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    file_report(photo=(io.BytesIO(original), "photo.jpg"), submission_id="p")
    stored = list(uploads.iterdir())
    assert len(stored) == 1
    with Image.open(stored[0]) as image:
        assert not image.getexif()
        assert "exif" not in image.info
        assert image.size == (64, 48)
    post = db.session.scalars(db.select(Post)).one()
    assert post.media_urls == [f"/public/media/{stored[0].name}"]


def test_a_file_that_is_no_photo_is_refused(file_report, uploads):
    response = file_report(photo=(io.BytesIO(b"not an image"), "x.jpg"))
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_photos_are_for_staff_only(client, file_report, uploads):
    file_report(photo=(io.BytesIO(_photo_with_gps()), "photo.jpg"), submission_id="p")
    name = next(uploads.iterdir()).name
    # Not on a public case: refused as if there were no such photo (tests/cases/test_report_carries.py).
    assert client.get(f"/public/media/{name}").status_code == 404


def test_contact_is_kept_only_with_consent(file_report):
    file_report(contact_name="Nguyễn Văn A", contact_phone=PHONE, submission_id="no")
    file_report(
        contact_name="Nguyễn Văn B", contact_phone=PHONE, contact_consent="1", submission_id="yes"
    )
    posts = {p.external_id: p for p in db.session.scalars(db.select(Post))}
    assert posts["no"].contact is None
    assert posts["yes"].contact == {"name": "Nguyễn Văn B", "phone": PHONE}


def test_a_phone_typed_into_a_report_reaches_no_public_page_or_api(
    client, file_report, keyword_classifier, create_user, api_token
):
    text = f"Ngập nước sâu trước nhà, gọi tôi {PHONE} hoặc 090 123 4567, email a@b.vn"
    code = _code_from(
        file_report(
            text=text,
            contact_name="Trần Thị C",
            contact_phone=PHONE,
            contact_email="c@example.vn",
            contact_consent="1",
            submission_id="leak",
        )
    )
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    triage_posts([post.id])
    db.session.expire_all()
    from app.cases import operations
    from app.cases.models import Case

    case = db.session.get(Case, post.case_id)
    admin = create_user("admin", unit_code="UBND-TP")
    for step in ("verifying", "in_progress", "resolved"):
        operations.transition(case, step, admin, version=case.version)
    operations.transition(
        case,
        "responded",
        admin,
        version=case.version,
        public_response=f"Đã xử lý; chúng tôi đã gọi lại số {PHONE}.",
    )
    answers = [
        client.get(f"/public/cases/{code}"),
        client.get(f"/public/cases/{code}?lang=en"),
        client.get("/public/browse"),
        client.get("/public/units"),
        client.get("/open311/v2/requests.json"),
        client.get("/open311/v2/requests.xml"),
        client.get(f"/open311/v2/requests/{code}.json"),
        client.get(f"/open311/v2/requests/{code}.xml"),
        client.get(f"/open311/v2/tokens/{code}.json"),
    ]
    for response in answers:
        assert response.status_code == 200, response.request.path
        body = response.get_data(as_text=True)
        assert_no_phone(body)
        for secret in ("Trần Thị C", "c@example.vn", "a@b.vn"):
            assert secret not in body
    assert "Đã xử lý" in answers[0].get_data(as_text=True)
    assert case.code == code


# --- a submission_id is one report: resent as is, or refused with 409 (issue 15, item 11) ------

CONFLICT_EN = "This form was already sent with a different report"
CONFLICT_VI = "Biểu mẫu này đã được gửi với một phản ánh khác"


def _submission_id_in(page: str) -> str:
    return re.search(r'name="submission_id" value="([^"]*)"', page).group(1)


def test_the_same_form_sent_twice_answers_with_the_same_tracking_code(file_report):
    first = file_report(submission_id="twice")
    second = file_report(submission_id="twice")

    assert (first.status_code, second.status_code) == (200, 200)
    post = db.session.scalars(db.select(Post)).one()
    assert post.tracking_code in first.get_data(as_text=True)
    assert post.tracking_code in second.get_data(as_text=True)


def test_a_used_submission_id_with_other_text_is_refused_not_dropped(client, file_report):
    first = file_report(text="Ngập nước sâu ở đường Nguyễn Hữu Cảnh", submission_id="reused")
    code = _code_from(first)

    second = client.post(
        "/public/report?lang=en",
        data={
            "text": "Cây đổ chắn ngang đường Điện Biên Phủ",
            "place": "Bình Thạnh",
            "submission_id": "reused",
            "csrf_token": csrf_token(client),
        },
        content_type="multipart/form-data",
    )

    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert CONFLICT_EN in page
    # Not the first report's code: the citizen must not think the second one was filed.
    assert code not in page
    post = db.session.scalars(db.select(Post)).one()
    assert (post.text, post.tracking_code) == ("Ngập nước sâu ở đường Nguyễn Hữu Cảnh", code)
    # The fresh form keeps what they typed under a new submission_id; sending it files it.
    assert "Cây đổ chắn ngang đường Điện Biên Phủ" in page
    fresh_id = _submission_id_in(page)
    assert fresh_id and fresh_id != "reused"
    third = file_report(text="Cây đổ chắn ngang đường Điện Biên Phủ", submission_id=fresh_id)
    assert third.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 2


def test_the_conflict_is_explained_in_vietnamese_by_default(file_report):
    file_report(text="Ngập nước sâu ở đường Nguyễn Hữu Cảnh", submission_id="reused")

    response = file_report(text="Rác ùn ứ trước chợ Bà Chiểu", submission_id="reused")

    assert response.status_code == 409
    assert CONFLICT_VI in response.get_data(as_text=True)


def test_a_reused_submission_id_is_a_conflict_in_the_intake(app_context):
    from app.collectors.intake import SubmissionConflict, submit_citizen_report

    first = submit_citizen_report({"text": "Ngập ở Thảo Điền", "submission_id": "s-1"})
    again = submit_citizen_report({"text": "Ngập ở Thảo Điền", "submission_id": "s-1"})
    assert (again.id, again.tracking_code) == (first.id, first.tracking_code)

    with pytest.raises(SubmissionConflict):
        submit_citizen_report({"text": "Ngập ở Thảo Điền", "place": "Q2", "submission_id": "s-1"})
    with pytest.raises(SubmissionConflict):
        submit_citizen_report({"text": "Mất điện ở Thảo Điền", "submission_id": "s-1"})

    assert [p.text for p in db.session.scalars(db.select(Post))] == ["Ngập ở Thảo Điền"]


def test_a_report_the_database_cannot_hold_is_refused_by_the_intake(app_context):
    from app.collectors.base import InvalidItem
    from app.collectors.intake import submit_citizen_report

    with pytest.raises(InvalidItem, match="NUL character in text"):
        submit_citizen_report({"text": "Ngập nước\x00 sâu", "submission_id": "nul"})
    with pytest.raises(InvalidItem, match="lone surrogate"):
        submit_citizen_report({"text": "Ngập \ud83d sâu", "submission_id": "surrogate"})

    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


SHORT_VI = "Vui lòng mô tả vấn đề bằng vài từ (ít nhất 15 ký tự)."
SHORT_EN = "Please describe the problem in a few words (at least 15 characters)."


def test_a_one_letter_report_is_refused_in_the_citizens_language(client, file_report):
    response = file_report(text="a", submission_id="short-vi")
    assert response.status_code == 422
    assert SHORT_VI in response.get_data(as_text=True)
    data = {"text": "a", "place": "Bình Thạnh", "csrf_token": csrf_token(client)}
    english = client.post("/public/report?lang=en", data=data)
    assert english.status_code == 422
    assert SHORT_EN in english.get_data(as_text=True)
    # Spaces do not make it longer; fifteen characters of words do.
    assert file_report(text="a      b       c", submission_id="spaces").status_code == 422
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0
    assert file_report(text="Ổ gà sâu ở Q1 lâu ", submission_id="ok").status_code == 200


def test_the_short_report_rule_is_a_plain_function():
    from app.public.reports import ReportError, check_description

    assert check_description("  Ổ gà lớn giữa đường  ") == "Ổ gà lớn giữa đường"
    with pytest.raises(ReportError) as refused:
        check_description("a")
    assert refused.value.field == "text"


def _feedback_link(response) -> str:
    match = re.search(
        r'data-testid="feedback-link"[^>]*>([^<]+)</a>', response.get_data(as_text=True)
    )
    return match.group(1).replace("http://localhost", "")


def test_the_confirmation_page_shows_the_feedback_link_once(client, file_report):
    from app.public.models import FeedbackToken

    response = file_report(submission_id="link")
    code = _code_from(response)
    link = _feedback_link(response)
    token = link.rsplit("/", 1)[1]
    assert link == f"/public/cases/{code}/feedback/{token}"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert len(token) >= 40 and code.replace("-", "") not in token.replace("-", "")
    assert db.session.scalar(db.select(FeedbackToken.token_hash)) != token
    for page in (f"/public/cases/{code}", f"/public/cases/{code}?lang=en", "/public/browse"):
        assert token not in client.get(page).get_data(as_text=True)
    assert client.get(link).status_code == 200


def test_a_double_submit_keeps_only_the_last_link_shown(client, file_report):
    first = _feedback_link(file_report(submission_id="twice"))
    second = _feedback_link(file_report(submission_id="twice"))
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_the_reporter_follows_the_link_and_reopens_the_case(
    client, file_report, keyword_classifier, create_user
):
    from app.cases import operations
    from app.cases.models import Case
    from app.notifications.models import Notification

    response = file_report(submission_id="journey")
    code, link = _code_from(response), _feedback_link(response)
    triage_posts([db.session.scalar(db.select(Post.id).where(Post.tracking_code == code))])
    db.session.expire_all()
    case = db.session.scalar(db.select(Case).where(Case.code == code))
    supervisor = create_user("supervisor", unit_code=case.unit.code)
    admin = create_user("admin", unit_code="UBND-TP")
    for step in ("verifying", "in_progress", "resolved", "responded"):
        operations.transition(
            case, step, admin, version=case.version, public_response="Đã nạo vét cống."
        )
    stranger = client.get(f"/public/cases/{code}").get_data(as_text=True)
    assert "Chưa, vấn đề chưa được giải quyết" not in stranger

    page = client.get(link).get_data(as_text=True)
    assert "Chưa, vấn đề chưa được giải quyết" in page
    answer = client.post(link, data={"csrf_token": csrf_token(client), "solved": "no"})

    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "in_progress"
    assert [n.user_id for n in db.session.scalars(db.select(Notification))] == [supervisor.id]


def test_the_feedback_link_is_emailed_when_an_address_is_given(app, file_report, monkeypatch):
    from app.jobs import get_queue
    from app.notifications import tasks

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.vn")
    response = file_report(
        submission_id="mail", contact_email="c@example.vn", contact_name="Trần Thị C"
    )
    link = _feedback_link(response)
    assert "Chúng tôi cũng đã gửi liên kết này tới địa chỉ email của bạn." in response.get_data(
        as_text=True
    )
    jobs = get_queue("emails").jobs
    assert len(jobs) == 1
    sent = []
    monkeypatch.setattr(tasks.mail, "send_email", lambda *args: sent.append(args))
    jobs[0].perform()
    ((to, subject, body),) = sent
    assert to == "c@example.vn"
    assert _code_from(response) in subject
    assert link in body and body.count(link.rsplit("/", 1)[1]) == 1

    file_report(submission_id="no-mail", text="Cây đổ chắn ngang đường Điện Biên Phủ")
    assert len(get_queue("emails").jobs) == 1
