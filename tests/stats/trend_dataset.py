"""Small fixed sets of posts whose trends are counted by hand.

NOW is Wednesday 9 December 2026, 10:00 in Ho Chi Minh City (03:00 UTC). The hot-topic window
is the 24 h before NOW; the baseline is the 7 days before the window, so a window expects
1/7 of the baseline's mentions.

Hot topics (min volume 3):

case  text                               window  baseline  expected  growth
----  ---------------------------------  ------  --------  --------  ---------------------
Y     Kẹt xe cầu Sài Gòn (+ other words)     4        0        0      (4+1)/(0+1) = 5.0
X     Ngập nước đường Nguyễn Hữu Cảnh        3        7        1      (3+1)/(1+1) = 2.0
Z     Rác thải kênh Nhiêu Lộc               10       70       10      not rising (10 = 10)
W     Giá điện tăng                          2        0        0      below the minimum

plus a post about Y's traffic jam that triage marked not relevant (never counted), so the
keywords are "kẹt xe" (4, growth 5.0, with the place "cầu Sài Gòn") and "ngập nước"
(3, growth 2.0, with the street "Nguyễn Hữu Cảnh").

Spikes (window ends at 03:00 UTC; days are 24 h blocks before it; k = 2, min volume 5):

key                 last 24 h  7 days before         mean  sample σ   threshold  spike
------------------  ---------  --------------------  ----  ---------  ---------  -----
category flooding        9     2 2 2 2 2 2 9          3    √7=2.6458   8.2915    yes
category traffic         8     2 2 2 2 2 2 9          3    2.6458      8.2915    no (a population
                                                                                    σ of √6 would
                                                                                    say yes: 7.899)
category environment    20     20 each day           20    0          20         no
ward 27478               6     0 each day             0    0           0         yes
watchlist                4     0 each day             0    0           0         no (< 5 posts)
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.cases import operations
from app.collectors.models import Post
from app.extensions import db

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=HCMC).astimezone(UTC)
WARD = "27478"

_numbers = iter(range(1, 10**6))


def post(posted_at: datetime, text: str = "Bài đăng", channel: str = "social", **values) -> Post:
    number = next(_numbers)
    values.setdefault(
        "source", {"press": "rss", "social": "facebook", "direct": "citizen"}[channel]
    )
    return Post(
        external_id=f"trend-{number}",
        channel=channel,
        text=text,
        posted_at=posted_at,
        **values,
    )


def in_window(hours_before: float) -> datetime:
    """A time `hours_before` NOW (inside the window when < 24)."""
    return NOW - timedelta(hours=hours_before)


def in_baseline(day: int, hour: float = 5) -> datetime:
    """A time on baseline day 1..7 (day 1 is the 24 h just before the window)."""
    return NOW - timedelta(hours=24 * day + hour)


def make_hot_topics(admin) -> dict:
    """The hot-topic posts above; returns the cases by letter."""
    cases = {}
    for letter, title, unit in (
        ("X", "Ngập nước đường Nguyễn Hữu Cảnh", "SO-XD"),
        ("Y", "Kẹt xe cầu Sài Gòn", "SO-YT"),
        ("Z", "Rác thải kênh Nhiêu Lộc", "SO-XD"),
        ("W", "Giá điện tăng", "SO-XD"),
    ):
        cases[letter] = operations.create_case(
            admin, {"title": title, "category": "other", "unit": unit}, now=NOW - timedelta(days=9)
        )
    x, y, z, w = (cases[k].id for k in "XYZW")
    posts = []
    jam = [
        "Kẹt xe cầu Sài Gòn từ sáng",
        "Lại kẹt xe cầu Sài Gòn",
        "kẹt xe cầu Sài Gòn quá lâu",
        "KẸT XE CẦU SÀI GÒN",
    ]
    posts += [post(in_window(1 + i), text, case_id=y) for i, text in enumerate(jam)]
    posts.append(post(in_window(2), "Kẹt xe cầu Sài Gòn, mua vé số đi", is_relevant=False))
    flood = "Ngập nước đường Nguyễn Hữu Cảnh"
    posts += [post(in_window(3 + i), flood, case_id=x, is_relevant=True) for i in range(3)]
    posts += [post(in_baseline(day), flood, case_id=x) for day in range(1, 8)]
    rubbish = "Rác thải kênh Nhiêu Lộc"
    posts += [post(in_window(0.5 + i), rubbish, case_id=z) for i in range(10)]
    posts += [
        post(in_baseline(day, 1 + i), rubbish, case_id=z) for day in range(1, 8) for i in range(10)
    ]
    posts += [post(in_window(6 + i), "Giá điện tăng", case_id=w) for i in range(2)]
    # Outside both periods: never counted.
    posts += [post(NOW - timedelta(days=9), "Kẹt xe cầu Sài Gòn", case_id=y) for _ in range(5)]
    posts += [post(NOW + timedelta(hours=1), "Kẹt xe cầu Sài Gòn", case_id=y) for _ in range(5)]
    db.session.add_all(posts)
    db.session.commit()
    return cases


def make_spikes(watchlist_id: int) -> None:
    """The spike posts above (window end 03:00 UTC = NOW)."""
    posts = []

    def add(count: int, block: int, **values):
        # Block 0 is the last 24 h; each post sits one hour inside its block.
        at = NOW - timedelta(hours=24 * block + 1)
        posts.extend(post(at, **values) for _ in range(count))

    history = [2, 2, 2, 2, 2, 2, 9]
    place = {"wards": [{"code": WARD, "name": "Phường Sài Gòn"}], "confidence": 0.9}
    add(6, 0, category="flooding", place=place)
    add(3, 0, category="flooding")
    add(8, 0, category="traffic")
    for block, count in enumerate(history, start=1):
        add(count, block, category="flooding")
        add(count, block, category="traffic")
    for block in range(8):
        add(20, block, category="environment")
    add(4, 0, watchlist_ids=[watchlist_id])
    # A place triage was unsure of does not count.
    add(5, 0, place={"wards": [{"code": "26734", "name": "x"}], "confidence": 0.3})
    db.session.add_all(posts)
    db.session.commit()


def at(hour: int, minute: int = 0, day: int = 8) -> datetime:
    """A local time in December 2026 (default Monday 8th)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=HCMC)


def make_spread_case(admin):
    """The case of test_spread.py's table, with a merged duplicate and an unrelated case."""

    def open_case(title):
        data = {"title": title, "category": "flooding", "unit": "SO-XD"}
        return operations.create_case(admin, data, now=at(7))

    case = open_case("Ngập đường Nguyễn Hữu Cảnh")
    duplicate = open_case("Nguyễn Hữu Cảnh ngập")
    other = open_case("Chuyện khác")
    duplicate.duplicate_of_id = case.id
    db.session.add_all(
        [
            post(at(8), channel="social", case_id=case.id, likes=10, shares=2, comments=3),
            post(at(8, 30), channel="social", case_id=case.id, likes=5, views=500),
            post(at(9, 15), channel="direct", case_id=case.id),
            post(at(10), channel="social", case_id=duplicate.id, likes=1),
            post(at(11), channel="press", case_id=case.id, url="https://vnexpress.net/ngap-1"),
            post(at(14), channel="press", case_id=case.id, views=1200),
            post(at(7), channel="press", case_id=other.id, views=99),
        ]
    )
    db.session.commit()
    return case
