"""The pure masking module, with Vietnamese formats."""

import pytest

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
    ],
)
def test_phone_numbers_are_masked(text, expected):
    assert mask_personal_data(text, LABELS) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail nguyen.van.a+1@gmail.com nhé", "mail <E> nhé"),
        ("UBND: phuong.bt@tphcm.gov.vn", "UBND: <E>"),
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
    ],
)
def test_ordinary_numbers_stay(text):
    assert mask_personal_data(text, LABELS) == text
    assert not contains_personal_data(text)


def test_none_becomes_empty_text():
    assert mask_personal_data(None) == ""


def test_default_labels_are_neutral():
    assert mask_personal_data("0901234567") == "[phone hidden]"
