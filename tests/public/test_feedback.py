"""After a public response, only the reporter, through the secret link, says whether it is solved."""

import hashlib
import re

import pytest

from app.cases import operations as case_operations
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.notifications.models import Notification
from app.public.models import CitizenFeedback, FeedbackToken
from tests.public.conftest import csrf_token


def _answer(client, path, **data):
    token = csrf_token(client, "/public/")
    return client.post(path, data={"csrf_token": token, **data})


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def _status(case) -> str:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def test_a_stranger_sees_the_status_but_no_feedback_form(client, create_case, reporter_link):
    case = create_case("responded")
    reporter_link(case)
    page = client.get(f"/public/cases/{case.code}?lang=en").get_data(as_text=True)
    assert "Đã nạo vét cống." in page
    assert "Is the problem solved?" not in page
    assert 'name="solved"' not in page
    assert "with the link they received when filing" in page
    vietnamese = client.get(f"/public/cases/{case.code}?lang=vi").get_data(as_text=True)
    assert "Chưa, vấn đề chưa được giải quyết" not in vietnamese


@pytest.mark.parametrize(
    "path",
    [
        "/public/cases/{code}/feedback",
        "/public/cases/{code}/feedback/not-the-token",
        "/public/cases/{code}/feedback/{code}",
        "/public/cases/{code}/feedback/{other}",
        "/public/cases/{code}/feedback/" + "x" * 500,
    ],
)
def test_a_refusal_without_the_reporters_link_reopens_nothing(
    client, create_case, reporter_link, create_user, path
):
    case = create_case("responded")
    create_user("supervisor", unit_code="SO-XD")
    reporter_link(case)
    other_link = reporter_link(create_case("responded"))
    other_token = other_link.rsplit("/", 1)[1]
    response = _answer(
        client, path.format(code=case.code, other=other_token), solved="no", score="1"
    )
    assert response.status_code in (403, 404)
    assert _status(case) == "responded"
    assert (_count(CitizenFeedback), _count(Notification)) == (0, 0)


def test_a_link_works_only_for_its_own_case(client, create_case, reporter_link):
    mine, other = create_case("responded"), create_case("responded")
    token = reporter_link(mine).rsplit("/", 1)[1]
    response = _answer(client, f"/public/cases/{other.code}/feedback/{token}", solved="no")
    assert response.status_code == 404
    assert (_status(mine), _status(other)) == ("responded", "responded")


def test_the_reporters_link_shows_the_form_and_confirms(client, create_case, reporter_link):
    case = create_case("responded")
    link = reporter_link(case)
    form = client.get(f"{link}?lang=en")
    assert form.status_code == 200
    assert "Is the problem solved?" in form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "no-store"
    assert form.headers["Referrer-Policy"] == "no-referrer"

    response = _answer(client, link, solved="yes", score="5")

    assert response.status_code == 302
    assert link.rsplit("/", 1)[1] not in response.headers["Location"]
    feedback = db.session.scalars(db.select(CitizenFeedback)).one()
    assert (feedback.is_solved, feedback.score, feedback.reopened_case) == (True, 5, False)
    assert _status(case) == "responded"
    page = client.get(f"/public/cases/{case.code}?lang=en").get_data(as_text=True)
    assert "confirmed the problem is solved" in page
    assert "Is the problem solved?" not in client.get(f"{link}?lang=en").get_data(as_text=True)
    assert _count(Notification) == 0


def test_the_reporters_refusal_reopens_and_notifies_the_officer_and_supervisor(
    client, create_case, reporter_link, create_user, login
):
    officer = create_user("officer", unit_code="SO-XD")
    supervisor = create_user("supervisor", unit_code="SO-XD")
    elsewhere = create_user("supervisor", unit_code="UBND-TP")
    case = create_case("closed")
    db.session.get(Case, case.id).assignee_id = officer.id
    db.session.commit()
    link = reporter_link(case)

    response = _answer(client, link, solved="no", score="1")

    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.status, case.cycle) == ("in_progress", 2)
    event = db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.kind == "citizen_feedback")
    ).one()
    assert event.is_public and event.data["solved"] is False
    assert db.session.scalars(db.select(CitizenFeedback)).one().reopened_case
    notified = db.session.scalars(db.select(Notification)).all()
    assert sorted(n.user_id for n in notified) == sorted([officer.id, supervisor.id])
    assert elsewhere.id not in {n.user_id for n in notified}
    assert {(n.kind, n.case_id) for n in notified} == {("citizen_reopened", case.id)}

    login(officer)
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    assert f"Reopened by the citizen: {case.code}" in page
    assert "says the problem is not solved" in page
    page_vi = client.get("/notifications?lang=vi").get_data(as_text=True)
    assert case.code in page_vi


def test_a_refusal_without_an_assignee_reaches_the_supervisor(
    client, create_case, reporter_link, create_user
):
    supervisor = create_user("supervisor", unit_code="SO-XD")
    case = create_case("responded")
    _answer(client, reporter_link(case), solved="no")
    assert [n.user_id for n in db.session.scalars(db.select(Notification))] == [supervisor.id]


def test_feedback_waits_for_a_response_and_comes_once(client, create_case, reporter_link):
    open_case = create_case("in_progress")
    assert _answer(client, reporter_link(open_case), solved="yes").status_code == 422
    answered = create_case("responded")
    link = reporter_link(answered)
    _answer(client, link, solved="yes")
    again = _answer(client, f"{link}?lang=en", solved="no")
    assert again.status_code == 422
    assert "already given" in again.get_data(as_text=True)
    assert _count(CitizenFeedback) == 1
    assert _status(answered) == "responded"


def test_a_score_out_of_range_is_refused(client, create_case, reporter_link):
    case = create_case("responded")
    assert _answer(client, reporter_link(case), solved="yes", score="9").status_code == 422


def test_scores_feed_the_unit_figures(client, create_case, reporter_link):
    case = create_case("responded")
    _answer(client, reporter_link(case), solved="yes", score="4")
    page = client.get("/public/units").get_data(as_text=True)
    assert "4.0/5 (1)" in page


def test_a_refusal_is_counted_in_the_unit_figures(client, create_case, reporter_link):
    solved, refused = create_case("responded"), create_case("responded")
    _answer(client, reporter_link(solved), solved="yes", score="5")
    _answer(client, reporter_link(refused), solved="no")

    page = client.get("/public/units?lang=en").get_data(as_text=True)

    row = re.search(r"<tr>\s*<td[^>]*>Department of Construction</td>(.*?)</tr>", page, re.S)
    assert re.search(r'data-testid="reopened">1</td>', row.group(1))
    assert "Reopened by the reporter" in page


def test_a_second_reopening_notifies_again_for_the_new_cycle(
    client, create_case, reporter_link, create_user
):
    create_user("supervisor", unit_code="SO-XD")
    admin = create_user("admin", unit_code="UBND-TP")
    case = create_case("responded", actor=admin)
    link = reporter_link(case)
    _answer(client, link, solved="no")
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    for step in ("resolved", "responded"):
        case_operations.transition(
            case, step, admin, version=case.version, public_response="Đã xử lý lại."
        )
    _answer(client, link, solved="no")
    assert _status(case) == "in_progress"
    assert _count(Notification) == 2


def test_tokens_are_random_and_stored_only_hashed(client, create_case, reporter_link):
    case = create_case("responded")
    links = [reporter_link(case) for _ in range(3)]
    tokens = [link.rsplit("/", 1)[1] for link in links]
    codes = [link.split("/")[3] for link in links]
    assert len(set(tokens)) == 3
    for token, code in zip(tokens, codes, strict=True):
        assert len(token) >= 40
        assert re.sub(r"[^A-Z0-9]", "", code) not in token.upper()
    stored = set(db.session.scalars(db.select(FeedbackToken.token_hash)))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert not stored & set(tokens)
