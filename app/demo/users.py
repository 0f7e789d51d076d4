"""Demo users (and, from other domains, demo data) for `make run`. Idempotent."""

from dataclasses import dataclass

from app.users.operations import create_user, get_user_by_email

DEMO_PASSWORD = "socialbeat-demo"


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    unit_code: str
    full_name: str


DEMO_USERS = (
    DemoUser("admin@demo.socialbeat.vn", "admin", "UBND-TP", "Quản trị hệ thống"),
    DemoUser("analyst@demo.socialbeat.vn", "analyst", "VP-UBND", "Trần Thu Hà"),
    DemoUser("supervisor.xd@demo.socialbeat.vn", "supervisor", "SO-XD", "Lê Minh Quân"),
    DemoUser("officer.xd@demo.socialbeat.vn", "officer", "SO-XD", "Nguyễn Văn An"),
    DemoUser("supervisor.tanthuan@demo.socialbeat.vn", "supervisor", "27478", "Phạm Thị Lan"),
    DemoUser("officer.tanthuan@demo.socialbeat.vn", "officer", "27478", "Võ Quốc Bảo"),
    DemoUser("officer.benthanh@demo.socialbeat.vn", "officer", "26743", "Đặng Hoài Nam"),
    DemoUser("officer.yte@demo.socialbeat.vn", "officer", "SO-YT", "Huỳnh Mai Anh"),
    DemoUser("officer.triage@demo.socialbeat.vn", "officer", "TRIAGE-DESK", "Bùi Thanh Tâm"),
)


def load_demo_users() -> int:
    """Create the demo users that do not exist yet; return how many were created."""
    created = 0
    for demo in DEMO_USERS:
        if get_user_by_email(demo.email) is None:
            create_user(
                demo.email, DEMO_PASSWORD, demo.role, demo.unit_code, full_name=demo.full_name
            )
            created += 1
    return created
