"""The service layer: each change and its timeline event, in one transaction."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.cases import bulk as case_bulk
from app.cases import moves, operations, queries
from app.cases.models import Case, CaseEvent
from app.cases.operations import CaseError
from app.extensions import db


def _kinds(case):
    return [(e.kind, e.from_value, e.to_value) for e in case.events]


def test_creating_a_case_writes_the_created_event(create_user, unit_by_code):
    officer = create_user("officer", unit_code="27478")

    case = operations.create_case(
        officer,
        {"title": "Rác ùn ứ hẻm 42 Huỳnh Tấn Phát", "category": "environment", "ward": "27478"},
    )

    assert case.status == "received"
    assert case.unit == unit_by_code("27478")
    assert case.former_district.name == "Quận 7"
    assert case.version == 1
    assert _kinds(case) == [("created", None, "received")]
    assert case.events[0].actor == officer


def test_a_transition_and_its_event_are_one_change(create_case, create_user):
    officer = create_user("officer")
    case = create_case(actor=officer)

    operations.transition(case, "verifying", officer, "Đã gọi người dân xác minh", version=1)

    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == "verifying"
    assert case.version == 2
    assert _kinds(case)[-1] == ("status_changed", "received", "verifying")
    assert case.events[-1].body == "Đã gọi người dân xác minh"


def test_a_refused_transition_changes_nothing(create_case, create_user):
    officer = create_user("officer")
    case = create_case(actor=officer)

    with pytest.raises(CaseError) as error:
        operations.transition(case, "resolved", officer, version=1)

    assert (error.value.status, error.value.code) == (409, "illegal_transition")
    db.session.rollback()
    assert db.session.get(Case, case.id).status == "received"
    assert db.session.scalar(select(db.func.count(CaseEvent.id))) == 1


def test_stale_version_is_refused(create_case, create_user):
    officer = create_user("officer")
    case = create_case(actor=officer)

    with pytest.raises(CaseError) as error:
        operations.transition(case, "verifying", officer, version=7)

    assert (error.value.status, error.value.code) == (409, "stale_version")


def test_a_concurrent_change_from_another_session_is_caught(app, create_case, create_user):
    officer = create_user("officer")
    case = create_case(actor=officer)
    # Someone else moves the case behind this session's back.
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE cases SET version = version + 1, status = 'verifying' WHERE id = :id"),
            {"id": case.id},
        )

    with pytest.raises(CaseError) as error:
        operations.transition(case, "verifying", officer, version=1)

    assert error.value.code == "stale_version"


def test_rejecting_records_the_reason(create_case, create_user):
    officer = create_user("officer")
    case = create_case(actor=officer)

    operations.transition(case, "rejected", officer, version=1, reject_reason="false_information")

    assert case.reject_reason == "false_information"
    assert case.events[-1].data == {"reason": "false_information"}


def test_responding_publishes_the_response(create_case, create_user):
    officer = create_user("officer")
    case = create_case("resolved", actor=officer)

    operations.transition(
        case, "responded", officer, version=case.version, public_response="Đã khắc phục."
    )

    assert case.status == "responded"
    assert case.public_response == "Đã khắc phục."
    public = [e for e in case.events if e.is_public]
    assert [(e.kind, e.body) for e in public] == [("public_reply", "Đã khắc phục.")]


def test_a_unit_can_require_approval_before_a_response_is_published(
    create_case, create_user, create_unit
):
    unit = create_unit(kind="department", requires_response_approval=True)
    officer = create_user("officer", unit_code=unit.code)
    supervisor = create_user("supervisor", unit_code=unit.code)
    case = create_case("resolved", actor=officer, unit_code=unit.code)

    operations.transition(
        case, "responded", officer, version=case.version, public_response="Đã xử lý."
    )

    assert case.status == "resolved"
    assert case.pending_response == "Đã xử lý."
    assert case.public_response is None
    with pytest.raises(CaseError):
        operations.approve_response(case, officer, version=case.version)

    operations.approve_response(case, supervisor, version=case.version)

    assert case.status == "responded"
    assert case.public_response == "Đã xử lý."
    assert [e.kind for e in case.events][-3:] == [
        "response_approved",
        "status_changed",
        "public_reply",
    ]


def test_transfer_moves_the_case_to_the_other_units_queue(create_case, create_user, unit_by_code):
    officer = create_user("officer")
    ward_officer = create_user("officer", unit_code="27478")
    case = create_case("in_progress", actor=officer)

    moves.transfer(
        case, unit_by_code("27478"), officer, "Địa bàn phường quản lý", version=case.version
    )

    assert case.unit.code == "27478"
    assert operations.get_case_for(ward_officer, case.id) == case
    with pytest.raises(CaseError):
        operations.get_case_for(officer, case.id)
    assert case.events[-1].kind == "transferred"
    assert case.events[-1].body == "Địa bàn phường quản lý"


def test_transfer_needs_a_reason(create_case, create_user, unit_by_code):
    officer = create_user("officer")
    case = create_case("in_progress", actor=officer)

    with pytest.raises(CaseError) as error:
        moves.transfer(case, unit_by_code("27478"), officer, " ", version=case.version)

    assert error.value.code == "reason_required"


def test_merging_rejects_the_duplicate_and_moves_its_mentions(create_case, create_user):
    officer = create_user("officer")
    keep = create_case("in_progress", actor=officer, title="Ngập đường Nguyễn Hữu Cảnh")
    duplicate = create_case(actor=officer, title="Nguyễn Hữu Cảnh lại ngập")
    duplicate.mention_count = 4
    db.session.commit()

    moves.merge(duplicate, keep, officer, version=duplicate.version)

    assert duplicate.status == "rejected"
    assert duplicate.reject_reason == "duplicate"
    assert duplicate.duplicate_of == keep
    assert (keep.mention_count, duplicate.mention_count) == (5, 0)
    assert keep.events[-1].kind == "merged"
    assert keep.events[-1].data["mentions_moved"] == 4


def test_merging_moves_the_duplicates_posts(create_case, create_user):
    from datetime import UTC, datetime

    from app.collectors.base import PostData
    from app.collectors.models import Post
    from app.collectors.operations import store_posts

    officer = create_user("officer")
    keep, duplicate = create_case(actor=officer), create_case(actor=officer)
    ids = store_posts(
        [
            PostData(
                source="zalo",
                external_id=str(n),
                text="ngập",
                posted_at=datetime(2026, 11, 27, tzinfo=UTC),
            )
            for n in range(2)
        ]
    ).new_ids
    for post in db.session.scalars(select(Post).where(Post.id.in_(ids))):
        post.case_id = duplicate.id
    db.session.commit()

    moves.merge(duplicate, keep, officer, version=duplicate.version)

    assert {p.case_id for p in db.session.scalars(select(Post))} == {keep.id}


def test_officers_of_other_units_get_not_found(create_case, create_user):
    case = create_case()
    stranger = create_user("officer", unit_code="27478")

    with pytest.raises(CaseError) as error:
        operations.get_case_for(stranger, case.id)

    assert error.value.status == 404


def test_supervisor_sees_units_below_theirs(create_case, create_user, create_unit):
    team = create_unit(kind="department", parent_code="SO-XD")
    case = create_case(unit_code=team.code)

    assert operations.get_case_for(create_user("supervisor", unit_code="SO-XD"), case.id) == case
    with pytest.raises(CaseError):
        operations.get_case_for(create_user("officer", unit_code="SO-XD"), case.id)


def test_analyst_reads_but_cannot_change(create_case, create_user):
    case = create_case()
    analyst = create_user("analyst", unit_code="VP-UBND")

    assert operations.get_case_for(analyst, case.id) == case
    with pytest.raises(CaseError) as error:
        operations.transition(case, "verifying", analyst, version=case.version)
    assert error.value.status == 403


def test_officer_can_take_a_case_but_not_assign_others(create_case, create_user):
    officer, colleague = create_user("officer"), create_user("officer")
    case = create_case(actor=officer)

    with pytest.raises(CaseError) as error:
        operations.assign(case, colleague, officer, version=case.version)
    assert error.value.status == 403

    operations.assign(case, officer, officer, version=case.version)
    assert case.assignee == officer


def test_the_timeline_cannot_be_rewritten_in_postgresql(create_case):
    case = create_case()

    for statement in (
        "UPDATE case_events SET body = 'sửa' WHERE case_id = :id",
        "DELETE FROM case_events WHERE case_id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": case.id})
        db.session.rollback()
    assert len(db.session.get(Case, case.id).events) == 1


@pytest.mark.parametrize("status", ["received", "verifying"])
def test_a_misrouted_case_is_transferred_before_it_is_verified_and_started(
    create_case, create_user, unit_by_code, status
):
    officer = create_user("officer")
    case = create_case(status, actor=officer)

    moves.transfer(case, unit_by_code("27478"), officer, "Sai địa bàn", version=case.version)

    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.unit.code, case.status) == ("27478", status)
    assert _kinds(case)[-1] == ("transferred", "SO-XD", "27478")


def test_a_resolved_case_is_not_transferred(create_case, create_user, unit_by_code):
    officer = create_user("officer")
    case = create_case("resolved", actor=officer)

    with pytest.raises(CaseError) as error:
        moves.transfer(case, unit_by_code("27478"), officer, "Sai", version=case.version)

    assert (error.value.status, error.value.code) == (409, "illegal_transition")


def test_a_closed_case_is_not_assigned(create_case, create_user):
    supervisor = create_user("supervisor")
    officer = create_user("officer")
    case = create_case("closed")

    with pytest.raises(CaseError) as error:
        operations.assign(case, officer, supervisor, version=case.version)

    assert (error.value.status, error.value.code) == (409, "not_assignable")
    assert db.session.get(Case, case.id).assignee_id is None


def test_bulk_assign_changes_what_it_may_and_says_per_case_why_not(create_case, create_user):
    supervisor = create_user("supervisor")
    officer = create_user("officer")
    fresh, closed, changed = create_case(), create_case("closed"), create_case()
    other_unit = create_case(unit_code="27478")
    seen_version = changed.version
    operations.transition(changed, "verifying", supervisor, version=changed.version)

    outcome = case_bulk.apply(
        supervisor,
        [fresh.id, closed.id, changed.id, other_unit.id],
        "assign",
        assignee=officer,
        versions={changed.id: seen_version},
    )

    assert outcome.changed == [fresh.code]
    assert [(r.case_code, r.reason) for r in outcome.refused] == [
        (closed.code, "not_assignable"),
        (changed.code, "stale_version"),
        (None, "not_found"),
    ]
    db.session.expire_all()
    assert db.session.get(Case, fresh.id).assignee_id == officer.id
    assert db.session.get(Case, fresh.id).events[-1].kind == "assigned"
    assert [db.session.get(Case, c.id).assignee_id for c in (closed, changed, other_unit)] == [
        None,
        None,
        None,
    ]


def test_bulk_assign_to_someone_outside_the_cases_unit_says_so(create_case, create_user):
    supervisor = create_user("supervisor", unit_code="UBND-TP")
    ward_officer = create_user("officer", unit_code="27478")
    case = create_case(unit_code="SO-XD")

    outcome = case_bulk.apply(supervisor, [case.id], "assign", assignee=ward_officer)

    assert outcome.changed == []
    assert outcome.refused[0].reason == "invalid_input"
    assert outcome.refused[0].details["unit"].code == "SO-XD"


def test_select_all_reaches_every_matching_case_of_the_users_units_only(create_case, create_user):
    officer = create_user("officer", unit_code="27478")
    mine = [create_case(unit_code="27478", priority="P2") for _ in range(23)]
    create_case(unit_code="27478", priority="P3")
    create_case(unit_code="SO-XD", priority="P2")

    ids = case_bulk.matching_ids(officer, queries.CaseFilters(priority=["P2"]))
    # Naming another unit in the filters does not widen the officer's scope.
    other = case_bulk.matching_ids(officer, queries.CaseFilters(unit="SO-XD"))

    assert sorted(ids) == sorted(c.id for c in mine)
    assert other == []
