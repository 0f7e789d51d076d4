"""The backlog by ward or commune, in the API and on the backlog page."""

from sqlalchemy import select

from app.cases import operations
from app.cases.sla.policies import load_default_sla
from app.extensions import db
from app.units.models import Unit
from tests.stats.test_handling_views import tables


def _two_wards():
    return db.session.scalars(
        select(Unit).where(Unit.kind == "ward").order_by(Unit.code).limit(2)
    ).all()


def _open_cases(create_user):
    load_default_sla()
    admin = create_user("admin", unit_code="UBND-TP")
    first, second = _two_wards()
    for ward in (first, first, second, None):
        data = {"title": "Ngập nước sau mưa", "category": "flooding", "unit": "SO-XD"}
        if ward:
            data["ward"] = ward.code
        operations.create_case(admin, data)
    return first, second


def test_the_api_counts_the_backlog_by_ward(client, create_user, api_token):
    first, second = _open_cases(create_user)
    headers = api_token(create_user("analyst", unit_code="VP-UBND"))

    body = client.get("/api/v1/stats/backlog?group_by=ward&lang=en", headers=headers).get_json()

    assert body["group_by"] == "ward"
    assert [(r["key"], r["label"], r["total"], r["buckets"]["under_1d"]) for r in body["rows"]] == [
        (first.code, first.name_en, 2, 2),
        *sorted(
            [(second.code, second.name_en, 1, 1), (None, "No ward", 1, 1)],
            key=lambda row: row[1],
        ),
    ]
    assert body["total"]["total"] == 4
    officer = api_token(create_user("officer", unit_code="SO-YT"))
    elsewhere = client.get("/api/v1/stats/backlog?group_by=ward", headers=officer).get_json()
    assert elsewhere["rows"] == [] and elsewhere["total"]["total"] == 0


def test_the_backlog_page_by_ward(client, create_user, login):
    first, _second = _open_cases(create_user)
    login(create_user("supervisor", unit_code="UBND-TP"))

    response = client.get("/stats/backlog?group_by=ward&lang=en")

    assert response.status_code == 200
    backlog = tables(response)[0]
    assert backlog[0][0] == "Ward or commune"
    assert backlog[1][0] == first.name_en and backlog[1][-1] == "2"
    assert "No ward" in [row[0] for row in backlog]
    assert backlog[-1][0] == "All" and backlog[-1][-1] == "4"
    assert '<option value="ward" selected>' in response.get_data(as_text=True)
