from sqlalchemy import func, select

from app.extensions import db
from app.units.models import LOCAL_KINDS, Unit
from app.units.operations import wards_of_former_district
from app.users.models import AdminAudit


def test_load_hcmc_twice_leaves_exactly_168_local_units(runner, app_context):
    for _ in range(2):
        result = runner.invoke(args=["units", "load-hcmc"])
        assert result.exit_code == 0, result.output

    count = db.session.scalar(select(func.count(Unit.id)).where(Unit.kind.in_(LOCAL_KINDS)))
    assert count == 168
    assert "168 current wards/communes/special zone" in result.output
    assert "0 units created" in result.output


def test_quan_7_maps_to_its_four_wards(app_context):
    names = [ward.name_vi for ward in wards_of_former_district("Quận 7")]

    assert names == ["Phường Phú Thuận", "Phường Tân Hưng", "Phường Tân Mỹ", "Phường Tân Thuận"]
    assert [w.name_vi for w in wards_of_former_district("quan 7")] == names


def test_departments_are_loaded_under_the_city(unit_by_code):
    for code, name in [
        ("SO-XD", "Sở Xây dựng"),
        ("SO-NNMT", "Sở Nông nghiệp và Môi trường"),
        ("SO-YT", "Sở Y tế"),
        ("SO-GDDT", "Sở Giáo dục và Đào tạo"),
        ("CA-TP", "Công an Thành phố Hồ Chí Minh"),
    ]:
        unit = unit_by_code(code)
        assert unit.name_vi == name
        assert unit.parent.code == "UBND-TP"
    assert unit_by_code("CA-TP").kind == "police"
    assert unit_by_code("27478").name_en == "Tân Thuận Ward"


def test_units_api_needs_a_token(client):
    response = client.get("/api/v1/units")

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_units_api_searches_without_diacritics(client, officer, api_token):
    response = client.get("/api/v1/units?q=tan thuan&kind=ward", headers=api_token(officer))

    assert response.status_code == 200
    body = response.get_json()
    assert [u["name_vi"] for u in body["items"]] == ["Phường Tân Thuận"]
    assert body["items"][0]["former_districts"] == [{"code": "778", "name": "Quận 7"}]
    assert body["total"] == 1


def test_units_api_filters_by_kind_and_paginates(client, officer, api_token):
    response = client.get("/api/v1/units?kind=special_zone", headers=api_token(officer))
    assert [u["name_vi"] for u in response.get_json()["items"]] == ["Đặc khu Côn Đảo"]

    page = client.get(
        "/api/v1/units?kind=commune&per_page=10&page=2", headers=api_token(officer)
    ).get_json()
    assert page["total"] == 54 and page["page"] == 2 and len(page["items"]) == 10


def test_units_api_rejects_bad_arguments(client, officer, api_token):
    response = client.get("/api/v1/units?kind=planet&per_page=500", headers=api_token(officer))

    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid_input"


def test_admin_makes_a_units_responses_wait_for_approval(runner, create_unit):
    unit = create_unit(kind="department")

    result = runner.invoke(args=["units", "require-approval", unit.code, "on"])

    assert result.exit_code == 0, result.output
    db.session.refresh(unit)
    assert unit.requires_response_approval is True
    assert runner.invoke(args=["units", "require-approval", "NOPE", "on"]).exit_code != 0
    [row] = db.session.scalars(
        db.select(AdminAudit).where(AdminAudit.action == "unit.approval")
    ).all()
    assert (row.actor_id, row.target_id, row.details["via"]) == (None, unit.id, "cli")
