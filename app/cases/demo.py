"""Demo cases for `make run`: every status, realistic Vietnamese cases across units.

Each case is opened and moved through the real operations, backdated over the
past days, so its timeline looks like a working week. Idempotent.
"""

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.cases import operations
from app.cases.models import Case, ResponseTemplate
from app.cases.policies import load_default_sla
from app.extensions import db
from app.models import utcnow
from app.users.models import User

DEMO_FILE = Path(__file__).with_name("demo_cases.json")
#: The walk from receipt to each status.
PATHS = {
    "received": [],
    "verifying": ["verifying"],
    "in_progress": ["verifying", "in_progress"],
    "waiting": ["verifying", "in_progress", "waiting"],
    "resolved": ["verifying", "in_progress", "resolved"],
    "responded": ["verifying", "in_progress", "resolved", "responded"],
    "closed": ["verifying", "in_progress", "resolved", "responded", "closed"],
    "rejected": ["rejected"],
}
NOTES = {
    "verifying": "Đã liên hệ người phản ánh để xác minh thông tin.",
    "in_progress": "Xác minh đúng sự việc, giao tổ công tác xử lý.",
    "waiting": "Chờ đơn vị liên quan phối hợp.",
    "resolved": "Đã xử lý xong tại hiện trường.",
    "closed": "Người dân xác nhận đã ổn.",
}
TEMPLATES = [
    (
        "flooding",
        "Đã nạo vét cống",
        "Đơn vị đã kiểm tra, nạo vét hệ thống thoát nước tại khu vực. Cảm ơn người dân đã phản ánh.",
    ),
    (
        "infrastructure",
        "Đã sửa chữa",
        "Đơn vị duy tu đã sửa chữa hư hỏng. Cảm ơn người dân đã phản ánh.",
    ),
    (
        "environment",
        "Đã thu gom rác",
        "Đơn vị vệ sinh môi trường đã thu gom rác và tăng tần suất thu gom tại khu vực.",
    ),
    (
        "urban_order",
        "Đã xử lý lấn chiếm",
        "UBND phường đã kiểm tra, lập biên bản và yêu cầu trả lại vỉa hè cho người đi bộ.",
    ),
]


def _actor_for(unit_id: int, fallback: User) -> User:
    user = db.session.scalar(
        select(User).where(User.unit_id == unit_id, User.role == "officer").order_by(User.id)
    )
    return user or fallback


def load_demo_cases() -> str:
    """Create the demo cases and response templates once; return a summary line."""
    load_default_sla()
    if db.session.scalar(select(func.count(Case.id))):
        return "demo cases: already there"
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    if admin is None:
        return "demo cases: skipped (no admin user)"
    for category, title, body in TEMPLATES:
        db.session.add(ResponseTemplate(category=category, title=title, body=body))
    entries = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    now = utcnow()
    for index, entry in enumerate(entries):
        opened = now - timedelta(days=index % 9, hours=3 + index * 2 % 11)
        case = operations.create_case(admin, {**entry, "source": entry["source"]}, now=opened)
        case.mention_count = entry.get("mentions", 1)
        actor = _actor_for(case.unit_id, admin)
        if actor is not admin:
            operations.assign(case, actor, admin, version=case.version)
        for step_number, step in enumerate(PATHS[entry["status"]], start=1):
            operations.transition(
                case,
                step,
                actor,
                NOTES.get(step),
                version=case.version,
                reject_reason=entry.get("reject"),
                public_response=entry.get("response"),
                now=opened + timedelta(hours=5 * step_number),
            )
    return f"demo cases: {len(entries)} created"
