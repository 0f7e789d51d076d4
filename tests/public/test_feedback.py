"""After a public response the citizen says whether the problem is solved."""

from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.public.models import CitizenFeedback
from tests.public.conftest import csrf_token


def _answer(client, case, **data):
    token = csrf_token(client, f"/public/cases/{case.code}")
    return client.post(f"/public/cases/{case.code}/feedback", data={"csrf_token": token, **data})


def test_solved_is_stored_with_its_score_and_shown(client, create_case):
    case = create_case("responded")
    response = _answer(client, case, solved="yes", score="5")
    assert response.status_code == 302
    feedback = db.session.scalars(db.select(CitizenFeedback)).one()
    assert (feedback.is_solved, feedback.score, feedback.reopened_case) == (True, 5, False)
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "responded"
    page = client.get(f"/public/cases/{case.code}?lang=en").get_data(as_text=True)
    assert "confirmed the problem is solved" in page
    assert "Is the problem solved?" not in page


def test_not_solved_reopens_the_case_with_a_public_event(client, create_case):
    case = create_case("closed")
    _answer(client, case, solved="no", score="1")
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == "in_progress"
    assert case.cycle == 2
    event = db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.kind == "citizen_feedback")
    ).one()
    assert event.is_public and event.data["solved"] is False
    assert db.session.scalars(db.select(CitizenFeedback)).one().reopened_case


def test_feedback_waits_for_a_response_and_comes_once(client, create_case):
    open_case = create_case("in_progress")
    assert _answer(client, open_case, solved="yes").status_code == 422
    answered = create_case("responded")
    _answer(client, answered, solved="yes")
    assert _answer(client, answered, solved="yes").status_code == 422
    assert db.session.scalar(db.select(db.func.count(CitizenFeedback.id))) == 1


def test_a_score_out_of_range_is_refused(client, create_case):
    case = create_case("responded")
    assert _answer(client, case, solved="yes", score="9").status_code == 422


def test_scores_feed_the_unit_figures(client, create_case):
    case = create_case("responded")
    _answer(client, case, solved="yes", score="4")
    page = client.get("/public/units").get_data(as_text=True)
    assert "4.0/5 (1)" in page
