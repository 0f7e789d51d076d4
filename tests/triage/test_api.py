def test_places_resolve_api(client, officer, api_token):
    body = client.get(
        "/api/v1/places/resolve?q=ngập ở q.7 gần Lotte", headers=api_token(officer)
    ).get_json()

    assert body["former_district"] == {"name": "Quận 7", "code": "778"}
    assert {w["name"] for w in body["wards"]} == {
        "Phường Tân Thuận",
        "Phường Tân Mỹ",
        "Phường Tân Hưng",
        "Phường Phú Thuận",
    }
    assert body["confidence"] > 0.5
    assert "Q.7" in body["reason"] or "q.7" in body["reason"]


def test_places_resolve_without_a_place(client, officer, api_token):
    body = client.get(
        "/api/v1/places/resolve?q=trời hôm nay đẹp", headers=api_token(officer)
    ).get_json()

    assert body["wards"] == [] and body["former_district"] is None


def test_places_resolve_needs_q(client, officer, api_token):
    assert client.get("/api/v1/places/resolve", headers=api_token(officer)).status_code == 422
