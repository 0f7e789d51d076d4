"""A merge moves what other domains keep about the duplicate through the hooks they register."""

from datetime import UTC, datetime

from sqlalchemy import select

from app.cases import hooks, moves
from app.extensions import db
from app.triage.models import CaseSignature


def test_a_merge_runs_the_registered_hooks(create_case, create_user, monkeypatch):
    monkeypatch.setattr(hooks, "_MERGE_HOOKS", dict(hooks._MERGE_HOOKS))
    calls = []

    @hooks.register_merge_hook
    def remember(source, target):
        calls.append((source.id, target.id, source.status))

    officer = create_user("officer")
    keep, duplicate = create_case(actor=officer), create_case(actor=officer)

    moves.merge(duplicate, keep, officer, version=duplicate.version)

    # Called once, in the merge's transaction: the duplicate is already rejected.
    assert calls == [(duplicate.id, keep.id, "rejected")]


def test_merging_forgets_the_duplicates_clustering_signature(create_case, create_user):
    officer = create_user("officer")
    keep, duplicate = create_case(actor=officer), create_case(actor=officer)
    for case in (keep, duplicate):
        db.session.add(
            CaseSignature(
                case_id=case.id,
                category="flooding",
                ward_codes=[],
                last_post_at=datetime(2026, 11, 27, tzinfo=UTC),
            )
        )
    db.session.commit()

    moves.merge(duplicate, keep, officer, version=duplicate.version)

    assert set(db.session.scalars(select(CaseSignature.case_id))) == {keep.id}
