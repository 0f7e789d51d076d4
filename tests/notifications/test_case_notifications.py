"""Issue 17, item 5: officers hear of assignments, citizen reopenings, mentions and new P1
cases in their unit, in the app and by email, each kind switchable in their settings."""

from app.cases import moves, operations
from app.cases.models import EventKind
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.tasks import dispatch_emails
from app.public.operations import notify_reopened


def _notifications(user) -> list[Notification]:
    return list(
        db.session.scalars(
            db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_assignment_notifies_the_assignee_in_the_app_and_by_email(
    create_user, create_case, notifications_page, outbox, inline_jobs
):
    supervisor = create_user("supervisor", locale="en", full_name="Trần Giám Sát")
    officer = create_user("officer", locale="en")
    case = create_case("verifying", title="Ổ gà lớn trên đường Điện Biên Phủ")

    operations.assign(case, officer, supervisor, version=case.version)

    page = notifications_page(officer)
    assert f"Assigned to you: {case.code}" in page
    assert "Trần Giám Sát assigned you “Ổ gà lớn trên đường Điện Biên Phủ”." in page
    dispatch_emails()
    (message,) = [m for m in outbox if m["To"] == officer.email]
    assert f"Assigned to you: {case.code}" in message["Subject"]
    assert f"https://socialbeat.test/cases/{case.id}" in message.get_content()


def test_taking_a_case_yourself_notifies_nobody(create_user, create_case, notifications_page):
    officer = create_user("officer", locale="en")
    case = create_case("verifying")

    operations.assign(case, officer, officer, version=case.version)

    assert _notifications(officer) == []
    assert "No notifications." in notifications_page(officer)


def test_a_new_p1_case_notifies_the_units_officers_and_supervisor(
    create_user, create_case, notifications_page
):
    officers = [create_user("officer", locale="en") for _ in range(2)]
    supervisor = create_user("supervisor", locale="en")
    analyst = create_user("analyst", locale="en")
    elsewhere = create_user("officer", unit_code="SO-YT", locale="en")
    opener = create_user("officer", locale="en")

    case = create_case(actor=opener, title="Tai nạn liên hoàn, 2 người bị thương", priority="P1")

    for user in [*officers, supervisor]:
        page = notifications_page(user)
        assert f"New P1 case in your unit: {case.code}" in page
        assert "Tai nạn liên hoàn, 2 người bị thương" in page
    for user in (analyst, elsewhere, opener):
        assert _notifications(user) == []


def test_a_p3_case_notifies_nobody(create_user, create_case):
    officer = create_user("officer")
    create_case(priority="P3")
    assert _notifications(officer) == []


def test_a_case_raised_to_p1_by_triage_notifies_the_unit(create_user, create_case):
    """Triage raises the priority when a case spreads fast (intake._add_mention)."""
    officer = create_user("officer")
    case = create_case(priority="P2")
    assert _notifications(officer) == []

    operations.record_event(
        case, EventKind.updated, None, from_value="P2", to_value="P1",
        data={"field": "priority"},
    )  # fmt: skip
    case.priority = "P1"
    db.session.commit()

    assert [n.kind for n in _notifications(officer)] == ["new_p1"]


def test_a_p1_case_transferred_in_notifies_the_new_unit(create_user, create_case):
    receiving = create_user("officer", unit_code="SO-YT")
    admin = create_user("admin", unit_code="UBND-TP")
    case = create_case(priority="P1", actor=admin)

    moves.transfer(
        case, receiving.unit, admin, "Thuộc thẩm quyền Sở Giao thông", version=case.version
    )

    assert [n.kind for n in _notifications(receiving)] == ["new_p1"]


def test_a_note_mentioning_a_colleague_notifies_them(
    client, login, csrf, create_user, create_case, notifications_page
):
    author = create_user("officer", locale="en", full_name="Lê Văn Tác")
    lan = create_user("officer", email="lan.nguyen@hcm.gov.vn", locale="en")
    other = create_user("officer", email="binh@hcm.gov.vn", locale="en")
    outsider = create_user("officer", unit_code="SO-YT", email="hoa@hcm.gov.vn")
    case = create_case("in_progress")

    login(author)
    response = client.post(
        f"/cases/{case.id}/comment",
        data={
            "csrf_token": csrf(),
            "body": "@Lan.Nguyen xem giúp ảnh hiện trường, @hoa nữa. Liên hệ binh@hcm.gov.vn.",
        },
    )

    assert response.status_code in (302, 303)
    page = notifications_page(lan)
    assert f"Lê Văn Tác mentioned you on {case.code}" in page
    assert "xem giúp ảnh hiện trường" in page
    # An address in the text is not a mention; nobody is told of a case they cannot see.
    assert _notifications(other) == []
    assert _notifications(outsider) == []
    assert _notifications(author) == []


def test_switching_a_kind_off_in_the_settings_stops_it(
    client, login, csrf, create_user, create_case, notifications_page, outbox, inline_jobs
):
    supervisor = create_user("supervisor")
    officer = create_user("officer", locale="en")
    login(officer)
    page = client.get("/notifications/settings?lang=en").get_data(as_text=True)
    assert "A case is assigned to me" in page and 'name="case_assigned:app"' in page

    # Everything on except assignments (neither in the app nor by email).
    form = {
        f"{kind}:{channel}": "1"
        for kind in ("citizen_reopened", "case_mention", "new_p1")
        for channel in ("app", "email")
    }
    saved = client.post("/notifications/settings", data={"csrf_token": csrf(), **form})
    assert saved.status_code == 303
    settings_page = client.get("/notifications/settings?lang=en").get_data(as_text=True)
    assert 'name="case_assigned:app" value="1" checked' not in settings_page
    assert 'name="new_p1:app" value="1" checked' in settings_page

    case = create_case("verifying")
    operations.assign(case, officer, supervisor, version=case.version)
    assert _notifications(officer) == []

    # Reopenings by email only: not on the page, but emailed.
    login(officer)
    del form["citizen_reopened:app"]
    client.post("/notifications/settings", data={"csrf_token": csrf(), **form})
    notify_reopened(case, 1, case.updated_at)
    db.session.commit()
    assert "Reopened by the citizen" not in notifications_page(officer)
    dispatch_emails()
    (message,) = [m for m in outbox if m["To"] == officer.email]
    assert f"Reopened by the citizen: {case.code}" in message["Subject"]


def test_an_email_switched_off_is_not_sent_but_shown(
    create_user, create_case, notifications_page, outbox, inline_jobs
):
    from app.notifications import preferences

    supervisor = create_user("supervisor")
    officer = create_user("officer", locale="en")
    preferences.save(officer.id, ["case_assigned:email"], digest=False)
    case = create_case("verifying")

    operations.assign(case, officer, supervisor, version=case.version)
    dispatch_emails()

    assert f"Assigned to you: {case.code}" in notifications_page(officer)
    assert [m for m in outbox if m["To"] == officer.email] == []
