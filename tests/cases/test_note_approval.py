"""Issue 15, item 4: in a unit that requires approval, public text waits for a supervisor.

An officer's public note (through the API or the case page's form) is held: citizens do
not see it on /public/cases/<code> until a supervisor of the unit approves it; a rejected
note stays hidden for good. Supervisors and admins publish directly.
"""

import re

import pytest

from app.cases import comments, operations
from app.cases.models import Case
from app.cases.operations import CaseError
from app.extensions import db

NOTE = "Đội thoát nước sẽ nạo vét cống trong tuần này"


def _csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _public_page(client, case) -> str:
    return client.get(f"/public/cases/{case.code}?lang=vi").get_data(as_text=True)


@pytest.fixture
def approval_unit(create_unit, create_user, create_case):
    """A unit that requires approval, its officer and supervisor, and a case in progress."""
    unit = create_unit(kind="department", requires_response_approval=True)
    officer = create_user("officer", unit_code=unit.code, locale="en")
    supervisor = create_user("supervisor", unit_code=unit.code, locale="en")
    case = create_case("in_progress", unit_code=unit.code)
    return unit, officer, supervisor, case


def test_an_officers_public_note_through_the_api_waits_for_the_supervisor(
    client, api_token, approval_unit
):
    _, officer, supervisor, case = approval_unit

    held = client.post(
        f"/api/v1/cases/{case.id}/comments",
        json={"body": NOTE, "is_public": True},
        headers=api_token(officer),
    )

    assert held.status_code == 202
    assert (held.get_json()["kind"], held.get_json()["is_public"]) == (
        "public_note_submitted",
        False,
    )
    assert NOTE not in _public_page(client, case)

    version = client.get(f"/api/v1/cases/{case.id}", headers=api_token(supervisor)).get_json()[
        "version"
    ]
    approved = client.post(
        f"/api/v1/cases/{case.id}/comments/{held.get_json()['id']}/approval",
        json={"version": version, "approve": True},
        headers=api_token(supervisor),
    )

    assert approved.status_code == 200
    assert NOTE in _public_page(client, case)
    kinds = [e["kind"] for e in approved.get_json()["events"]][-3:]
    assert kinds == ["public_note_submitted", "public_note_approved", "public_reply"]


def test_an_officer_cannot_approve_a_note_and_a_decided_note_cannot_be_decided_again(
    client, api_token, approval_unit
):
    _, officer, supervisor, case = approval_unit
    held = client.post(
        f"/api/v1/cases/{case.id}/comments",
        json={"body": NOTE, "is_public": True},
        headers=api_token(officer),
    ).get_json()
    url = f"/api/v1/cases/{case.id}/comments/{held['id']}/approval"

    refused = client.post(url, json={"version": case.version}, headers=api_token(officer))
    assert refused.status_code == 403
    assert NOTE not in _public_page(client, case)

    no_reason = client.post(
        url, json={"version": case.version, "approve": False}, headers=api_token(supervisor)
    )
    assert no_reason.status_code == 422
    assert set(no_reason.get_json()) == {"code", "message", "errors"}

    rejected = client.post(
        url,
        json={"version": case.version, "approve": False, "note": "Chưa đúng thông tin"},
        headers=api_token(supervisor),
    )
    assert rejected.status_code == 200
    again = client.post(
        url, json={"version": rejected.get_json()["version"]}, headers=api_token(supervisor)
    )
    assert again.status_code == 409
    assert NOTE not in _public_page(client, case)

    unknown = client.post(
        f"/api/v1/cases/{case.id}/comments/999999/approval",
        json={"version": rejected.get_json()["version"]},
        headers=api_token(supervisor),
    )
    assert unknown.status_code == 404


def test_the_case_page_form_holds_the_note_until_the_supervisor_approves_it(
    app, client, login, approval_unit
):
    _, officer, supervisor, case = approval_unit
    login(officer)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    answer = client.post(
        f"/cases/{case.id}/comment",
        data={"body": NOTE, "visibility": "public", "csrf_token": _csrf(page)},
        follow_redirects=True,
    )

    officer_page = answer.get_data(as_text=True)
    assert "The public note waits for a supervisor&#39;s approval." in officer_page
    assert NOTE in officer_page  # the officer still sees what is waiting
    assert 'name="decision" value="reject"' not in officer_page
    assert NOTE not in _public_page(client, case)

    supervisor_client = app.test_client()
    login(supervisor, supervisor_client)
    page = supervisor_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Public notes waiting for approval" in page
    note_id = int(re.search(r'/notes/(\d+)/approval"', page).group(1))
    version = db.session.get(Case, case.id).version

    answer = supervisor_client.post(
        f"/cases/{case.id}/notes/{note_id}/approval",
        data={"decision": "approve", "version": version, "csrf_token": _csrf(page)},
        follow_redirects=True,
    )

    assert "Public note published." in answer.get_data(as_text=True)
    assert NOTE in _public_page(client, case)


def test_a_rejected_note_stays_hidden_and_the_reason_is_on_the_timeline(
    app, client, login, approval_unit
):
    _, officer, supervisor, case = approval_unit
    note = comments.add_comment(case, officer, NOTE, is_public=True)
    login(supervisor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    url = f"/cases/{case.id}/notes/{note.id}/approval"

    without_reason = client.post(
        url,
        data={"decision": "reject", "version": case.version, "csrf_token": _csrf(page)},
        follow_redirects=True,
    )
    assert NOTE in without_reason.get_data(as_text=True)
    assert len(comments.held_notes(db.session.get(Case, case.id))) == 1

    answer = client.post(
        url,
        data={
            "decision": "reject",
            "reason": "Nêu rõ thời gian cụ thể",
            "version": case.version,
            "csrf_token": _csrf(page),
        },
        follow_redirects=True,
    )

    staff_page = answer.get_data(as_text=True)
    assert "Nêu rõ thời gian cụ thể" in staff_page
    assert "Public notes waiting for approval" not in staff_page
    assert NOTE not in _public_page(client, case)
    kept = db.session.get(Case, case.id)
    assert [(e.kind, e.is_public) for e in kept.events][-2:] == [
        ("public_note_submitted", False),
        ("public_note_rejected", False),
    ]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_publish_directly(
    client, create_user, api_token, approval_unit, role
):
    unit, _, _, case = approval_unit
    author = create_user(role, unit_code=unit.code)

    answer = client.post(
        f"/api/v1/cases/{case.id}/comments",
        json={"body": NOTE, "is_public": True},
        headers=api_token(author),
    )

    assert answer.status_code == 201
    assert answer.get_json()["kind"] == "public_reply"
    assert NOTE in _public_page(client, case)


def test_without_approval_a_public_note_is_published_at_once(
    client, create_user, api_token, create_case
):
    case = create_case("in_progress")
    answer = client.post(
        f"/api/v1/cases/{case.id}/comments",
        json={"body": NOTE, "is_public": True},
        headers=api_token(create_user("officer")),
    )
    assert answer.status_code == 201
    assert NOTE in _public_page(client, case)


def test_a_response_from_a_template_is_held_like_any_response(app, client, login, approval_unit):
    """Templates only fill the response box; the response still goes through approval,
    and the supervisor sees the held text with approve and return on the case page."""
    from app.cases.models import ResponseTemplate

    _, officer, supervisor, case = approval_unit
    operations.transition(case, "resolved", officer, version=case.version)
    db.session.add(ResponseTemplate(category=case.category, title="Mẫu", body="Mẫu trả lời"))
    db.session.commit()
    login(officer)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert '<option value="Mẫu trả lời">Mẫu</option>' in page

    client.post(
        f"/cases/{case.id}/transition",
        data={
            "to": "responded",
            "public_response": "Mẫu trả lời",
            "version": db.session.get(Case, case.id).version,
            "csrf_token": _csrf(page),
        },
    )

    assert db.session.get(Case, case.id).status == "resolved"
    assert "Mẫu trả lời" not in _public_page(client, case)

    supervisor_client = app.test_client()
    login(supervisor, supervisor_client)
    page = supervisor_client.get(f"/cases/{case.id}").get_data(as_text=True)
    held = page.split("Response waiting for approval", 1)[1].split("</section>", 1)[0]
    assert "Mẫu trả lời" in held
    assert 'name="decision" value="approve"' in held
    assert 'name="decision" value="return"' in held

    answer = supervisor_client.post(
        f"/cases/{case.id}/approval",
        data={
            "decision": "approve",
            "version": db.session.get(Case, case.id).version,
            "csrf_token": _csrf(page),
        },
        follow_redirects=True,
    )

    assert "Response published." in answer.get_data(as_text=True)
    assert db.session.get(Case, case.id).status == "responded"
    assert "Mẫu trả lời" in _public_page(client, case)


def test_the_rule_lives_in_the_service_layer(approval_unit):
    _, officer, supervisor, case = approval_unit
    note = comments.add_comment(case, officer, NOTE, is_public=True)
    assert comments.is_held(note) and not note.is_public
    assert comments.held_notes(case) == [note]
    with pytest.raises(CaseError) as refused:
        comments.approve_note(case, officer, note.id, version=case.version)
    assert refused.value.status == 403

    published = comments.approve_note(case, supervisor, note.id, version=case.version)

    assert (published.kind, published.is_public, published.body) == ("public_reply", True, NOTE)
    assert comments.held_notes(case) == []
