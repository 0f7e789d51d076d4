"""Press versus social: volume by channel over time, first seen per channel, reach.

The case below (all times Monday 8 December 2026, Ho Chi Minh City):

time   channel  metrics                        reach
-----  -------  -----------------------------  -----------------------------
08:00  social   10 likes, 2 shares, 3 comments 15 (no views: the interactions)
08:30  social   5 likes, 500 views             500 (views when reported)
09:15  direct   —                              0
10:00  social   1 like (on a merged duplicate) 1
11:00  press    —                              0
14:00  press    1,200 views                    1,200

social saw it first (08:00); direct 1.25 h later, the press 3 h later.
"""

from datetime import datetime, timedelta

import pytest

from app.cases import operations
from app.extensions import db
from app.stats.trends import spread
from tests.stats.trend_dataset import at, make_spread_case, post


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


@pytest.fixture
def spread_case(app_context, admin):
    return make_spread_case(admin)


def test_reach_is_views_when_reported_else_interactions():
    assert spread.reach_of(10, 2, 3, None) == 15
    assert spread.reach_of(5, None, None, 500) == 500
    assert spread.reach_of(None, None, None, None) == 0
    assert spread.reach_of(4, 0, 0, 0) == 4  # zero views reported: the interactions


def test_case_spread_by_channel(spread_case):
    result = spread.spread_for_case(spread_case)

    assert result["subject"]["code"] == spread_case.code
    assert result["first_channel"] == "social"
    channels = {c["channel"]: c for c in result["channels"]}
    assert [c["channel"] for c in result["channels"]] == ["press", "social", "direct"]
    social, direct, press = channels["social"], channels["direct"], channels["press"]
    assert datetime.fromisoformat(social["first_seen_at"]) == at(8)
    assert datetime.fromisoformat(direct["first_seen_at"]) == at(9, 15)
    assert datetime.fromisoformat(press["first_seen_at"]) == at(11)
    assert (social["lag_hours"], direct["lag_hours"], press["lag_hours"]) == (0.0, 1.25, 3.0)
    assert press["first_post"]["url"] == "https://vnexpress.net/ngap-1"
    assert (social["posts"], direct["posts"], press["posts"]) == (3, 1, 2)
    assert (social["likes"], social["shares"], social["comments"], social["views"]) == (
        16,
        2,
        3,
        500,
    )
    assert social["interactions"] == 21
    assert (social["reach"], direct["reach"], press["reach"]) == (516, 0, 1200)
    assert result["total_posts"] == 6
    assert result["total_reach"] == 1716
    # Hourly from 08:00 to 14:00 local.
    assert result["granularity"] == "hour"
    assert [b["label"] for b in result["buckets"]] == [f"08/12 {h:02d}:00" for h in range(8, 15)]
    assert result["series"] == {
        "press": [0, 0, 0, 1, 0, 0, 1],
        "social": [2, 0, 1, 0, 0, 0, 0],
        "direct": [0, 1, 0, 0, 0, 0, 0],
    }


def test_case_spread_without_duplicates(spread_case):
    result = spread.spread_for_case(spread_case, include_duplicates=False)

    social = result["channels"][1]
    assert (social["posts"], social["reach"]) == (2, 515)


def test_a_case_without_posts(app_context, admin):
    case = operations.create_case(
        admin, {"title": "Chưa có bài", "category": "other", "unit": "SO-XD"}
    )

    result = spread.spread_for_case(case)

    assert result["total_posts"] == 0
    assert result["first_channel"] is None
    assert result["buckets"] == []
    assert all(c["first_seen_at"] is None and c["lag_hours"] is None for c in result["channels"])


def test_topic_spread_matches_phrases_without_diacritics(app_context):
    db.session.add_all(
        [
            post(at(9, day=3), "Kẹt xe cầu Sài Gòn", channel="social", likes=3),
            post(at(9, day=4), "Sáng nay #ketxe khủng khiếp", channel="social", shares=4),
            post(at(10, day=4), "Ùn tắc tại vòng xoay Lăng Cha Cả", channel="press", views=900),
            post(at(11, day=5), "ket xe o nga tu Hang Xanh", channel="direct"),
            post(at(12, day=5), "Xe buýt điện mới", channel="social"),
            post(at(12, day=5), "Kẹt xe, mua vé số", channel="social", is_relevant=False),
            post(at(9, day=1), "Kẹt xe sáng sớm", channel="press"),
        ]
    )
    db.session.commit()
    start, end = at(0, day=3), at(0, day=6)

    result = spread.spread_for_topic("kẹt xe, ùn tắc", start, end)

    assert result["subject"] == {
        "kind": "topic",
        "q": "kẹt xe, ùn tắc",
        "terms": ["kẹt xe", "ùn tắc"],
    }
    assert result["granularity"] == "day"
    assert [b["label"] for b in result["buckets"]] == ["2026-12-03", "2026-12-04", "2026-12-05"]
    assert result["series"] == {"press": [0, 1, 0], "social": [1, 1, 0], "direct": [0, 0, 1]}
    reach = {c["channel"]: (c["posts"], c["reach"], c["lag_hours"]) for c in result["channels"]}
    assert reach == {"social": (2, 7, 0.0), "press": (1, 900, 25.0), "direct": (1, 0, 50.0)}


def test_topic_query_terms():
    assert spread.topic_terms(" kẹt  xe ; ùn tắc,, ") == ["kẹt xe", "ùn tắc"]
    assert spread.topic_terms(",,") == []
    with pytest.raises(ValueError):
        spread.spread_for_topic(" , ", at(0), at(1))


def test_a_long_topic_range_is_cut(app_context):
    end = at(0, day=9)

    result = spread.spread_for_topic("ngập", end - timedelta(days=400), end)

    assert datetime.fromisoformat(result["start"]) == end - timedelta(days=spread.MAX_TOPIC_DAYS)
