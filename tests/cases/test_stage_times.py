"""Stage times are written by cases, in the transaction of the status change that reaches them."""

import pytest
from sqlalchemy import select, text

from app.cases import operations
from app.cases.models import Case, CaseEvent, StageTime
from app.cases.operations import CaseError
from app.extensions import db


def _stage_times(case_id: int) -> list[StageTime]:
    return db.session.scalars(select(StageTime).where(StageTime.case_id == case_id)).all()


def test_a_stage_time_is_written_with_its_status_change_or_not_at_all(create_case, create_user):
    officer = create_user("officer")
    case = create_case("verifying", actor=officer)
    # Someone else changes the case meanwhile: this status change cannot commit.
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE cases SET version = version + 1 WHERE id = :id"), {"id": case.id}
        )

    with pytest.raises(CaseError) as error:
        operations.transition(case, "in_progress", officer, version=case.version)

    assert error.value.code == "stale_version"
    assert _stage_times(case.id) == []

    db.session.expire_all()
    case = db.session.get(Case, case.id)
    operations.transition(case, "in_progress", officer, version=case.version)

    event = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.to_value == "in_progress")
    ).one()
    [row] = _stage_times(case.id)
    assert (row.stage, row.cycle, row.stopped_at) == ("verified", 1, event.created_at)
