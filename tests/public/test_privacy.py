"""The pure masking module, with Vietnamese formats, and what a public page shows of it."""

import pytest

from app.cases import operations
from app.public.privacy import MaskLabels, contains_personal_data, mask_personal_data

LABELS = MaskLabels(phone="<P>", email="<E>", id_number="<ID>", handle="<H>")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Gọi 0901234567 nhé", "Gọi <P> nhé"),
        ("sđt 090 123 4567.", "sđt <P>."),
        ("SĐT: 090.123.4567", "SĐT: <P>"),
        ("số 090-123-4567", "số <P>"),
        ("+84 90 123 4567", "<P>"),
        ("(+84) 901-234-567", "<P>"),
        ("+84901234567", "<P>"),
        ("84901234567", "<P>"),
        ("bàn 0283 829 1234", "bàn <P>"),
        ("bàn 02838291234", "bàn <P>"),
        ("(0901234567)", "(<P>)"),
        ("0901234567, 0912345678", "<P>, <P>"),
        # Issue 15, item 5: these slipped through.
        ("gọi 090/123/4567", "gọi <P>"),
        ("０９０１２３４５６７", "<P>"),
        ("gọi ０９０-１２３-４５６７ nhé", "gọi <P> nhé"),
        ("SĐT0901234567", "SĐT<P>"),
        ("090,123,4567", "<P>"),
        ("090_123_4567", "<P>"),
        # More spellings: +84 and 84 prefixes, groupings, spaces within, invisible characters.
        ("(+84) 901.234.567", "<P>"),
        ("+84 0901 234 567", "<P>"),
        ("+84-90-123-4567", "<P>"),
        ("0084 90 123 4567", "<P>"),
        ("0901 234 567", "<P>"),
        ("0901.234.567", "<P>"),
        ("0 9 0 1 2 3 4 5 6 7", "<P>"),
        ("09 01 23 45 67", "<P>"),
        ("090 - 123 - 4567", "<P>"),
        ("0901\u00a0234\u00a0567", "<P>"),
        ("090\u200b123\u200b4567", "<P>"),
        ("ĐT: 028.3829.1234", "ĐT: <P>"),
        ("(028) 3829 1234", "<P>"),
        ("0901234567-0912345678", "<P>-<P>"),
        ("Q7 0901234567", "Q7 <P>"),
        ("số 12, 0901234567", "số 12, <P>"),
        ("ngày 07/12/2026 gọi 0901234567", "ngày 07/12/2026 gọi <P>"),
        ("thu 1.000.000, 0901234567", "thu 1.000.000, <P>"),
        ("hotline:0901234567.", "hotline:<P>."),
    ],
)
def test_phone_numbers_are_masked(text, expected):
    assert mask_personal_data(text, LABELS) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail nguyen.van.a+1@gmail.com nhé", "mail <E> nhé"),
        ("UBND: phuong.bt@tphcm.gov.vn", "UBND: <E>"),
        ("mail nguyenvana @ gmail.com nhé", "mail <E> nhé"),
        ("nguyenvana[at]gmail.com", "<E>"),
        ("nguyenvana (at) gmail (dot) com", "<E>"),
        ("ｎｇｕｙｅｎ＠ｇｍａｉｌ．ｃｏｍ", "<E>"),
    ],
)
def test_emails_are_masked(text, expected):
    assert mask_personal_data(text, LABELS) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CCCD 079201234567", "CCCD <ID>"),
        ("CCCD 079 201 234 567", "CCCD <ID>"),
        ("CMND 025123456 cấp 2010", "CMND <ID> cấp 2010"),
        # Issue 15, item 5: these slipped through.
        ("0792 0123 4567", "<ID>"),
        ("079-201-234-567", "<ID>"),
        ("079.201.234.567", "<ID>"),
        ("1234 5678 9012", "<ID>"),
        ("CCCD 079-201-234-567", "CCCD <ID>"),
        # More spellings.
        ("CCCD: ０７９２０１２３４５６７", "CCCD: <ID>"),
        ("CCCD079/201/234/567", "CCCD<ID>"),
        ("CMND 025-123-456", "CMND <ID>"),
        ("CMND: 225 123 456", "CMND: <ID>"),
        ("CMND số 225.123.456", "CMND số <ID>"),
        ("số CCCD 079_201_234_567 của tôi", "số CCCD <ID> của tôi"),
    ],
)
def test_id_numbers_are_masked(text, expected):
    assert mask_personal_data(text, LABELS) == expected


def test_social_handles_and_profiles_are_masked():
    text = "nhắn @nguyenvana hoặc facebook.com/nguyen.van.a, zalo.me/0901234567"
    assert mask_personal_data(text, LABELS) == "nhắn <H> hoặc <H>, <H>"


@pytest.mark.parametrize(
    "text",
    [
        "Ngập sâu 50 cm ở 123 Nguyễn Hữu Cảnh, Quận 1",
        "ngày 28/11/2025 lúc 10:30",
        "thiệt hại 150.000.000 đồng",
        "năm 2025 có 1200 ca sốt xuất huyết",
        "đường 3/2, Quận 10",
        "",
        # Dates, times, money, years, house numbers, ward codes, tracking codes stay.
        "ngày 07/12/2026",
        "từ 07/12/2026 đến 15/12/2026",
        "ngày 07.12.2026 lúc 10h30",
        "lúc 10:30 ngày 07/12/2026 có 12 hộ bị ngập",
        "phí 1.500.000 đồng",
        "thiệt hại 100.000.000.000 đồng",
        "hỗ trợ 150 000 000 đồng",
        "dự án 12.345.678.901 đồng",
        "giá 2,5 tỷ",
        "các năm 2024, 2025, 2026",
        "nhà số 12, hẻm 123/45/6 Lê Lợi",
        "phường mã 26734",
        "mã hồ sơ HCM-7K3M-Q9XW5",
        "mã HCM-0000-12342",
        "tăng 15% so với 2025",
        "diện tích 50 m² nước",
        "Quốc lộ 1A km 1902+500",
        "vị trí 10.776912, 106.700912",
    ],
)
def test_ordinary_numbers_stay(text):
    assert mask_personal_data(text, LABELS) == text
    assert not contains_personal_data(text)


def test_only_the_personal_data_changes_the_rest_is_shown_as_written():
    text = "Ｑ７: ngập 50 m², gọi ０９０１２３４５６７ …"
    assert mask_personal_data(text, LABELS) == "Ｑ７: ngập 50 m², gọi <P> …"


def test_long_text_is_masked_quickly():
    import time

    text = ("ngày 07/12/2026 thu 1.500.000 đồng, gọi 090 123 4567 hoặc a@b.vn. " * 2000)[:100_000]
    started = time.perf_counter()
    masked = mask_personal_data(text, LABELS)
    assert time.perf_counter() - started < 2
    assert "4567" not in masked and "a@b.vn" not in masked


def test_none_becomes_empty_text():
    assert mask_personal_data(None) == ""


def test_default_labels_are_neutral():
    assert mask_personal_data("0901234567") == "[phone hidden]"


LEAKS = ("090/123/4567", "079-201-234-567", "0901234567", "079201234567", "4567", "234-567")


def test_a_public_response_is_masked_on_the_case_page_and_in_open311(
    client, create_case, create_user
):
    admin = create_user("admin", unit_code="UBND-TP")
    case = create_case("resolved", actor=admin)
    operations.transition(
        case,
        "responded",
        admin,
        version=case.version,
        public_response="Đã xử lý. Ông A (CCCD 079-201-234-567) gọi 090/123/4567 nếu còn ngập.",
    )

    page = client.get(f"/public/cases/{case.code}?lang=en").get_data(as_text=True)
    listed = client.get("/open311/v2/requests.json").get_data(as_text=True)
    single = client.get(f"/open311/v2/requests/{case.code}.json").get_json()
    xml = client.get(f"/open311/v2/requests/{case.code}.xml").get_data(as_text=True)

    for answer in (page, listed, xml, single[0]["status_notes"]):
        assert "Đã xử lý" in answer
        for leak in LEAKS:
            assert leak not in answer, leak
    assert "[phone hidden]" in page and "[ID number hidden]" in page
    assert single[0]["status_notes"] == (
        "Đã xử lý. Ông A (CCCD [ID number hidden]) gọi [phone hidden] nếu còn ngập."
    )
