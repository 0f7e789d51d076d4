"""Issue 17, item 5: the reporter hears of status changes and the public response (never
internal notes), and a user in digest mode gets one email an hour gathering several."""

import base64
import re
from datetime import timedelta

import pytest

from app.cases import comments, operations
from app.collectors.models import Post
from app.extensions import db
from app.models import utcnow
from app.notifications import preferences, reporter
from app.notifications.mentions import mentioned_handles
from app.notifications.tasks import dispatch_digests, dispatch_emails, dispatch_reporter_emails
from tests.public.conftest import csrf_token

INTERNAL = "Ghi chú nội bộ: chủ đầu tư chậm trễ, chưa báo dân"
RESPONSE = "Đã vá ổ gà và cắm biển cảnh báo."


def _report(case, *, email="dan@example.vn", language="vi", consent=True, number=1):
    post = Post(
        source="citizen",
        channel="direct",
        external_id=f"report-{number}",
        text="Ổ gà sâu trước số 12 Điện Biên Phủ, 2 người ngã",
        language=language,
        posted_at=utcnow(),
        contact={"name": "Trần Thị C", "email": email} if consent else None,
        case_id=case.id,
    )
    db.session.add(post)
    db.session.commit()
    return post


def _step(case, to, actor, note=None, **values):
    operations.transition(case, to, actor, note, version=case.version, **values)


@pytest.fixture
def officer(create_user):
    return create_user("supervisor")


def test_the_reporter_is_emailed_on_each_status_change_without_internal_notes(
    create_case, officer, outbox, inline_jobs
):
    case = create_case("received")
    _report(case)

    _step(case, "verifying", officer, INTERNAL)
    dispatch_reporter_emails()

    (message,) = outbox
    assert message["To"] == "dan@example.vn"
    assert case.code in message["Subject"]
    body = message.get_content()
    assert "Đơn vị phụ trách đang xác minh." in body  # the plain status, in Vietnamese
    assert f"https://socialbeat.test/public/cases/{case.code}" in body
    assert INTERNAL not in body and "chủ đầu tư" not in body

    _step(case, "in_progress", officer, INTERNAL)
    dispatch_reporter_emails()
    assert len(outbox) == 2 and INTERNAL not in outbox[1].get_content()


def test_the_reporter_gets_the_public_response_in_their_language(
    create_case, officer, outbox, inline_jobs
):
    case = create_case("resolved")
    _report(case, language="en")

    _step(case, "responded", officer, INTERNAL, public_response=RESPONSE)
    dispatch_reporter_emails()

    (message,) = outbox
    assert message["Subject"] == f"[Social Beat] The city answered your report {case.code}"
    body = message.get_content()
    assert RESPONSE in body
    assert f"https://socialbeat.test/public/cases/{case.code}" in body
    assert INTERNAL not in body


def test_internal_notes_and_assignments_send_the_reporter_nothing(
    create_case, officer, outbox, inline_jobs
):
    case = create_case("verifying")
    _report(case)

    comments.add_comment(case, officer, INTERNAL)
    operations.assign(case, officer, officer, version=case.version)
    dispatch_reporter_emails()

    assert outbox == []


def test_no_email_without_an_address_given_with_consent(create_case, officer, outbox, inline_jobs):
    case = create_case("received")
    _report(case, consent=False)

    _step(case, "verifying", officer)
    dispatch_reporter_emails()

    assert outbox == []


def test_the_reporter_stops_the_emails_with_the_link_in_each(
    client, create_case, officer, outbox, inline_jobs
):
    case = create_case("received")
    _report(case)
    _step(case, "verifying", officer)
    dispatch_reporter_emails()
    link = re.search(
        r"https://socialbeat\.test(/public/emails/stop/\S+)", outbox[0].get_content()
    ).group(1)
    payload = link.rsplit("/", 1)[1].split(".")[0]
    assert b"dan@example.vn" not in base64.urlsafe_b64decode(payload + "==")  # only a digest

    # Opening the link (as a mail scanner would) only shows the button.
    page = client.get(f"{link}?lang=en")
    assert page.status_code == 200
    assert "Stop these emails" in page.get_data(as_text=True)
    _step(case, "in_progress", officer)
    dispatch_reporter_emails()
    assert len(outbox) == 2

    done = client.post(f"{link}?lang=en", data={"csrf_token": csrf_token(client)})
    assert done.status_code == 200
    assert f"you will receive no more emails about case {case.code}" in done.get_data(as_text=True)
    _step(case, "resolved", officer)
    _step(case, "responded", officer, public_response=RESPONSE)
    dispatch_reporter_emails()
    assert len(outbox) == 2
    # A link this site did not sign stops nothing.
    assert client.get(link[:-3] + "abc").status_code == 404
    assert client.get("/public/emails/stop/x").status_code == 404


def test_the_reporter_message_is_written_with_the_change(create_case, officer):
    """In the same transaction: a change rolled back leaves no message behind."""
    from app.notifications.models import ReporterEmail

    case = create_case("received")
    _report(case)
    operations.record_event(case, "status_changed", officer, to_value="verifying")
    db.session.flush()
    assert db.session.scalar(db.select(db.func.count(ReporterEmail.id))) == 1
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(ReporterEmail.id))) == 0


def test_digest_mode_sends_one_email_gathering_several(
    create_user, create_case, outbox, inline_jobs
):
    supervisor = create_user("supervisor")
    busy = create_user("officer", locale="en")
    preferences.save(busy.id, [], digest=True)
    cases = [create_case("verifying", title=f"Cây đổ số {n}") for n in range(3)]

    for case in cases:
        operations.assign(case, busy, supervisor, version=case.version)
    dispatch_emails()
    assert [m for m in outbox if m["To"] == busy.email] == []

    dispatch_digests(utcnow() + timedelta(minutes=1))

    (digest,) = [m for m in outbox if m["To"] == busy.email]
    assert digest["Subject"] == "[Social Beat] Hourly digest: 3 notifications"
    body = digest.get_content()
    for case in cases:
        assert f"Assigned to you: {case.code}" in body
    dispatch_digests(utcnow() + timedelta(hours=1))
    assert len([m for m in outbox if m["To"] == busy.email]) == 1


def test_the_hourly_digest_job_is_registered():
    from app.jobs import PERIODIC_JOBS

    (found,) = [j for j in PERIODIC_JOBS if j.name.endswith("dispatch_digest_emails")]
    assert found.interval == 3600


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("@lan.nguyen xem giúp", {"lan.nguyen"}),
        ("Nhờ @Lan.Nguyen, @binh. Cảm ơn", {"lan.nguyen", "binh"}),
        ("Gửi binh@hcm.gov.vn", set()),
        ("@@binh hoặc x.@binh", set()),
        (None, set()),
    ],
)
def test_mention_syntax(text, handles):
    assert mentioned_handles(text) == handles


def test_reporter_compose_in_vietnamese_by_default(app, create_case, officer):
    from flask_babel import force_locale

    case = create_case("received")
    message = reporter.ReporterEmail(case=case, kind="status", data={"status": "in_progress"})
    with force_locale("vi"):
        subject, body = reporter.compose(message)
    assert case.code in subject and "Đang được xử lý." in body
