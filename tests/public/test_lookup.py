"""Looking a case up by its tracking code, browsing answered cases, per-unit figures."""

from app.cases import comments, moves, operations
from app.extensions import db
from app.units.models import Unit


def test_lookup_shows_status_unit_response_and_public_events_only(client, create_case, create_user):
    officer = create_user("admin", unit_code="UBND-TP")
    case = create_case("resolved", actor=officer)
    comments.add_comment(case, officer, "Ghi chú nội bộ: chủ nhà là người quen")
    operations.transition(
        case,
        "responded",
        officer,
        "ghi chú chuyển trạng thái nội bộ",
        version=case.version,
        public_response="Đã nạo vét cống, gọi 0901234567 nếu còn ngập.",
    )
    page = client.get(f"/public/cases/{case.code}?lang=vi").get_data(as_text=True)
    assert "Đã nạo vét cống" in page
    assert "Sở Xây dựng" in page
    assert "Ghi chú nội bộ" not in page
    assert "ghi chú chuyển trạng thái nội bộ" not in page
    assert "0901234567" not in page
    assert "[SĐT đã ẩn]" in page


def test_lookup_accepts_the_code_as_typed(client, create_case):
    case = create_case("in_progress")
    typed = case.code.lower().replace("-", " ")
    response = client.get("/public/track", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/public/cases/{case.code}")


def test_lookup_shows_the_promised_response_date(client, create_case):
    case = create_case("in_progress")
    page = client.get(f"/public/cases/{case.code}?lang=en").get_data(as_text=True)
    assert "Promised response by" in page


def test_an_unknown_code_and_a_malformed_one_say_nothing_more(client):
    assert client.get("/public/cases/HCM-0000-00000").status_code == 404
    assert client.get("/public/track?code=xyz").status_code == 400


def test_a_merged_duplicate_leads_to_the_case_kept(client, create_case, create_user):
    admin = create_user("admin", unit_code="UBND-TP")
    kept = create_case("in_progress", actor=admin)
    duplicate = create_case("verifying", actor=admin, title="Trùng lặp")
    moves.merge(duplicate, kept, admin, version=duplicate.version)
    page = client.get(f"/public/cases/{duplicate.code}").get_data(as_text=True)
    assert kept.code in page


def test_browse_lists_only_cases_with_a_public_response(client, create_case):
    answered = create_case("responded", title="Cống bị nghẹt ở Thảo Điền")
    create_case("in_progress", title="Chưa trả lời ở Bến Thành")
    page = client.get("/public/browse").get_data(as_text=True)
    assert "Cống bị nghẹt ở Thảo Điền" in page
    assert answered.code in page
    assert "Chưa trả lời ở Bến Thành" not in page


def test_browse_filters_by_category_and_ward(client, create_case):
    create_case("responded", title="Rác ở chợ", category="environment")
    create_case("responded", title="Ngập ở hẻm")
    page = client.get("/public/browse?category=environment").get_data(as_text=True)
    assert "Rác ở chợ" in page and "Ngập ở hẻm" not in page
    ward = db.session.scalars(db.select(Unit).where(Unit.kind == "ward").order_by(Unit.id)).first()
    in_ward = create_case("responded", title="Cây đổ trong phường", ward=ward.code)
    page = client.get(f"/public/browse?ward={ward.code}").get_data(as_text=True)
    assert "Cây đổ trong phường" in page and "Rác ở chợ" not in page
    district = in_ward.former_district
    if district is not None:
        page = client.get(f"/public/browse?district={district.code}").get_data(as_text=True)
        assert "Cây đổ trong phường" in page and "Rác ở chợ" not in page


def test_units_page_shows_counts_on_time_and_median(client, create_case):
    create_case("responded")
    create_case("in_progress")
    page = client.get("/public/units?lang=en").get_data(as_text=True)
    assert "Sở Xây dựng" in page or "Department of Construction" in page
    assert "100.0%" in page


def test_public_pages_need_no_login_and_speak_english(client):
    page = client.get("/public/?lang=en").get_data(as_text=True)
    assert "Tracking code" in page
    assert client.get("/public/report").status_code == 200
