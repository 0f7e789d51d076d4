"""GET /api/v1/trends and /api/v1/trends/spread: shape, roles, errors, the OpenAPI document."""

from datetime import timedelta

import pytest
import time_machine

from app.extensions import db
from app.stats.models import SpikeAlert
from tests.stats.trend_dataset import NOW, make_hot_topics, make_spread_case


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


@pytest.fixture
def headers(create_user, api_token):
    def factory(role="analyst", unit_code="UBND-TP"):
        return api_token(create_user(role, unit_code=unit_code))

    return factory


def test_trends_for_an_analyst(client, admin, headers):
    cases = make_hot_topics(admin)
    db.session.add(
        SpikeAlert(dimension="category", key="flooding", label="flooding", volume=9,
                   window_end=NOW - timedelta(hours=3), baseline_mean=3.0, baseline_std=1.0, k=2)
    )  # fmt: skip
    db.session.commit()

    response = client.get("/api/v1/trends?window=24h&limit=5", headers=headers())

    assert response.status_code == 200
    body = response.get_json()
    assert body["window"] == {
        "hours": 24,
        "start": (NOW - timedelta(hours=24)).isoformat(),
        "end": NOW.isoformat(),
    }
    assert [(c["code"], c["volume"], c["growth"]) for c in body["hot_topics"]["cases"]] == [
        (cases["Y"].code, 4, 5.0),
        (cases["X"].code, 3, 2.0),
    ]
    assert body["hot_topics"]["keywords"][0]["display"] == "kẹt xe"
    assert body["hot_topics"]["keywords"][0]["related"] == ["cầu Sài Gòn"]
    assert [(s["key"], s["volume"], s["threshold"]) for s in body["spikes"]] == [
        ("flooding", 9, 5.0)
    ]
    assert body["range"]["from"] == (NOW - timedelta(days=30)).isoformat()
    assert len(body["sentiment"]["periods"]) == 31  # local days touched by the 30 days
    # Posts of the 30 days: 4 + 10 + 80 + 2 + the 5 of nine days ago; the not-relevant one and
    # the 5 posted after NOW are left out.
    assert body["volume"]["counts"] == {"press": 0, "social": 101, "direct": 0}


def test_a_supervisor_sees_the_hot_cases_of_their_units(client, admin, headers):
    cases = make_hot_topics(admin)

    body = client.get("/api/v1/trends", headers=headers("supervisor", "SO-XD")).get_json()

    assert [c["code"] for c in body["hot_topics"]["cases"]] == [cases["X"].code]


def test_officers_get_no_trends(client, headers):
    response = client.get("/api/v1/trends", headers=headers("officer", "SO-XD"))

    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_trends_need_a_token(client):
    assert client.get("/api/v1/trends").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("window=0", "window"),
        ("window=abc", "window"),
        ("window=30d", "window"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("from=yesterday", "from"),
        ("from=2026-12-09&to=2026-12-01", "from"),
        ("from=2020-01-01", "from"),
        ("to=2026-13-01", "to"),
    ],
)
def test_bad_trend_parameters_are_400(client, headers, query, field):
    response = client.get(f"/api/v1/trends?{query}", headers=headers())

    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "bad_request"
    assert list(body["errors"]) == [field]
    assert field in body["message"]


def test_spread_of_a_case(client, admin, headers):
    case = make_spread_case(admin)

    response = client.get(f"/api/v1/trends/spread?case={case.code.lower()}", headers=headers())

    assert response.status_code == 200
    body = response.get_json()
    assert body["subject"]["code"] == case.code
    assert body["first_channel"] == "social"
    assert [(c["channel"], c["posts"], c["reach"], c["lag_hours"]) for c in body["channels"]] == [
        ("press", 2, 1200, 3.0),
        ("social", 3, 516, 0.0),
        ("direct", 1, 0, 1.25),
    ]


def test_an_officer_sees_the_spread_of_their_units_case_only(client, admin, headers):
    case = make_spread_case(admin)  # in SO-XD

    own = client.get(f"/api/v1/trends/spread?case={case.code}", headers=headers("officer", "SO-XD"))
    other = client.get(
        f"/api/v1/trends/spread?case={case.code}", headers=headers("officer", "SO-YT")
    )
    topic = client.get("/api/v1/trends/spread?q=ngập", headers=headers("officer", "SO-XD"))

    assert own.status_code == 200
    assert other.status_code == 404
    assert other.get_json()["code"] == "not_found"
    assert topic.status_code == 403


def test_spread_of_a_topic(client, headers):
    from tests.stats.trend_dataset import at, post

    db.session.add_all(
        [
            post(at(9, day=8), "Ngập nặng ở Thảo Điền", channel="social", likes=4),
            post(at(10, day=8), "Thảo Điền lại ngập", channel="press", views=100),
        ]
    )
    db.session.commit()

    body = client.get(
        "/api/v1/trends/spread?q=ngap&from=2026-12-08&to=2026-12-08", headers=headers()
    ).get_json()

    assert body["subject"]["q"] == "ngap"
    assert body["granularity"] == "hour"
    assert [(c["channel"], c["posts"], c["reach"]) for c in body["channels"]] == [
        ("press", 1, 100),
        ("social", 1, 4),
        ("direct", 0, 0),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "q"),
        ("case=HCM-AAAA-BBBB&q=ngap", "case"),
        ("q=%20,%20", "q"),
        ("q=" + "a" * 201, "q"),
        ("q=ngap&from=2026-01-01&to=2026-12-01", "from"),
        ("q=ngap&to=nope", "to"),
    ],
)
def test_bad_spread_parameters_are_400(client, headers, query, field):
    response = client.get(f"/api/v1/trends/spread?{query}", headers=headers())

    assert response.status_code == 400
    assert list(response.get_json()["errors"]) == [field]


def test_an_unknown_case_is_404(client, headers):
    response = client.get("/api/v1/trends/spread?case=HCM-NONE-NONE", headers=headers())

    assert response.status_code == 404


def test_the_openapi_document_describes_trends(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    trends = spec["paths"]["/trends"]["get"]
    assert {p["name"] for p in trends["parameters"]} == {"window", "limit", "from", "to"}
    assert {"200", "400", "401", "403"} <= set(trends["responses"])
    schema = trends["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"window", "hot_topics", "spikes", "sentiment", "volume"} <= set(schema["properties"])
    spread = spec["paths"]["/trends/spread"]["get"]
    assert {p["name"] for p in spread["parameters"]} == {"case", "q", "from", "to"}
    channel = spread["responses"]["200"]["content"]["application/json"]["schema"]["properties"][
        "channels"
    ]["items"]["properties"]
    assert "views when reported" in channel["reach"]["description"]


def test_hot_keywords_are_kept_for_five_minutes(client, admin, headers):
    from tests.stats.trend_dataset import post

    make_hot_topics(admin)
    token = headers()
    first = client.get("/api/v1/trends", headers=token).get_json()["hot_topics"]["keywords"]
    db.session.add_all([post(NOW - timedelta(hours=1), "Cây đổ đường Lê Lợi") for _ in range(6)])
    db.session.commit()

    cached = client.get("/api/v1/trends", headers=token).get_json()["hot_topics"]
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        fresh = client.get("/api/v1/trends", headers=token).get_json()["hot_topics"]

    assert cached["keywords"] == first
    assert fresh["keywords"][0]["display"] == "cây đổ"
