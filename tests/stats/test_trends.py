"""Trends: the baseline maths, keyword terms, hot topics, spike alerts and sentiment share,
against the hand-counted data sets of trend_dataset.py."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from app.collectors.models import Watchlist
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.operations import render
from app.stats.models import SpikeAlert
from app.stats.trends import hot_topics, keywords, maths, queries, schemas, spikes
from tests.stats.trend_dataset import HCMC, NOW, WARD, make_hot_topics, make_spikes, post

# -- pure maths --------------------------------------------------------------------------


def test_baseline_is_the_mean_and_the_sample_standard_deviation():
    # mean = 21 / 7 = 3; squared deviations 1 × 6 + 36 = 42; sample variance 42 / 6 = 7.
    base = maths.baseline([2, 2, 2, 2, 2, 2, 9])

    assert base.mean == 3.0
    assert base.std == pytest.approx(math.sqrt(7))
    assert base.threshold(2) == pytest.approx(3 + 2 * 2.6457513)


def test_baseline_of_no_day_or_one_day():
    assert maths.baseline([]) == maths.Baseline(0.0, 0.0)
    assert maths.baseline([4]) == maths.Baseline(4.0, 0.0)


def test_a_spike_is_strictly_above_mean_plus_k_sigma_and_reaches_the_minimum():
    base = maths.baseline([2, 2, 2, 2, 2, 2, 9])  # threshold 8.29 with k = 2

    assert maths.is_spike(9, base, k=2, min_volume=5)
    # 8 would be a spike with the population σ (√6: threshold 7.90), not with the sample σ.
    assert not maths.is_spike(8, base, k=2, min_volume=5)
    assert maths.is_spike(8, base, k=1.5, min_volume=5)  # 3 + 1.5 × 2.65 = 6.97
    quiet = maths.baseline([0] * 7)
    assert not maths.is_spike(4, quiet, k=2, min_volume=5)
    assert maths.is_spike(5, quiet, k=2, min_volume=5)
    steady = maths.baseline([20] * 7)
    assert not maths.is_spike(20, steady, k=2, min_volume=5)
    assert maths.is_spike(21, steady, k=2, min_volume=5)


def test_rising_keys_rank_by_growth_with_a_minimum_volume():
    current = {"a": 6, "b": 3, "c": 10, "d": 2}
    previous = {"a": 7, "b": 0, "c": 70, "d": 0}  # over 7 days: a expects 1, c expects 10

    ranked = maths.rank_rising(current, previous, scale=1 / 7, min_volume=3)

    # b: (3 + 1) / (0 + 1) = 4.0; a: (6 + 1) / (1 + 1) = 3.5; c is flat; d is too small.
    assert [(t.key, t.volume, t.expected, t.growth) for t in ranked] == [
        ("b", 3, 0.0, 4.0),
        ("a", 6, 1.0, 3.5),
    ]


def test_keywords_are_words_places_and_no_stopwords():
    segmenter = keywords.Segmenter()
    words = segmenter.words("Lại kẹt xe ở cầu Sài Gòn!!! https://t.co/x @abc")
    assert keywords.keywords(words) == {"ket xe", "cau sai gon"}
    # "ống nước" (water pipe) typed without diacritics stays a word; "ông" (Mr) does not.
    assert keywords.keywords(segmenter.words("vo ong nuoc")) == {"ong nuoc"}
    assert keywords.keywords(segmenter.words("ông Tư")) == set()
    assert keywords.keywords(segmenter.words("123 và 45")) == set()


def test_keywords_that_share_their_posts_are_one_topic():
    rising = [
        maths.Trend("cau sai gon", 4, 0),
        maths.Trend("ket xe cau", 4, 0),
        maths.Trend("xe cau sai", 4, 0),
        maths.Trend("gia dien", 3, 0),
        maths.Trend("ket", 5, 1),
    ]
    docs = {
        "cau sai gon": {1, 2, 3, 4},
        "ket xe cau": {1, 2, 3, 4},
        "xe cau sai": {1, 2, 3, 4},
        "gia dien": {7, 8, 9},
        "ket": {1, 2, 3, 4, 5},  # Jaccard 4 / 5 = 0.8 with the first topic
    }

    groups = maths.group_keywords(rising, docs, limit=5)

    assert [[t.key for t in group] for group in groups] == [
        ["cau sai gon", "ket xe cau", "xe cau sai", "ket"],
        ["gia dien"],
    ]


def test_local_day_buckets():
    start = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 8 December 00:00 in HCMC
    days = maths.buckets(start, start + timedelta(days=2), "day")

    assert [(b.label, b.start, b.end) for b in days] == [
        ("2026-12-08", start, start + timedelta(days=1)),
        ("2026-12-09", start + timedelta(days=1), start + timedelta(days=2)),
    ]
    assert maths.bucket_index(start + timedelta(hours=30), days) == 1
    assert maths.bucket_index(start - timedelta(seconds=1), days) is None
    assert maths.granularity_for(start, start + timedelta(days=2)) == "hour"
    assert maths.granularity_for(start, start + timedelta(days=3)) == "day"
    assert maths.granularity_for(start, start + timedelta(days=30)) == "day"


# -- hot topics ------------------------------------------------------------------------


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


def test_hot_cases_and_keywords(app_context, admin):
    cases = make_hot_topics(admin)

    hot = hot_topics.hot_topics(NOW)

    assert hot["window_start"] == (NOW - timedelta(hours=24)).isoformat()
    assert [(c["code"], c["volume"], c["baseline"], c["growth"]) for c in hot["cases"]] == [
        (cases["Y"].code, 4, 0.0, 5.0),
        (cases["X"].code, 3, 1.0, 2.0),
    ]
    assert hot["cases"][0]["title"] == "Kẹt xe cầu Sài Gòn"
    found = [
        (k["term"], k["display"], k["volume"], k["baseline"], k["growth"]) for k in hot["keywords"]
    ]
    assert found == [
        ("ket xe", "kẹt xe", 4, 0.0, 5.0),
        ("ngap nuoc", "ngập nước", 3, 1.0, 2.0),
    ]
    assert [k["related"] for k in hot["keywords"]] == [["cầu Sài Gòn"], ["Nguyễn Hữu Cảnh"]]


def test_hot_cases_of_some_units_only(app_context, admin, unit_by_code):
    cases = make_hot_topics(admin)

    hot = hot_topics.hot_topics(NOW, unit_ids={unit_by_code("SO-XD").id}, limit=1)

    assert [c["code"] for c in hot["cases"]] == [cases["X"].code]
    assert len(hot["keywords"]) == 1


def test_a_shorter_window_expects_less(app_context, admin):
    make_hot_topics(admin)

    # 6 h window, baseline the 7 days before it (174 h to 6 h before NOW):
    # Y: 4 against 0 -> 5.0; X: 3 (3–5 h ago) against 7 × 6/168 = 0.25 -> 4 / 1.25 = 3.2;
    # Z: 6 (0.5–5.5 h ago) against 70 (66 of its 70 older posts + 4 of 6.5–9.5 h ago)
    # × 6/168 = 2.5 -> 7 / 3.5 = 2.0.
    hot = hot_topics.hot_topics(NOW, window_hours=6)

    assert [(c["title"][:5], c["volume"], c["baseline"], c["growth"]) for c in hot["cases"]] == [
        ("Kẹt x", 4, 0.0, 5.0),
        ("Ngập ", 3, 0.25, 3.2),
        ("Rác t", 6, 2.5, 2.0),
    ]


# -- spike alerts ----------------------------------------------------------------------


@pytest.fixture
def watchlist(app_context):
    found = Watchlist(name="Ngập Thủ Đức", terms=["ngập"])
    db.session.add(found)
    db.session.commit()
    return found


@pytest.fixture
def analysts(create_user):
    return [
        create_user("analyst", unit_code="UBND-TP"),
        create_user("analyst", unit_code="UBND-TP"),
        create_user("analyst", unit_code="UBND-TP", is_active_account=False),
        create_user("supervisor", unit_code="SO-XD"),
        create_user("admin", unit_code="UBND-TP"),
    ]


def test_daily_volumes_per_key(app_context, watchlist):
    make_spikes(watchlist.id)

    volumes = spikes.daily_volumes(NOW)

    assert volumes[("category", "flooding")] == [9, 2, 2, 2, 2, 2, 2, 9]
    assert volumes[("category", "environment")] == [20] * 8
    assert volumes[("place", WARD)] == [6, 0, 0, 0, 0, 0, 0, 0]
    assert volumes[("watchlist", str(watchlist.id))] == [4, 0, 0, 0, 0, 0, 0, 0]
    assert ("place", "26734") not in volumes


def test_spikes_are_stored_and_sent_once_to_active_analysts(
    app_context, watchlist, analysts, unit_by_code
):
    make_spikes(watchlist.id)

    alerts = spikes.detect_spikes(NOW + timedelta(minutes=7), k=2, min_volume=5)
    again = spikes.detect_spikes(NOW + timedelta(minutes=40), k=2, min_volume=5)

    assert again == []
    stored = db.session.scalars(select(SpikeAlert).order_by(SpikeAlert.dimension)).all()
    assert [(a.dimension, a.key, a.volume, a.window_end) for a in stored] == [
        ("category", "flooding", 9, NOW),
        ("place", WARD, 6, NOW),
    ]
    assert {a.id for a in alerts} == {a.id for a in stored}
    flooding = stored[0]
    assert flooding.baseline_mean == 3.0
    assert flooding.baseline_std == pytest.approx(math.sqrt(7))
    assert flooding.k == 2
    assert stored[1].label == unit_by_code(WARD).name_vi
    notifications = db.session.scalars(select(Notification)).all()
    assert sorted((n.user_id, n.data["key"]) for n in notifications) == sorted(
        (user.id, key) for user in analysts[:2] for key in ("flooding", WARD)
    )
    assert {n.kind for n in notifications} == {"spike_alert"}


def test_a_key_still_spiking_is_alerted_again_only_after_24_hours(app_context, watchlist, analysts):
    make_spikes(watchlist.id)
    db.session.add_all(
        [
            SpikeAlert(dimension="category", key="flooding", label="flooding",
                       window_end=NOW - timedelta(hours=23), volume=9, baseline_mean=3,
                       baseline_std=1, k=2),
            SpikeAlert(dimension="place", key=WARD, label="x", window_end=NOW - timedelta(hours=24),
                       volume=6, baseline_mean=0, baseline_std=0, k=2),
        ]
    )  # fmt: skip
    db.session.commit()

    alerts = spikes.detect_spikes(NOW, k=2, min_volume=5)

    assert [(a.dimension, a.key) for a in alerts] == [("place", WARD)]


def test_k_and_minimum_volume_come_from_the_config(app, app_context, watchlist, analysts):
    make_spikes(watchlist.id)
    app.config.update(SPIKE_K=1.5, SPIKE_MIN_VOLUME=4)
    try:
        alerts = spikes.detect_spikes(NOW)
    finally:
        app.config.update(SPIKE_K=2.0, SPIKE_MIN_VOLUME=5)

    # k = 1.5: traffic's 8 > 6.97 spikes too; min 4: the watchlist's 4 posts count.
    assert sorted((a.dimension, a.key) for a in alerts) == [
        ("category", "flooding"),
        ("category", "traffic"),
        ("place", WARD),
        ("watchlist", str(watchlist.id)),
    ]
    assert {a.k for a in alerts} == {1.5}
    labels = {a.key: a.label for a in alerts}
    assert labels[str(watchlist.id)] == "Ngập Thủ Đức"


def test_the_notification_reads_in_the_users_language(app, app_context, watchlist, analysts):
    from flask_babel import force_locale

    make_spikes(watchlist.id)
    spikes.detect_spikes(NOW)
    notification = db.session.scalars(
        select(Notification).where(Notification.data["key"].as_string() == "flooding")
    ).first()

    with app.test_request_context(), force_locale("en"):
        english = render(notification)
    with app.test_request_context(), force_locale("vi"):
        vietnamese = render(notification)

    assert english.title == "Spike: Flooding and drainage (Category)"
    assert english.text == "9 posts in 24 hours; usually 3.0 ± 2.6 a day."
    assert english.path == "/stats/trends"
    assert vietnamese.title == "Tăng đột biến: Ngập nước, thoát nước (Lĩnh vực)"
    assert vietnamese.text == "9 bài trong 24 giờ; thường 3.0 ± 2.6 bài mỗi ngày."


def test_recent_spikes_newest_first(app_context):
    for hours, key in ((30, "traffic"), (2, "flooding"), (50, "health")):
        db.session.add(
            SpikeAlert(dimension="category", key=key, label=key, volume=10,
                       window_end=NOW - timedelta(hours=hours), baseline_mean=2.0,
                       baseline_std=1.5, k=2)
        )  # fmt: skip
    db.session.commit()

    found = spikes.recent_spikes(NOW - timedelta(hours=48))

    assert [(s["key"], s["threshold"]) for s in found] == [("flooding", 5.0), ("traffic", 5.0)]
    assert found[0]["window_end"] == (NOW - timedelta(hours=2)).isoformat()


# -- sentiment and volume over time -------------------------------------------------------


def test_sentiment_share_per_local_day(app_context):
    day1 = datetime(2026, 12, 7, 0, 30, tzinfo=HCMC)  # just after midnight: 6 Dec 17:30 UTC
    day2 = datetime(2026, 12, 8, 23, 30, tzinfo=HCMC)
    posts = [post(day1, sentiment="negative") for _ in range(3)]
    posts += [post(day1, sentiment="positive"), post(day1, sentiment=None)]
    posts += [post(day2, sentiment="neutral"), post(day2, sentiment="negative")]
    posts.append(post(day2, sentiment="positive", is_relevant=False))  # not counted
    db.session.add_all(posts)
    db.session.commit()
    start = datetime(2026, 12, 7, tzinfo=HCMC)

    share = queries.sentiment_share(start, start + timedelta(days=3))

    assert [(p["label"], p["counts"], p["shares"]) for p in share["periods"]] == [
        ("2026-12-07", {"positive": 1, "neutral": 0, "negative": 3},
         {"positive": 25.0, "neutral": 0.0, "negative": 75.0}),
        ("2026-12-08", {"positive": 0, "neutral": 1, "negative": 1},
         {"positive": 0.0, "neutral": 50.0, "negative": 50.0}),
        ("2026-12-09", {"positive": 0, "neutral": 0, "negative": 0},
         {"positive": None, "neutral": None, "negative": None}),
    ]  # fmt: skip
    assert share["total"] == 6
    assert share["shares"] == {"positive": 16.7, "neutral": 16.7, "negative": 66.7}


def test_volume_by_channel_per_local_day(app_context):
    day = datetime(2026, 12, 8, 9, 0, tzinfo=HCMC)
    db.session.add_all(
        [post(day, channel="press"), post(day, channel="social"), post(day, channel="social")]
        + [post(day + timedelta(days=1), channel="direct")]
    )
    db.session.commit()
    start = datetime(2026, 12, 8, tzinfo=HCMC)

    volume = queries.volume_by_channel(start, start + timedelta(days=2))

    assert [(p["label"], p["counts"], p["total"]) for p in volume["periods"]] == [
        ("2026-12-08", {"press": 1, "social": 2, "direct": 0}, 3),
        ("2026-12-09", {"press": 0, "social": 0, "direct": 1}, 1),
    ]
    assert volume["counts"] == {"press": 1, "social": 2, "direct": 1}


# -- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "hours"), [(None, 24), ("", 24), ("6", 6), ("48h", 48), ("7d", 168), (" 12 ", 12)]
)
def test_windows(raw, hours):
    assert schemas.parse_window({"window": raw}) == hours


@pytest.mark.parametrize("raw", ["0", "169", "8d", "abc", "-5", "1.5"])
def test_bad_windows(raw):
    with pytest.raises(ValidationError) as error:
        schemas.parse_window({"window": raw})
    assert list(error.value.messages) == ["window"]


def test_ranges():
    start, end = schemas.parse_range({"from": "2026-12-01", "to": "2026-12-08"}, NOW)
    assert start == datetime(2026, 12, 1, tzinfo=HCMC)
    assert end == datetime(2026, 12, 9, tzinfo=HCMC)  # the end day is included
    assert schemas.parse_range({}, NOW) == (NOW - timedelta(days=30), NOW)
    start, _ = schemas.parse_range({"from": "2026-12-01T08:00:00+00:00"}, NOW)
    assert start == datetime(2026, 12, 1, 8, tzinfo=UTC)
    for bad_from, bad_to in (
        ("2026-12-09", "2026-12-01"),
        ("yesterday", None),
        ("2024-01-01", None),
    ):
        with pytest.raises(ValidationError):
            schemas.parse_range({"from": bad_from, "to": bad_to}, NOW)


def test_the_hourly_job_checks_for_spikes(app_context, watchlist, analysts):
    import time_machine

    from app.jobs import PERIODIC_JOBS
    from app.stats.trends.tasks import check_spikes

    make_spikes(watchlist.id)
    job = next(j for j in PERIODIC_JOBS if j.name.endswith("trends.tasks.check_spikes"))

    with time_machine.travel(NOW + timedelta(minutes=7), tick=False):
        assert check_spikes() == 2
        assert check_spikes() == 0

    assert job.cron == "7 * * * *"
