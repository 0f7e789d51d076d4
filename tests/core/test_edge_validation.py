"""Bad input gets a 4xx naming the field, never a 500 (issue 15, item 1).

One test per reproduction of the issue, through the pages, the REST API and Open311.
"""

import json

import pytest

from tests.cases.conftest import _sla_defaults, create_case  # noqa: F401  (shared fixtures)


@pytest.fixture
def admin_headers(create_user, api_token):
    return api_token(create_user("admin", unit_code="UBND-TP"))


@pytest.fixture
def signed_in(app, create_user, login):
    def factory(role="supervisor", unit_code="UBND-TP"):
        test_client = app.test_client()
        login(create_user(role, unit_code=unit_code), test_client)
        return test_client

    return factory


def _error_fields(response) -> set[str]:
    body = response.get_json()
    assert set(body) == {"code", "message", "errors"}
    for messages in body["errors"].values():
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)
    return set(body["errors"])


# -- NUL and lone surrogates -------------------------------------------------------------


def test_a_nul_in_the_public_search_is_a_400_not_a_500(client):
    response = client.get("/public/browse?q=%00")

    assert response.status_code == 400
    assert client.get("/public/browse?q=ng%E1%BA%ADp").status_code == 200


def test_a_nul_in_any_query_value_of_the_api_is_a_400_naming_it(client, admin_headers):
    response = client.get("/api/v1/units?q=a%00b", headers=admin_headers)

    assert response.status_code == 400
    assert _error_fields(response) == {"q"}


def test_a_case_title_with_a_nul_is_refused_naming_the_title(client, admin_headers):
    case = {"title": "a\u0000b cống", "category": "flooding", "unit": "SO-XD"}
    response = client.post("/api/v1/cases", json=case, headers=admin_headers)

    assert response.status_code == 422
    assert _error_fields(response) == {"title"}
    assert client.get("/api/v1/cases", headers=admin_headers).get_json()["total"] == 0


def test_a_lone_surrogate_in_a_json_body_is_refused(client, admin_headers):
    body = '{"title": "ng\\ud800p sau", "category": "flooding", "unit": "SO-XD"}'
    response = client.post(
        "/api/v1/cases", data=body, content_type="application/json", headers=admin_headers
    )

    assert response.status_code == 422
    assert _error_fields(response) == {"title"}


def test_a_nul_in_a_page_form_is_a_400(signed_in, create_case):  # noqa: F811
    case = create_case()
    browser = signed_in("admin")
    browser.application.config["WTF_CSRF_ENABLED"] = False
    try:
        response = browser.post(f"/cases/{case.id}/comment", data={"body": "a\x00b"})
    finally:
        browser.application.config["WTF_CSRF_ENABLED"] = True

    assert response.status_code == 400


# -- integers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/99999999999",
        "/api/v1/cases/2147483648/events",
        "/api/v1/reports/99999999999",
    ],
)
def test_an_id_beyond_integer_range_is_404(client, admin_headers, path):
    assert client.get(path, headers=admin_headers).status_code == 404


def test_an_id_beyond_integer_range_in_a_post_is_404(client, admin_headers):
    response = client.post(
        "/api/v1/cases/99999999999/comments", json={"body": "Ghi chú"}, headers=admin_headers
    )

    assert response.status_code == 404


def test_a_page_page_beyond_integer_range_is_a_422_naming_page(client, admin_headers):
    for path in ("/api/v1/cases", "/api/v1/units", "/api/v1/reports"):
        response = client.get(f"{path}?page=99999999999999999999", headers=admin_headers)

        assert response.status_code == 422, path
        assert _error_fields(response) == {"page"}


def test_a_page_beyond_integer_range_on_the_public_list_shows_the_first_page(client):
    assert client.get("/public/browse?page=99999999999999999999").status_code == 200


def test_a_merge_into_a_case_beyond_integer_range_is_a_422(
    client,
    admin_headers,
    create_case,  # noqa: F811
):
    case = create_case()
    response = client.post(
        f"/api/v1/cases/{case.id}/merge",
        json={"into": 99999999999, "version": case.version},
        headers=admin_headers,
    )

    assert response.status_code == 422
    assert _error_fields(response) == {"into"}


def test_a_superscript_two_is_no_assignee_on_the_queue(signed_in):
    response = signed_in().get("/cases?assignee=%C2%B2")

    assert response.status_code == 200
    assert "assignee" in response.get_data(as_text=True)


def test_a_superscript_two_is_no_assignee_in_the_api(client, admin_headers):
    response = client.get("/api/v1/cases?assignee=%C2%B2", headers=admin_headers)

    assert response.status_code == 422
    assert _error_fields(response) == {"assignee"}


def test_a_superscript_in_the_trends_limit_is_a_400(client, admin_headers):
    response = client.get("/api/v1/trends?limit=%C2%B2", headers=admin_headers)

    assert response.status_code == 400
    assert _error_fields(response) == {"limit"}


# -- dates -------------------------------------------------------------------------------


def test_a_date_in_year_9999_on_the_public_list_is_ignored(client):
    assert client.get("/public/browse?date_to=9999-12-31").status_code == 200
    assert client.get("/public/browse?date_from=0001-01-01").status_code == 200


def test_an_open311_end_date_in_year_1_is_a_400_in_the_spec_shape(client):
    response = client.get("/open311/v2/requests.json?end_date=0001-01-01T00:00:00Z")

    assert response.status_code == 400
    [error] = response.get_json()
    assert error["code"] == 400 and "end_date" in error["description"]


def test_a_trends_page_from_year_1_falls_back_with_a_message(signed_in):
    response = signed_in().get("/stats/trends?from=0001-01-01&lang=en")

    assert response.status_code == 200
    assert "The dates were not understood; showing the last 30 days." in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/trends?from=0001-01-01", "from"),
        ("/api/v1/trends?to=9999-12-31", "to"),
        ("/api/v1/stats/handling-time?from=0001-01-01", "from"),
        ("/api/v1/stats/handling-time?to=9999-12-31", "to"),
    ],
)
def test_dates_out_of_range_in_the_stats_api_are_a_400_naming_them(
    client, admin_headers, path, field
):
    response = client.get(path, headers=admin_headers)

    assert response.status_code == 400
    assert _error_fields(response) == {field}


def test_a_case_list_date_in_year_9999_is_a_422(client, admin_headers):
    response = client.get("/api/v1/cases?created_to=9999-12-31", headers=admin_headers)

    assert response.status_code == 422
    assert _error_fields(response) == {"created_to"}


def test_a_report_date_in_year_1_is_a_422(client, admin_headers):
    response = client.post(
        "/api/v1/reports", json={"kind": "custom", "from": "0001-01-01"}, headers=admin_headers
    )

    assert response.status_code == 422
    assert _error_fields(response) == {"from"}


# -- Open311 JSON ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"api_key": 5, "service_code": "flooding"},
        {"api_key": ["x"], "service_code": "flooding"},
    ],
)
def test_an_open311_api_key_that_is_not_a_string_is_a_400(client, body):
    response = client.post(
        "/open311/v2/requests.json", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    [error] = response.get_json()
    assert error["code"] == 400 and "api_key" in error["description"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", 7),
        ("description", {"a": 1}),
        ("lat", [10.7]),
        ("lat", True),
        ("address_string", "Qu\u0000n 7"),
    ],
)
def test_open311_json_values_of_the_wrong_kind_are_a_400_naming_them(
    client, create_user, api_token, field, value
):
    key = api_token(create_user("officer"))["Authorization"].split(" ", 1)[1]
    body = {"api_key": key, "service_code": "flooding", "address_string": "Quận 7", field: value}
    response = client.post(
        "/open311/v2/requests.xml", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.get_data(as_text=True)


# -- errors match the OpenAPI document ---------------------------------------------------


def test_errors_of_list_fields_are_lists_of_strings(client, admin_headers):
    response = client.get("/api/v1/cases?status=received,bogus", headers=admin_headers)

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["status"]
    assert errors["status"] == [errors["status"][0]] and errors["status"][0].startswith("item 1:")


# -- a sweep over the pages' query strings -----------------------------------------------

BAD_VALUES = ["99999999999999999999", "²", "-1", "0001-01-01", "9999-12-31", "a" * 500]
PAGES = {
    "/cases": ("page", "assignee", "created_from", "created_to", "q", "per_page", "sort"),
    "/sla": ("period", "metric"),
    "/stats/handling-time": ("page", "from", "to", "unit", "period", "group_by"),
    "/stats/backlog": ("page", "unit", "category"),
    "/stats/map": ("page", "from", "to", "which"),
    "/stats/trends": ("from", "to", "window"),
    "/stats/spread": ("q", "from", "to"),
    "/stats/reports": ("page", "kind"),
    "/triage/review": ("page",),
    "/public/browse": ("page", "q", "date_from", "date_to", "ward", "district"),
    "/public/track": ("code",),
    "/watchlists": ("edit",),
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_no_page_answers_a_bad_filter_with_a_server_error(signed_in, path):
    browser = signed_in("admin")
    for name in PAGES[path]:
        for value in BAD_VALUES:
            response = browser.get(path, query_string={name: value})
            assert response.status_code < 500, (path, name, value)


# -- query names that url_for reads as its own -------------------------------------------
# The language switch and the pages' own links are built with url_for(endpoint, **query):
# ?endpoint=… or ?_method=… from a visitor's URL used to make every page a 500, and
# ?code=… on /public/cases/<code> too.

URL_FOR_QUERIES = [
    "endpoint=x",
    "_method=POST",
    "_external=1&_scheme=https",
    "_anchor=x",
    "lang=en",
]


@pytest.mark.parametrize("query", URL_FOR_QUERIES)
def test_query_names_of_url_for_do_not_break_public_pages_or_their_links(
    client,
    create_case,  # noqa: F811
    query,
):
    code = create_case("responded").code
    for path in ("/public/", "/public/browse", "/login", f"/public/cases/{code}"):
        response = client.get(f"{path}?{query}")

        assert response.status_code == 200, (path, query)
        # The language switch still points at this page, relative, without url_for's names.
        assert f'href="{path}?lang=vi" hreflang="vi"' in response.get_data(as_text=True), (
            path,
            query,
        )


def test_a_query_named_like_the_path_does_not_change_the_case_page_links(
    client,
    create_case,  # noqa: F811
):
    code = create_case("responded").code

    response = client.get(f"/public/cases/{code}?code=HCM-0000-00000")

    assert response.status_code == 200
    assert f'href="/public/cases/{code}?lang=en" hreflang="en"' in response.get_data(as_text=True)


def test_the_public_list_pages_on_without_carrying_url_for_names(
    client,
    create_case,  # noqa: F811
):
    for _ in range(21):  # a second page of answered cases
        create_case("responded")

    response = client.get("/public/browse?endpoint=x&_method=POST&q=")

    assert response.status_code == 200
    assert 'href="/public/browse?q=&amp;page=2"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/stats/trends", "/stats/spread", "/stats/handling-time"])
def test_query_names_of_url_for_do_not_break_staff_pages(signed_in, path):
    response = signed_in("admin").get(f"{path}?endpoint=x&_method=POST&_anchor=a")

    assert response.status_code == 200
    assert "endpoint=x" not in response.get_data(as_text=True)
