import pytest

from app.cases import operations


@pytest.fixture
def create_case(app_context, create_user):
    """Factory: a case opened by an officer of `unit_code`, optionally moved along to `status`."""
    path = {
        "received": [],
        "verifying": ["verifying"],
        "in_progress": ["verifying", "in_progress"],
        "waiting": ["verifying", "in_progress", "waiting"],
        "resolved": ["verifying", "in_progress", "resolved"],
        "responded": ["verifying", "in_progress", "resolved", "responded"],
        "closed": ["verifying", "in_progress", "resolved", "responded", "closed"],
        "rejected": ["rejected"],
    }

    def factory(status="received", unit_code="SO-XD", actor=None, **values):
        actor = actor or create_user("admin", unit_code="UBND-TP")
        data = {
            "title": "Ngập sâu đường Nguyễn Hữu Cảnh sau mưa",
            "category": "flooding",
            "unit": unit_code,
        }
        data.update(values)
        case = operations.create_case(actor, data)
        for step in path[status]:
            operations.transition(
                case,
                step,
                actor,
                version=case.version,
                reject_reason="spam" if step == "rejected" else None,
                public_response="Đã nạo vét cống." if step == "responded" else None,
            )
        return case

    return factory
