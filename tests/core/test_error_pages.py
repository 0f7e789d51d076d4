"""Error pages as users meet them: the app's layout, their language, a way back.

The API (/api/v1) and Open311 (/open311) keep their JSON and XML errors.
"""

import logging

import pytest
from werkzeug.exceptions import TooManyRequests

from app import create_app
from app.cases import moves, operations
from app.core import errors
from tests.conftest import make_config

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def _page(response) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def _open_case(unit_code, create_user, **values):
    actor = create_user("admin", unit_code="UBND-TP")
    data = {"title": "Ngập sâu đường Nguyễn Hữu Cảnh sau mưa", "category": "flooding"}
    return operations.create_case(actor, {**data, "unit": unit_code, **values})


@pytest.fixture
def officer_client(app, create_user, login):
    officer = create_user("officer", unit_code="SO-XD")
    test_client = app.test_client()
    login(officer, test_client)
    test_client.user = officer
    return test_client


# ---------------------------------------------------------------- 404


def test_a_staff_404_is_in_the_layout_in_vietnamese_with_a_way_back(officer_client):
    response = officer_client.get("/cases/999999")

    page = _page(response)
    assert response.status_code == 404
    assert '<html lang="vi">' in page
    assert "Không tìm thấy trang" in page
    assert 'class="nav"' in page and ">Hàng đợi</a>" in page  # the nav of base.html
    assert "Quay lại hàng đợi" in page
    assert 'href="/cases"' in page
    assert "Not Found" not in page


def test_a_staff_404_in_english(officer_client):
    page = _page(officer_client.get("/cases/999999?lang=en"))

    assert '<html lang="en">' in page
    assert "Page not found" in page
    assert "Back to the queue" in page
    assert "Queue" in page


def test_a_signed_out_visitor_gets_the_home_page_link(client):
    response = client.get("/no-such-page")

    page = _page(response)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in page
    assert "Về trang chủ" in page
    assert "Quay lại hàng đợi" not in page


def test_a_public_404_keeps_the_portal_nav_and_links_back_to_it(client):
    response = client.get("/public/no-such-page?lang=en")

    page = _page(response)
    assert response.status_code == 404
    assert "Page not found" in page
    assert "Back to the citizen portal" in page
    assert "File a report" in page  # the portal's own nav
    assert 'href="/public/"' in page


# ---------------------------------------------------------------- a case that moved


def test_after_a_transfer_the_officer_is_told_where_the_case_went(
    app, create_user, login, unit_by_code
):
    officer = create_user("officer", unit_code="SO-XD")
    case = _open_case("SO-XD", create_user)
    operations.assign(case, officer, officer, version=case.version)
    moves.transfer(
        case, unit_by_code("SO-YT"), officer, "Thuộc thẩm quyền Sở Y tế", version=case.version
    )
    case_id, new_unit = case.id, unit_by_code("SO-YT")
    test_client = login(officer, app.test_client())

    vietnamese = test_client.get(f"/cases/{case_id}")
    english = _page(test_client.get(f"/cases/{case_id}?lang=en"))

    assert vietnamese.status_code == 404
    assert (
        f"Vụ việc này hiện do {new_unit.name_vi} xử lý và không còn trong hàng đợi của bạn."
        in _page(vietnamese)
    )
    assert f"This case is now with {new_unit.name_en} and is no longer in your queue." in english
    assert "Back to the queue" in english


def test_a_stranger_gets_a_plain_404_that_names_no_unit(app, create_user, login, unit_by_code):
    case = _open_case("SO-XD", create_user)
    stranger = create_user("officer", unit_code="SO-GDDT")
    test_client = login(stranger, app.test_client())

    page = _page(test_client.get(f"/cases/{case.id}?lang=en"))
    missing = _page(test_client.get("/cases/999999?lang=en"))

    assert "Page not found" in page
    assert unit_by_code("SO-XD").name_en not in page
    assert "is now with" not in page
    # The same message and links as for a case that does not exist.
    assert _main(page) == _main(missing)


def test_who_may_know_where_a_case_went(create_user, unit_by_code):
    worked_on_it = create_user("officer", unit_code="SO-XD")
    colleague = create_user("officer", unit_code="SO-XD")
    stranger = create_user("officer", unit_code="SO-GDDT")
    case = _open_case("SO-XD", create_user)
    moves.transfer(
        case, unit_by_code("SO-YT"), worked_on_it, "Không thuộc thẩm quyền", version=case.version
    )
    receiver = create_user("officer", unit_code="SO-YT")

    assert errors.case_now_with(worked_on_it, case) == unit_by_code("SO-YT")
    assert errors.case_now_with(colleague, case) == unit_by_code("SO-YT")  # their unit held it
    assert errors.case_now_with(stranger, case) is None
    assert errors.case_now_with(receiver, case) is None  # they see it: no 404 to explain
    assert errors.case_now_with(stranger, None) is None


# ---------------------------------------------------------------- 400, 403, 405, 429


def test_a_403_is_styled_and_translated(officer_client):
    vietnamese = officer_client.get("/admin/response-templates")
    english = _page(officer_client.get("/admin/response-templates?lang=en"))

    assert vietnamese.status_code == 403
    assert "Không có quyền truy cập" in _page(vietnamese)
    assert "Hàng đợi" in _page(vietnamese)
    assert "Access denied" in english
    assert "ask an administrator" in english
    assert "Forbidden" not in english


def test_a_400_from_a_nul_in_the_query_is_a_page(officer_client):
    response = officer_client.get("/cases?q=a%00b")

    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in _page(response)
    assert "Quay lại hàng đợi" in _page(response)


def test_a_405_is_a_page_and_keeps_the_allow_header(officer_client):
    response = officer_client.get("/logout?lang=en")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "Action not allowed here" in _page(response)


def test_a_429_is_a_page_and_keeps_retry_after(app):
    with app.test_request_context("/cases", headers={"Accept-Language": "vi"}):
        response = errors.handle_http_error(TooManyRequests(retry_after=120))

        page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "120"
    assert "Quá nhiều yêu cầu" in page
    assert "Về trang chủ" in page


# ---------------------------------------------------------------- 500


@pytest.fixture
def failing_app(database_url, monkeypatch):
    """An app like production's (exceptions become 500 pages) whose home page raises."""
    application = create_app(make_config(database_url, PROPAGATE_EXCEPTIONS=False))

    def boom():
        raise RuntimeError("the view broke")

    monkeypatch.setitem(application.view_functions, "core.index", boom)
    return application


def test_a_500_is_a_styled_page_and_is_logged(failing_app, create_user, login, caplog):
    user = create_user("officer", unit_code="SO-XD")
    test_client = login(user, failing_app.test_client())

    with caplog.at_level(logging.ERROR):
        response = test_client.get("/")

    page = _page(response)
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in page
    assert "Hàng đợi" in page  # the full layout, with the user's nav
    assert "the view broke" not in page
    assert any(
        record.exc_info and "the view broke" in str(record.exc_info[1]) for record in caplog.records
    )


def test_a_500_page_renders_without_the_database(caplog):
    application = create_app(make_config(DEAD_DATABASE, PROPAGATE_EXCEPTIONS=False))
    test_client = application.test_client()
    with test_client.session_transaction() as session:
        session["_user_id"] = "1"  # loading the user needs the database, which is down

    with caplog.at_level(logging.ERROR):
        vietnamese = test_client.get("/")
        english = test_client.get("/", headers={"Accept-Language": "en"})

    assert vietnamese.status_code == 500
    assert "Đã có lỗi xảy ra" in _page(vietnamese)
    assert "Social Beat" in _page(vietnamese)
    assert "/static/css/app.css" in _page(vietnamese)
    assert english.status_code == 500
    assert "Something went wrong" in _page(english)
    assert any(record.exc_info for record in caplog.records)  # the cause is in the log


# ---------------------------------------------------------------- machines keep their shapes


def test_the_api_keeps_json_errors(client):
    missing = client.get("/api/v1/no-such-endpoint")
    wrong_method = client.delete("/api/v1/openapi.json")

    assert missing.status_code == 404
    assert missing.get_json()["code"] == "not_found"
    assert set(missing.get_json()) == {"code", "message", "errors"}
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]


def test_open311_keeps_its_error_list(client):
    as_json = client.get("/open311/v2/no-such-endpoint.json")
    as_xml = client.get("/open311/v2/no-such-endpoint.xml")

    assert as_json.status_code == 404
    assert as_json.get_json() == [
        {"code": 404, "description": as_json.get_json()[0]["description"]}
    ]
    assert as_xml.status_code == 404
    assert as_xml.mimetype == "text/xml"
    assert b"<errors>" in as_xml.data


def test_an_api_500_stays_json(failing_app, database_url, monkeypatch):
    def boom():
        raise RuntimeError("the view broke")

    monkeypatch.setitem(failing_app.view_functions, "api.openapi", boom)

    response = failing_app.test_client().get("/api/v1/openapi.json")

    assert response.status_code == 500
    assert response.get_json()["code"] == "internal_server_error"
    assert "the view broke" not in response.get_data(as_text=True)


def test_the_portals_own_429_is_the_error_page_with_a_way_back(client, monkeypatch):
    """Too many reports from one address: the portal's page says so, in the language, with
    the link back (the public form's rate limit answers with its own page)."""
    from app.public import ratelimit

    monkeypatch.setattr(ratelimit, "hit", lambda *args, **kwargs: False)
    page = client.get("/public/report?lang=en").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    response = client.post(
        "/public/report?lang=en",
        data={"text": "Ngập nước sâu ở đường Nguyễn Hữu Cảnh", "category": "flooding",
              "csrf_token": token},
    )  # fmt: skip

    assert response.status_code == 429
    page = _page(response)
    assert "Error 429" in page and "Too many requests" in page
    assert "Please try again later." in page
    assert '<a href="/public/">Back to the citizen portal</a>' in page
    assert "File a report" in page  # the portal's own nav
