"""/api/v1/cases as API clients use it."""

import threading

import pytest

from app.cases import operations


@pytest.fixture
def officer_headers(create_user, api_token):
    officer = create_user("officer", unit_code="SO-XD")
    headers = api_token(officer)
    headers["user"] = officer
    return headers


def _h(headers):
    return {k: v for k, v in headers.items() if k != "user"}


def test_create_returns_201_with_the_case(client, officer_headers):
    response = client.post(
        "/api/v1/cases",
        json={
            "title": "Ổ gà lớn trên đường Lê Văn Lương",
            "category": "infrastructure",
            "priority": "P2",
            "ward": "27475",
        },
        headers=_h(officer_headers),
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "received"
    assert body["code"].startswith("HCM-")
    assert body["unit"]["code"] == "SO-XD"
    assert body["ward"]["name"] == "Phường Tân Hưng"
    assert body["former_district"] == {"code": "778", "name": "Quận 7"}
    assert [e["kind"] for e in body["events"]] == ["created"]


def test_create_with_invalid_input_is_422_with_field_errors(client, officer_headers):
    response = client.post(
        "/api/v1/cases", json={"title": "x", "category": "weather"}, headers=_h(officer_headers)
    )

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_input"
    assert set(body["errors"]) == {"title", "category"}


def test_malformed_json_is_a_clear_400(client, officer_headers):
    response = client.post(
        "/api/v1/cases",
        data="{not json",
        headers=_h(officer_headers),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "JSON object" in response.get_json()["message"]


def test_get_returns_the_case_with_its_events(client, officer_headers, create_case):
    case = create_case("verifying")

    body = client.get(f"/api/v1/cases/{case.id}", headers=_h(officer_headers)).get_json()

    assert body["id"] == case.id
    assert [(e["kind"], e["from"], e["to"]) for e in body["events"]] == [
        ("created", None, "received"),
        ("status_changed", "received", "verifying"),
    ]


def test_transition_success_and_refusals(client, officer_headers, create_case):
    case = create_case()
    url, headers = f"/api/v1/cases/{case.id}/transitions", _h(officer_headers)

    ok = client.post(
        url, json={"to": "verifying", "note": "đang kiểm tra", "version": 1}, headers=headers
    )
    assert ok.status_code == 200
    assert (ok.get_json()["status"], ok.get_json()["version"]) == ("verifying", 2)

    stale = client.post(url, json={"to": "in_progress", "version": 1}, headers=headers)
    assert (stale.status_code, stale.get_json()["code"]) == (409, "stale_version")

    illegal = client.post(url, json={"to": "closed", "version": 2}, headers=headers)
    assert (illegal.status_code, illegal.get_json()["code"]) == (409, "illegal_transition")

    invalid = client.post(url, json={"to": "rejected", "version": 2}, headers=headers)
    assert (invalid.status_code, invalid.get_json()["code"]) == (422, "reason_required")
    assert "reason" in invalid.get_json()["errors"]

    missing = client.post(url, json={"to": "in_progress"}, headers=headers)
    assert missing.status_code == 422
    assert "version" in missing.get_json()["errors"]


def test_responding_needs_the_public_response(client, officer_headers, create_case):
    case = create_case("resolved")
    url = f"/api/v1/cases/{case.id}/transitions"

    refused = client.post(
        url, json={"to": "responded", "version": case.version}, headers=_h(officer_headers)
    )
    assert (refused.status_code, refused.get_json()["code"]) == (422, "response_required")

    done = client.post(
        url,
        json={"to": "responded", "version": case.version, "public_response": "Đã sửa xong ổ gà."},
        headers=_h(officer_headers),
    )
    assert done.status_code == 200
    assert done.get_json()["public_response"] == "Đã sửa xong ổ gà."


def test_two_concurrent_updates_give_one_success_and_one_409(app, officer_headers, create_case):
    url = f"/api/v1/cases/{create_case().id}/transitions"
    headers = _h(officer_headers)
    barrier = threading.Barrier(2)
    statuses = []

    def move(target):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            url, json={"to": target, "version": 1, "reason": "spam"}, headers=headers
        )
        statuses.append(
            (
                response.status_code,
                response.get_json()["code"] if response.status_code != 200 else None,
            )
        )

    threads = [threading.Thread(target=move, args=(t,)) for t in ("verifying", "rejected")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses, key=lambda s: s[0]) == [(200, None), (409, "stale_version")]


def test_other_units_case_is_404_and_analyst_is_403(client, create_user, api_token, create_case):
    case = create_case(unit_code="SO-XD")
    stranger = api_token(create_user("officer", unit_code="27478"))
    analyst = api_token(create_user("analyst", unit_code="VP-UBND"))

    assert client.get(f"/api/v1/cases/{case.id}", headers=stranger).status_code == 404
    assert (
        client.post(
            f"/api/v1/cases/{case.id}/transitions",
            json={"to": "verifying", "version": 1},
            headers=stranger,
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/cases/{case.id}", headers=analyst).status_code == 200
    forbidden = client.post(
        f"/api/v1/cases/{case.id}/transitions",
        json={"to": "verifying", "version": 1},
        headers=analyst,
    )
    assert (forbidden.status_code, forbidden.get_json()["code"]) == (403, "forbidden")


def test_text_search_ignores_diacritics_and_stays_in_the_officers_unit(
    client, create_user, api_token, create_case
):
    mine = create_case(unit_code="27478", title="Lấn chiếm vỉa hè đường Nguyễn Thị Thập")
    create_case(unit_code="SO-XD", title="Lấn chiếm vỉa hè đường Trần Hưng Đạo")
    headers = api_token(create_user("officer", unit_code="27478"))

    body = client.get("/api/v1/cases?q=lan chiem via he", headers=headers).get_json()

    assert [item["id"] for item in body["items"]] == [mine.id]
    assert body["total"] == 1


def test_list_filters_sorts_and_paginates(client, officer_headers, create_case):
    first = create_case(priority="P1", category="traffic")
    create_case("verifying", priority="P3")
    create_case("in_progress", priority="P2")

    headers = _h(officer_headers)
    by_status = client.get("/api/v1/cases?status=received,verifying", headers=headers).get_json()
    assert by_status["total"] == 2
    by_category = client.get("/api/v1/cases?category=traffic", headers=headers).get_json()
    assert [i["id"] for i in by_category["items"]] == [first.id]
    by_priority = client.get("/api/v1/cases?sort=priority", headers=headers).get_json()
    assert [i["priority"] for i in by_priority["items"]] == ["P1", "P2", "P3"]
    paged = client.get("/api/v1/cases?per_page=2&page=2", headers=headers).get_json()
    assert (paged["total"], paged["page"], paged["per_page"], len(paged["items"])) == (3, 2, 2, 1)
    assert client.get("/api/v1/cases?per_page=101", headers=headers).status_code == 422
    assert client.get("/api/v1/cases?sort=salary", headers=headers).status_code == 422


def test_list_filters_by_unit_ward_assignee_and_dates(client, create_user, api_token, create_case):
    supervisor = create_user("supervisor", unit_code="UBND-TP")
    ward_officer = create_user("officer", unit_code="27478")
    headers = api_token(supervisor)
    ward_case = create_case(unit_code="27478", ward="27478")
    create_case(unit_code="SO-XD")
    operations.assign(ward_case, ward_officer, supervisor, version=ward_case.version)

    assert [
        i["id"] for i in client.get("/api/v1/cases?unit=27478", headers=headers).get_json()["items"]
    ] == [ward_case.id]
    assert [
        i["id"] for i in client.get("/api/v1/cases?ward=27478", headers=headers).get_json()["items"]
    ] == [ward_case.id]
    by_assignee = client.get(
        f"/api/v1/cases?assignee={ward_officer.id}", headers=headers
    ).get_json()
    assert [i["id"] for i in by_assignee["items"]] == [ward_case.id]
    mine = client.get("/api/v1/cases?assignee=me", headers=api_token(ward_officer)).get_json()
    assert [i["id"] for i in mine["items"]] == [ward_case.id]
    assert client.get("/api/v1/cases?assignee=none", headers=headers).get_json()["total"] == 1
    assert (
        client.get(
            "/api/v1/cases?created_from=2000-01-01&created_to=2000-02-01", headers=headers
        ).get_json()["total"]
        == 0
    )
    assert (
        client.get("/api/v1/cases?created_from=2000-01-01", headers=headers).get_json()["total"]
        == 2
    )


def test_assign_transfer_comment_and_merge(client, create_user, api_token, create_case):
    supervisor = create_user("supervisor", unit_code="SO-XD")
    officer = create_user("officer", unit_code="SO-XD")
    headers = api_token(supervisor)
    case = create_case("in_progress")

    assigned = client.post(
        f"/api/v1/cases/{case.id}/assign",
        json={"assignee_id": officer.id, "version": case.version},
        headers=headers,
    )
    assert assigned.status_code == 200
    assert assigned.get_json()["assignee"]["id"] == officer.id

    comment = client.post(
        f"/api/v1/cases/{case.id}/comments",
        json={"body": "Đã liên hệ", "is_public": False},
        headers=headers,
    )
    assert (comment.status_code, comment.get_json()["kind"]) == (201, "comment")

    version = assigned.get_json()["version"]
    no_reason = client.post(
        f"/api/v1/cases/{case.id}/transfer",
        json={"unit": "27478", "version": version},
        headers=headers,
    )
    assert no_reason.status_code == 422
    moved = client.post(
        f"/api/v1/cases/{case.id}/transfer",
        json={"unit": "27478", "reason": "Thuộc địa bàn phường", "version": version},
        headers=headers,
    )
    assert moved.status_code == 200
    assert moved.get_json()["unit"]["code"] == "27478"
    assert moved.get_json()["assignee"] is None

    keep = create_case()
    duplicate = create_case()
    merged = client.post(
        f"/api/v1/cases/{duplicate.id}/merge",
        json={"into": keep.id, "version": duplicate.version},
        headers=headers,
    )
    assert merged.status_code == 200
    assert (merged.get_json()["status"], merged.get_json()["duplicate_of"]) == (
        "rejected",
        keep.code,
    )


def test_response_approval_through_the_api(
    client, create_user, api_token, create_case, create_unit
):
    unit = create_unit(kind="department", requires_response_approval=True)
    case = create_case("resolved", unit_code=unit.code)
    officer = api_token(create_user("officer", unit_code=unit.code))
    supervisor = api_token(create_user("supervisor", unit_code=unit.code))

    held = client.post(
        f"/api/v1/cases/{case.id}/transitions",
        json={"to": "responded", "public_response": "Đã xử lý", "version": case.version},
        headers=officer,
    )
    assert held.status_code == 202
    assert (held.get_json()["status"], held.get_json()["pending_response"]) == (
        "resolved",
        "Đã xử lý",
    )

    approved = client.post(
        f"/api/v1/cases/{case.id}/response-approval",
        json={"version": held.get_json()["version"]},
        headers=supervisor,
    )
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "responded"


def test_get_by_tracking_code_answers_like_the_id(client, officer_headers, create_case):
    case = create_case("verifying")
    by_id = client.get(f"/api/v1/cases/{case.id}", headers=_h(officer_headers))

    by_code = client.get(f"/api/v1/cases/{case.code}", headers=_h(officer_headers))
    as_typed = client.get(
        f"/api/v1/cases/{case.code.lower().replace('-', '')}", headers=_h(officer_headers)
    )

    assert by_code.status_code == 200
    assert by_code.get_json() == by_id.get_json()
    assert as_typed.get_json()["id"] == case.id


def test_get_by_tracking_code_keeps_the_access_rules_and_json_errors(
    client, create_user, api_token, create_case
):
    case = create_case(unit_code="SO-XD")
    stranger = api_token(create_user("officer", unit_code="27478"))
    owner = api_token(create_user("officer", unit_code="SO-XD"))

    hidden = client.get(f"/api/v1/cases/{case.code}", headers=stranger)
    unknown = client.get("/api/v1/cases/HCM-0000-00000", headers=owner)
    garbage = client.get("/api/v1/cases/not-a-code", headers=owner)
    no_token = client.get(f"/api/v1/cases/{case.code}")

    for response in (hidden, unknown, garbage):
        assert response.status_code == 404
        assert response.get_json() == {"code": "not_found", "message": "no such case", "errors": {}}
    assert no_token.status_code == 401
    assert no_token.get_json()["code"] == "unauthorized"
