"""/api/v1/reports: list, read, download and make reports with a bearer token."""

import io

import pytest
from openpyxl import load_workbook

from app.stats.reports import making
from tests.stats import report_dataset
from tests.stats.report_dataset import NOW
from tests.stats.test_reports import pdf_text

report_day = report_dataset.report_day


@pytest.fixture
def analyst(create_user, api_token):
    user = create_user("analyst", unit_code="UBND-TP")
    return api_token(user)


def test_a_token_is_needed(client):
    response = client.get("/api/v1/reports")

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_officers_get_403(client, create_user, api_token):
    headers = api_token(create_user("officer"))

    response = client.get("/api/v1/reports", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"
    assert (
        client.post("/api/v1/reports", json={"kind": "evening_report"}, headers=headers).status_code
        == 403
    )


def test_make_an_evening_report(client, analyst, report_day):
    response = client.post(
        "/api/v1/reports",
        json={"kind": "evening_report", "at": "2026-11-27T18:00:00+07:00"},
        headers=analyst,
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["kind"] == "evening_report" and body["status"] == "ready"
    assert body["period_start"] == "2026-11-26T11:00:00+00:00"
    assert body["period_end"] == "2026-11-27T11:00:00+00:00"
    assert body["links"]["pdf"] == f"/api/v1/reports/{body['id']}.pdf"
    summary = body["data"]["sections"][0]
    assert summary["figures"]["new_cases"] == 4 and summary["figures"]["overdue"] == 2


def test_make_custom_reports(client, analyst, report_day):
    code = report_day["cases"]["B"].code

    on_case = client.post("/api/v1/reports", json={"kind": "custom", "case": code}, headers=analyst)
    on_topic = client.post(
        "/api/v1/reports",
        json={"kind": "custom", "topic": "giá điện", "from": "2026-11-20", "to": "2026-11-27"},
        headers=analyst,
    )

    assert on_case.status_code == 201 and on_case.get_json()["params"] == {"case": code}
    assert on_topic.status_code == 201
    topic = on_topic.get_json()
    assert topic["params"]["topic"] == "giá điện"
    assert topic["period_start"] == "2026-11-19T17:00:00+00:00"
    assert topic["data"]["sections"][0]["figures"]["mentions_press"] == 2


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({}, 422, "kind"),
        ({"kind": "weekly"}, 422, "kind"),
        ({"kind": "custom"}, 422, "_schema"),
        ({"kind": "custom", "topic": "ngập", "case": "HCM-AAAA-BBBB"}, 422, "case"),
        ({"kind": "custom", "from": "27/11/2026"}, 422, "from"),
        ({"kind": "custom", "from": "2026-11-27", "to": "2026-11-01"}, 422, "from"),
        ({"kind": "custom", "from": "2025-01-01", "to": "2026-11-27"}, 422, "to"),
        ({"kind": "custom", "case": "HCM-AAAA-BBBB"}, 422, "case"),
        ({"kind": "evening_report", "topic": "ngập"}, 422, "topic"),
        ({"kind": "evening_report", "at": "2999-01-01T00:00:00Z"}, 422, "at"),
        ({"kind": "evening_report", "colour": "red"}, 422, "colour"),
    ],
)
def test_bad_requests_say_what_is_wrong(client, analyst, report_day, body, status, field):
    response = client.post("/api/v1/reports", json=body, headers=analyst)

    assert response.status_code == status
    answer = response.get_json()
    assert answer["code"] == "invalid_input"
    assert field in answer["errors"]


def test_a_body_that_is_not_json_is_a_400(client, analyst):
    response = client.post("/api/v1/reports", data="kind=custom", headers=analyst)

    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_request"


def test_list_newest_first_filtered_and_paginated(client, analyst, report_day):
    made = [making.generate(kind, at=NOW) for kind in ("morning_digest", "evening_report") * 3]

    page = client.get("/api/v1/reports?per_page=4", headers=analyst).get_json()
    assert page["total"] == 6 and page["per_page"] == 4
    assert [item["id"] for item in page["items"]] == [r.id for r in reversed(made)][:4]
    assert "data" not in page["items"][0]
    second = client.get("/api/v1/reports?per_page=4&page=2", headers=analyst).get_json()
    assert [item["id"] for item in second["items"]] == [made[1].id, made[0].id]

    mornings = client.get("/api/v1/reports?kind=morning_digest", headers=analyst).get_json()
    assert {item["kind"] for item in mornings["items"]} == {"morning_digest"}
    assert mornings["total"] == 3

    response = client.get("/api/v1/reports?kind=weekly", headers=analyst)
    assert response.status_code == 422 and "kind" in response.get_json()["errors"]


def test_read_and_download(client, analyst, report_day):
    report = making.generate("evening_report", at=NOW)
    base = f"/api/v1/reports/{report.id}"

    body = client.get(base, headers=analyst).get_json()
    assert body["id"] == report.id and body["data"]["kind"] == "evening_report"

    pdf = client.get(f"{base}.pdf", headers=analyst)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Báo cáo tổng hợp dư luận" in pdf_text(pdf.data)
    english = client.get(f"{base}?format=pdf&lang=en", headers=analyst)
    assert "Evening public-opinion report" in pdf_text(english.data)

    xlsx = client.get(f"{base}.xlsx?lang=en", headers=analyst)
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert "New cases by category" in load_workbook(io.BytesIO(xlsx.data)).sheetnames

    assert client.get(f"{base}?format=doc", headers=analyst).status_code == 422
    assert client.get(f"{base}.pdf?lang=fr", headers=analyst).status_code == 422
    assert client.get("/api/v1/reports/999999", headers=analyst).status_code == 404


def test_a_supervisor_does_not_see_others_on_demand_reports(
    client, create_user, api_token, report_day
):
    analysts = making.generate("custom", at=NOW, params={"topic": "ngập"})
    daily = making.generate("morning_digest", at=NOW)
    headers = api_token(create_user("supervisor", unit_code="SO-XD"))

    listed = client.get("/api/v1/reports", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [daily.id]
    assert client.get(f"/api/v1/reports/{analysts.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/reports/{analysts.id}.pdf", headers=headers).status_code == 404


def test_the_openapi_document_describes_reports(client):
    document = client.get("/api/v1/openapi.json").get_json()

    assert set(document["paths"]["/reports"]) == {"get", "post"}
    assert "/reports/{report_id}.pdf" in document["paths"]
    schema = document["components"]["schemas"]["ReportRequest"]
    assert set(schema["properties"]["kind"]["enum"]) == {
        "morning_digest",
        "evening_report",
        "custom",
    }
    assert {"from", "to", "topic", "case"} <= set(schema["properties"])
    assert "data" in document["components"]["schemas"]["ReportDetail"]["properties"]
