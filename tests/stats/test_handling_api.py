"""GET /api/v1/stats/handling-time and /api/v1/stats/backlog (figures: handling_dataset.py)."""

import pytest

from tests.stats.handling_dataset import build

MONTH = "from=2026-12-01&to=2026-12-31"


@pytest.fixture
def cases(create_user):
    return build(create_user("admin", unit_code="UBND-TP"))


@pytest.fixture
def analyst_headers(create_user, api_token):
    return api_token(create_user("analyst", unit_code="VP-UBND"))


def test_handling_time_by_unit(client, cases, analyst_headers):
    response = client.get(
        f"/api/v1/stats/handling-time?group_by=unit&stage=verified&{MONTH}&lang=en",
        headers=analyst_headers,
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["stage"], body["group_by"], body["hours"]) == ("verified", "unit", "working")
    # December 2026 in Ho Chi Minh City: from 17:00 UTC on 30 November.
    assert body["from"] == "2026-11-30T17:00:00+00:00"
    assert body["to"] == "2026-12-31T17:00:00+00:00"
    so_xd, so_yt = body["rows"]
    # SO-XD verified: working 0, 1, 2, 4.5, 6.5 h → median 2, p90 4.5 + 0.6 × 2 = 5.7,
    # mean 2.8; calendar 1, 1.5, 2, 6, 8 h → median 2, p90 7.2, mean 3.7; 3 of 4 on time.
    assert so_xd == {
        "key": "SO-XD",
        "label": "Department of Construction",
        "count": 5,
        "median_hours": 2.0,
        "p90_hours": 5.7,
        "mean_hours": 2.8,
        "within_sla_pct": 75.0,
        "on_time_count": 3,
        "sla_measured_count": 4,
        "working": {"median_hours": 2.0, "p90_hours": 5.7, "mean_hours": 2.8},
        "calendar": {"median_hours": 2.0, "p90_hours": 7.2, "mean_hours": 3.7},
    }
    assert (so_yt["key"], so_yt["count"], so_yt["median_hours"], so_yt["within_sla_pct"]) == (
        "SO-YT",
        1,
        10.0,
        0.0,
    )
    # All six: working median 3.25, p90 8.25; 3 of 5 on time.
    total = body["total"]
    assert (total["count"], total["median_hours"], total["p90_hours"]) == (6, 3.25, 8.25)
    assert total["within_sla_pct"] == 60.0


def test_calendar_hours_on_top_and_weeks(client, cases, analyst_headers):
    response = client.get(
        "/api/v1/stats/handling-time?group_by=period&period=week&stage=resolved&hours=calendar"
        "&from=2026-12-07&to=2026-12-20",
        headers=analyst_headers,
    )

    rows = response.get_json()["rows"]
    # Week of 7 Dec: A 26 h and B 104 h (calendar) → median 65, p90 26 + 0.9 × 78 = 96.2.
    # Week of 14 Dec: D 26.5 h and C 172 h → median 99.25, p90 157.45; both missed.
    assert [
        (r["key"], r["count"], r["median_hours"], r["p90_hours"], r["within_sla_pct"]) for r in rows
    ] == [
        ("2026-12-07", 2, 65.0, 96.2, 100.0),
        ("2026-12-14", 2, 99.25, 157.45, 0.0),
    ]
    assert rows[0]["working"] == {"median_hours": 20.25, "p90_hours": 28.45, "mean_hours": 20.25}


def test_an_officer_gets_only_their_units_figures(client, cases, create_user, api_token):
    headers = api_token(create_user("officer", unit_code="SO-YT"))

    body = client.get(
        f"/api/v1/stats/handling-time?group_by=category&stage=resolved&{MONTH}", headers=headers
    ).get_json()

    assert [(r["key"], r["count"]) for r in body["rows"]] == [("health", 1)]
    assert body["total"]["count"] == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("group_by=colour", "group_by"),
        ("stage=finished", "stage"),
        ("period=year", "period"),
        ("from=31-12-2026", "from"),
        ("from=2026-12-31&to=2026-12-01", "to"),
        ("unit=NO-SUCH-UNIT", "unit"),
        ("category=weather", "category"),
        ("hours=dog", "hours"),
        ("groupby=unit", "groupby"),
    ],
)
def test_bad_parameters_are_a_clear_400(client, analyst_headers, query, field):
    response = client.get(f"/api/v1/stats/handling-time?{query}", headers=analyst_headers)

    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_parameter"
    assert list(body["errors"]) == [field]
    assert all(isinstance(message, str) and message for message in body["errors"][field])


def test_the_api_needs_a_token(client):
    assert client.get("/api/v1/stats/handling-time").status_code == 401
    assert client.get("/api/v1/stats/backlog").status_code == 401


def test_backlog_by_unit_and_category(client, create_user, api_token, analyst_headers):
    from app.cases import operations
    from app.cases.sla.policies import load_default_sla

    load_default_sla()
    admin = create_user("admin", unit_code="UBND-TP")
    for unit, category in (("SO-XD", "flooding"), ("SO-XD", "traffic"), ("SO-YT", "health")):
        operations.create_case(admin, {"title": "Phản ánh mới", "category": category, "unit": unit})

    body = client.get("/api/v1/stats/backlog?group_by=unit", headers=analyst_headers).get_json()

    assert [b["key"] for b in body["buckets"]] == [
        "under_1d",
        "1_3d",
        "3_7d",
        "7_14d",
        "14_30d",
        "over_30d",
    ]
    # Just opened: all in the first bucket.
    assert [(r["key"], r["total"], r["buckets"]["under_1d"]) for r in body["rows"]] == [
        ("SO-XD", 2, 2),
        ("SO-YT", 1, 1),
    ]
    assert body["total"]["total"] == 3
    by_category = client.get(
        "/api/v1/stats/backlog?group_by=category&unit=SO-XD&lang=en", headers=analyst_headers
    ).get_json()
    assert {(r["key"], r["label"]) for r in by_category["rows"]} == {
        ("flooding", "Flooding and drainage"),
        ("traffic", "Traffic"),
    }
    bad = client.get("/api/v1/stats/backlog?group_by=source", headers=analyst_headers)
    assert bad.status_code == 400 and list(bad.get_json()["errors"]) == ["group_by"]


def test_the_openapi_document_describes_the_rows(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    handling = paths["/stats/handling-time"]["get"]
    names = {p["name"] for p in handling["parameters"]}
    assert {"group_by", "stage", "period", "from", "to", "unit", "category", "hours"} <= names
    row = handling["responses"]["200"]["content"]["application/json"]["schema"]["properties"][
        "rows"
    ]["items"]
    assert {"key", "label", "count", "median_hours", "p90_hours", "within_sla_pct"} <= set(
        row["properties"]
    )
    assert "working" in row["properties"] and "calendar" in row["properties"]
    assert "400" in handling["responses"]
    assert "/stats/backlog" in paths
