"""The map of cases by ward: counts per ward, scoped like the queue, and its download."""

import csv
import io
from datetime import UTC, datetime

import pytest

from app.cases import operations
from app.extensions import db
from app.stats.handling import geography, schemas

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def cases(create_user):
    admin = create_user("admin", unit_code="UBND-TP")
    made = []
    # (unit, ward code, status): Tân Thuận (27478) twice, Bến Thành (26743) once, one closed.
    for unit, ward, to_status in (
        ("27478", "27478", None),
        ("27478", "27478", "verifying"),
        ("26743", "26743", None),
        ("26743", "26743", "rejected"),
        ("SO-XD", None, None),
    ):
        case = operations.create_case(
            admin,
            {"title": "Rác ùn ứ", "category": "environment", "unit": unit, "ward": ward},
            now=NOW,
        )
        if to_status:
            operations.transition(
                case, to_status, admin, version=case.version, now=NOW, reject_reason="spam"
            )
        made.append(case)
    db.session.commit()
    return made


def test_open_cases_are_counted_per_ward(app_context, cases):
    scope = schemas.parse_scope({}, now=NOW)
    rows = geography.cases_by_ward(None, scope, "open", "vi")
    assert [(row.code, row.name, row.count) for row in rows] == [
        ("27478", "Phường Tân Thuận", 2),
        ("26743", "Phường Bến Thành", 1),
    ]
    assert all(row.latitude and row.longitude for row in rows)


def test_new_cases_count_rejected_ones_in_the_range(app_context, cases):
    rows = geography.cases_by_ward(
        None, schemas.parse_scope({"from": "2026-11-20", "to": "2026-11-20"}), "new"
    )
    assert {row.code: row.count for row in rows} == {"27478": 2, "26743": 2}
    assert (
        geography.cases_by_ward(
            None, schemas.parse_scope({"from": "2026-11-21", "to": "2026-11-22"}), "new"
        )
        == []
    )


def test_an_officer_sees_only_the_wards_of_their_unit(client, cases, create_user, login):
    login(create_user("officer", unit_code="27478"))
    page = client.get("/stats/map?lang=vi").get_data(as_text=True)
    assert "Phường Tân Thuận" in page
    assert "Phường Bến Thành" not in page
    assert "2 vụ việc tại 1 phường/xã" in page


def test_the_map_links_each_ward_to_its_queue_and_downloads(client, cases, create_user, login):
    login(create_user("analyst", unit_code="VP-UBND"))
    response = client.get("/stats/map?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert "Tân Thuận Ward: 2 cases" in page
    assert "/cases?ward=27478" in page
    download = client.get("/stats/map?format=csv&lang=en")
    rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert rows == [
        ["Ward code", "Ward", "Cases"],
        ["27478", "Tân Thuận Ward", "2"],
        ["26743", "Bến Thành Ward", "1"],
    ]


def test_a_bad_filter_is_refused_with_a_message(client, cases, create_user, login):
    login(create_user("analyst", unit_code="VP-UBND"))
    response = client.get("/stats/map?which=everything&lang=en")
    assert response.status_code == 400
    assert "must be one of: open, new" in response.get_data(as_text=True)
