"""A small fixed day of cases, deadlines and posts whose report figures are counted by hand.

NOW is Friday 27 November 2026, 18:00 in Ho Chi Minh City (11:00 UTC), when the evening report
is made; both daily reports cover the 24 h before NOW. Shipped SLA policies, default calendar
(Mon–Fri 07:30–11:30, 13:00–17:00). All times local.

case pri category  unit   ward   opened            path
---- --- --------- ------ ------ ----------------- ------------------------------------------
A    P1  flooding  SO-XD  27478  Fri 13:00          stays received; verify (1 h around the clock)
                                                   due 14:00, missed — the scan at 16:00 notices
B    P3  traffic   CA-CSGT 27475 Fri 08:00         verifying, in_progress, resolved and publicly
                                                   answered at 15:00 (7 h after opening)
C    P3  environ.  SO-NNMT 27478 Thu 26, 13:00     stays received; verify (8 working h: Thu
                                                   13:00–17:00 + Fri 07:30–11:30) due Fri 11:30,
                                                   missed — noticed by the same scan at 16:00
D    P2  security  CA-TP  —      Fri 16:01          new, nothing due yet
E    P3  flooding  SO-XD  27478  Fri 17:00          new, nothing due yet

Evening report (Thu 18:00 → Fri 18:00):
- new cases: 4 (flooding 2: A, E; traffic 1: B; security 1: D) — C is older;
- by ward: 27478 → 2 (A, E), 27475 → 1 (B), no ward → 1 (D);
- deadlines missed: 2 (A verify, C verify), both still overdue: 2 overdue (A by 4.0 h,
  C by 6.5 h);
- public responses: 1 (B, 7.0 h after opening).
- posts collected: 16 — press 10 (9 relevant, 1 sport), social 5, direct 1;
- hot topics: A has 9 mentions (4 press, 5 social) against 2 the day before; C has 1 against 0;
  D has 1 (direct) against 0.

Morning digest (same window, press only): 9 relevant articles, 1 left out (sport);
topics: A (4 articles), "traffic" without a case (2), the keyword cluster "giá điện" (2), C (1).
Newspapers: VnExpress 3, Tuổi Trẻ 3, Người Lao Động 2, Thanh Niên 1.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.cases import operations
from app.cases.sla import escalation
from app.cases.sla.policies import load_default_sla
from app.collectors.models import Post
from app.extensions import db

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 27, 18, 0, tzinfo=HCMC).astimezone(UTC)
WARD_A = "27478"
WARD_B = "27475"

TITLES = {
    "A": "Ngập sâu đường Nguyễn Hữu Cảnh sau mưa lớn",
    "B": "Kẹt xe kéo dài trên đường Cộng Hòa giờ cao điểm",
    "C": "Rác ùn ứ kênh Nhiêu Lộc đoạn cầu Lê Văn Sỹ",
    "D": "Trộm cắp xe máy tại chung cư",
    "E": "Cống thoát nước bị nghẽn ở hẻm 42",
}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HCMC).astimezone(UTC)


def _post(number: int, source: str, channel: str, posted_at: datetime, **values) -> Post:
    title = values.pop("title", None)
    feed = values.pop("feed", None)
    text = values.pop("text", None) or title or f"Bài đăng {number}"
    return Post(
        source=source,
        external_id=f"report-test-{number}",
        channel=channel,
        url=f"https://news.example.vn/{number}" if channel == "press" else None,
        text=text,
        posted_at=posted_at,
        raw={"title": title, "feed": feed} if channel == "press" else {},
        **values,
    )


@pytest.fixture
def report_day(app_context, create_user):
    """The fixed day above; returns {"cases": {letter: Case}, "admin": User, …}."""
    load_default_sla()
    admin = create_user("admin", unit_code="UBND-TP", email="admin@report.test")
    cases = {}

    def open_case(letter, category, priority, unit, ward, at):
        data = {"title": TITLES[letter], "category": category, "priority": priority, "unit": unit}
        if ward:
            data["ward"] = ward
        cases[letter] = operations.create_case(admin, data, now=at)
        return cases[letter]

    open_case("C", "environment", "P3", "SO-NNMT", WARD_A, local(26, 13))
    b = open_case("B", "traffic", "P3", "CA-CSGT", WARD_B, local(27, 8))
    open_case("A", "flooding", "P1", "SO-XD", WARD_A, local(27, 13))
    for status, at in (
        ("verifying", local(27, 8, 30)),
        ("in_progress", local(27, 9)),
        ("resolved", local(27, 14)),
        ("responded", local(27, 15)),
    ):
        operations.transition(
            b,
            status,
            admin,
            version=b.version,
            public_response="Đã điều tiết giao thông." if status == "responded" else None,
            now=at,
        )
    escalation.scan(local(27, 16))
    open_case("D", "security", "P2", "CA-TP", None, local(27, 16, 1))
    open_case("E", "flooding", "P3", "SO-XD", WARD_A, local(27, 17))

    a, c, d = cases["A"], cases["C"], cases["D"]
    posts = [
        # Press about A: three in the window, one the day before.
        _post(
            1,
            "rss",
            "press",
            local(27, 14),
            title=TITLES["A"],
            feed="VnExpress",
            case_id=a.id,
            category="flooding",
            is_relevant=True,
        ),
        _post(
            2,
            "rss",
            "press",
            local(27, 15),
            title="Nguyễn Hữu Cảnh lại thành sông",
            feed="Tuổi Trẻ",
            case_id=a.id,
            category="flooding",
            is_relevant=True,
        ),
        _post(
            3,
            "rss",
            "press",
            local(27, 17),
            title="Xe chết máy hàng loạt ở Nguyễn Hữu Cảnh",
            feed="VnExpress",
            case_id=a.id,
            category="flooding",
            is_relevant=True,
        ),
        _post(
            4,
            "rss",
            "press",
            local(27, 17, 30),
            title="Triều cường dâng cao",
            feed="Thanh Niên",
            case_id=a.id,
            category="flooding",
            is_relevant=True,
        ),
        _post(
            5,
            "rss",
            "press",
            local(26, 10),
            title="Mưa lớn đầu mùa",
            feed="VnExpress",
            case_id=a.id,
            category="flooding",
            is_relevant=True,
        ),
        # Press about C.
        _post(
            6,
            "rss",
            "press",
            local(27, 9),
            title="Kênh Nhiêu Lộc ngập rác",
            feed="Tuổi Trẻ",
            case_id=c.id,
            category="environment",
            is_relevant=True,
        ),
        # Traffic, no case yet.
        _post(
            7,
            "rss",
            "press",
            local(27, 7),
            title="Cầu Sài Gòn kẹt cứng sáng thứ Sáu",
            feed="Tuổi Trẻ",
            category="traffic",
            is_relevant=True,
        ),
        _post(
            8,
            "rss",
            "press",
            local(27, 8),
            title="Ùn tắc trên xa lộ Hà Nội",
            feed="VnExpress",
            category="traffic",
            is_relevant=True,
        ),
        # Not triaged yet: a keyword cluster.
        _post(
            9,
            "rss",
            "press",
            local(27, 6),
            title="Giá điện tăng từ tháng 12",
            feed="Người Lao Động",
        ),
        _post(
            10,
            "rss",
            "press",
            local(27, 11),
            title="Người dân lo giá điện tăng cao",
            feed="Người Lao Động",
        ),
        # Not about the city's affairs: left out.
        _post(
            11,
            "rss",
            "press",
            local(27, 12),
            title="Kết quả bóng đá đêm qua",
            feed="Thanh Niên",
            is_relevant=False,
        ),
        # Social media about A: five in the window, one before.
        *[
            _post(
                20 + i,
                "facebook",
                "social",
                local(27, 13 + i),
                text="Ngập quá trời",
                case_id=a.id,
                category="flooding",
                is_relevant=True,
                likes=10,
                shares=2,
            )
            for i in range(5)
        ],
        _post(
            30,
            "facebook",
            "social",
            local(26, 12),
            text="Mưa to",
            case_id=a.id,
            category="flooding",
            is_relevant=True,
        ),
        # A citizen's report about D.
        _post(
            40,
            "citizen",
            "direct",
            local(27, 16, 5),
            text="Mất xe máy",
            case_id=d.id,
            category="security",
            is_relevant=True,
        ),
    ]
    db.session.add_all(posts)
    db.session.commit()
    return {"cases": cases, "admin": admin}
