"""Open311 GeoReport v2: the spec's example requests, in JSON and XML, checked against its field lists."""

import xml.etree.ElementTree as ElementTree

import pytest

from app.cases.models import Case
from app.collectors.models import Post
from app.extensions import db
from app.triage.tasks import triage_posts

#: The GeoReport v2 field lists (http://wiki.open311.org/GeoReport_v2).
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
}
DEFINITION_FIELDS = {"service_code", "attributes"}
POST_ANSWER_FIELDS = {"service_request_id", "token", "service_notice", "account_id", "feedback_url"}
TOKEN_FIELDS = {"service_request_id", "token"}
ERROR_FIELDS = {"code", "description"}
DISCOVERY_FIELDS = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT_FIELDS = {"specification", "url", "changeset", "type", "formats"}


def _xml(response, root: str, item: str) -> list[dict]:
    assert response.mimetype == "text/xml"
    tree = ElementTree.fromstring(response.data)
    assert tree.tag == root
    return [{child.tag: child.text for child in element} for element in tree.findall(item)]


def test_services_json_and_xml(client):
    items = client.get("/open311/v2/services.json").get_json()
    assert {i["service_code"] for i in items} >= {"flooding", "traffic", "other"}
    assert all(set(i) == SERVICE_FIELDS for i in items)
    xml_items = _xml(client.get("/open311/v2/services.xml"), "services", "service")
    assert all(set(i) == SERVICE_FIELDS for i in xml_items)
    assert len(xml_items) == len(items)


def test_service_definition_json_and_xml(client):
    definition = client.get("/open311/v2/services/flooding.json").get_json()
    assert set(definition) == DEFINITION_FIELDS
    assert all(set(a) == ATTRIBUTE_FIELDS for a in definition["attributes"])
    tree = ElementTree.fromstring(client.get("/open311/v2/services/flooding.xml").data)
    assert tree.tag == "service_definition"
    attribute = tree.find("attributes/attribute")
    assert {child.tag for child in attribute} == ATTRIBUTE_FIELDS
    assert client.get("/open311/v2/services/nope.json").status_code == 404


def test_discovery(client):
    document = client.get("/open311/v2/discovery.json").get_json()
    assert set(document) == DISCOVERY_FIELDS
    assert set(document["endpoints"][0]) == ENDPOINT_FIELDS
    tree = ElementTree.fromstring(client.get("/open311/v2/discovery.xml").data)
    assert tree.tag == "discovery"
    assert tree.find("endpoints/endpoint/formats/format").text == "application/json"


def test_requests_list_only_answered_cases_in_json_and_xml(client, create_case):
    answered = create_case("responded")
    hidden = create_case("in_progress")
    items = client.get("/open311/v2/requests.json").get_json()
    assert [i["service_request_id"] for i in items] == [answered.code]
    item = items[0]
    assert set(item) == REQUEST_FIELDS
    assert item["status"] == "closed"
    assert item["status_notes"] == "Đã nạo vét cống."
    assert item["agency_responsible"] == "Sở Xây dựng"
    assert item["service_code"] == "flooding"
    xml_items = _xml(client.get("/open311/v2/requests.xml"), "service_requests", "request")
    assert [set(i) for i in xml_items] == [REQUEST_FIELDS]
    assert hidden.code not in client.get("/open311/v2/requests.xml").get_data(as_text=True)


def test_requests_filters(client, create_case):
    flooding = create_case("responded")
    traffic = create_case("responded", category="traffic")

    def ids(query: str) -> list[str]:
        answer = client.get(f"/open311/v2/requests.json?{query}").get_json()
        return [i["service_request_id"] for i in answer]

    assert ids("service_code=traffic") == [traffic.code]
    assert set(ids(f"service_request_id={flooding.code},{traffic.code}")) == {
        flooding.code,
        traffic.code,
    }
    assert ids("status=open") == []
    assert len(ids("status=closed")) == 2
    assert ids("start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z") == []
    assert ids("jurisdiction_id=hochiminhcity.gov.vn&status=closed")
    assert client.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400


def test_an_exact_id_answers_for_a_case_not_yet_answered(client, create_case):
    case = create_case("in_progress")
    items = client.get(f"/open311/v2/requests/{case.code}.json").get_json()
    assert items[0]["status"] == "open"
    assert items[0]["expected_datetime"]
    assert client.get("/open311/v2/requests/HCM-0000-00000.json").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bad_api_key_gets_403_with_the_error_list(client, fmt):
    response = client.post(
        f"/open311/v2/requests.{fmt}", data={"api_key": "wrong", "service_code": "flooding"}
    )
    assert response.status_code == 403
    if fmt == "json":
        assert [set(e) for e in response.get_json()] == [ERROR_FIELDS]
        assert response.get_json()[0]["code"] == 403
    else:
        errors = _xml(response, "errors", "error")
        assert [set(e) for e in errors] == [ERROR_FIELDS]


def _key(create_user, api_token):
    return api_token(create_user("officer"))["Authorization"].split(" ", 1)[1]


def test_post_request_gives_a_token_that_leads_to_the_request(
    client, create_user, api_token, keyword_classifier
):
    data = {
        "api_key": _key(create_user, api_token),
        "service_code": "flooding",
        "lat": "10.79",
        "long": "106.72",
        "address_string": "Nguyễn Hữu Cảnh, Bình Thạnh",
        "description": "Ngập nước sâu sau mưa",
        "first_name": "Lê",
        "last_name": "Văn D",
        "phone": "0901234567",
        "email": "d@example.vn",
        "jurisdiction_id": "hochiminhcity.gov.vn",
    }
    response = client.post("/open311/v2/requests.json", data=data)
    assert response.status_code == 201
    answer = response.get_json()[0]
    assert set(answer) == POST_ANSWER_FIELDS
    token = answer["token"]
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == token))
    assert post.contact == {"name": "Lê Văn D", "phone": "0901234567", "email": "d@example.vn"}
    # The request is a case at once, before any model runs: its id is set in the answer and
    # the token leads to it.
    assert answer["service_request_id"] == token
    at_once = client.get(f"/open311/v2/tokens/{token}.json").get_json()
    assert at_once == [{"service_request_id": token, "token": token}]
    linked = client.get(f"/open311/v2/tokens/{token}.xml")
    assert [set(i) for i in _xml(linked, "service_requests", "request")] == [TOKEN_FIELDS]
    (item,) = client.get(f"/open311/v2/requests/{token}.json").get_json()
    assert (item["status"], item["service_code"]) == ("open", "flooding")
    assert item["expected_datetime"] is not None
    case = db.session.scalar(db.select(Case).where(Case.code == token))
    assert (case.status, case.category) == ("received", "flooding")
    # Triage afterwards suggests; the request keeps its id and its service code.
    triage_posts([post.id])
    db.session.expire_all()
    assert client.get(f"/open311/v2/tokens/{token}.json").get_json() == at_once
    assert db.session.get(Case, case.id).category == "flooding"
    item = client.get(f"/open311/v2/requests/{token}.xml").get_data(as_text=True)
    assert "Ngập nước sâu" in item and "Văn D" not in item and "0901234567" not in item


def test_a_request_for_another_service_is_received_with_that_category(
    client, create_user, api_token
):
    data = {
        "api_key": _key(create_user, api_token),
        "service_code": "infrastructure",
        "address_string": "Lê Văn Sỹ, Phú Nhuận",
        "description": "Ổ gà lớn giữa đường, tối qua 2 người ngã xe",
    }
    answer = client.post("/open311/v2/requests.json", json=data).get_json()[0]
    case = db.session.scalar(db.select(Case).where(Case.code == answer["service_request_id"]))
    assert (case.status, case.category, case.unit.code) == ("received", "infrastructure", "SO-XD")


def test_post_request_validates_location_service_and_length(client, create_user, api_token):
    key = _key(create_user, api_token)
    base = {"api_key": key, "service_code": "flooding", "description": "Ngập"}
    assert client.post("/open311/v2/requests.json", data=base).status_code == 400
    with_place = {**base, "address_string": "Quận 7"}
    assert (
        client.post(
            "/open311/v2/requests.json", data={**with_place, "service_code": "x"}
        ).status_code
        == 400
    )
    too_long = {**with_place, "description": "a" * 4001}
    assert client.post("/open311/v2/requests.json", data=too_long).status_code == 400
    assert client.post("/open311/v2/requests.xml", data=with_place).status_code == 201


def test_an_unknown_jurisdiction_is_refused(client):
    assert client.get("/open311/v2/services.json?jurisdiction_id=hanoi.gov.vn").status_code == 404


def test_open311_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/open311/v2/requests.{format}" in paths
    assert "post" in paths["/open311/v2/requests.{format}"]


def test_post_request_answers_the_citizens_secret_feedback_link_once(
    client, create_user, api_token
):
    data = {
        "api_key": _key(create_user, api_token),
        "service_code": "flooding",
        "address_string": "Nguyễn Hữu Cảnh, Bình Thạnh",
        "description": "Ngập",
    }
    answer = client.post("/open311/v2/requests.json", data=data).get_json()[0]
    prefix = f"http://localhost/public/cases/{answer['token']}/feedback/"
    assert answer["feedback_url"].startswith(prefix)
    secret = answer["feedback_url"].removeprefix(prefix)
    assert len(secret) >= 40 and answer["token"].replace("-", "") not in secret
    assert client.get(answer["feedback_url"]).status_code == 200
    assert client.get(prefix + answer["token"]).status_code == 404
    for path in (f"tokens/{answer['token']}.json", f"tokens/{answer['token']}.xml"):
        assert secret not in client.get(f"/open311/v2/{path}").get_data(as_text=True)
    xml = client.post("/open311/v2/requests.xml", data=data).get_data(as_text=True)
    assert "<feedback_url>http://localhost/public/cases/" in xml
