"""Priority and misinformation flags, with the reasons an officer reads."""

import pytest

from app.triage.signals import assess


@pytest.mark.parametrize(
    ("text", "category", "priority"),
    [
        (
            "Cây đổ đè người đi xe máy trên đường Điện Biên Phủ, có người bị thương",
            "infrastructure",
            "P1",
        ),
        ("cay do de nguoi di duong bi thuong nang", "infrastructure", "P1"),
        ("Cháy nhà trong hẻm 281 Lê Văn Sỹ, khói bốc cao", "security", "P1"),
        ("Ngập cả khu, nhiều hộ bị nước tràn vào nhà", "flooding", "P2"),
        ("Cho hỏi chỗ nào làm CCCD nhanh vậy mọi người", "administrative", "P4"),
        ("Rác để trước chợ ba ngày chưa ai dọn", "environment", "P3"),
        ("xe chay nhanh qua hem nha toi", "traffic", "P3"),
        ("Sắp tới phường sẽ làm lại vỉa hè", "urban_order", "P3"),
    ],
)
def test_priority_from_danger_words_and_category(text, category, priority):
    assert assess(text, category).priority == priority


def test_fast_spreading_case_is_raised_to_p2():
    signals = assess("Đường Nguyễn Hữu Cảnh lại ngập", "flooding", mentions_last_hour=12)

    assert signals.priority == "P2"
    assert "spreading fast: 12 mentions in the last hour" in signals.reasons


def test_alarming_unverified_claim_is_flagged_with_a_reason():
    signals = assess("Nghe nói sắp vỡ đê ở Nhà Bè, share gấp cho mọi người", "flooding")

    assert signals.flags == ["needs_verification"]
    assert any(reason.startswith("alarming unverified claim: vỡ đê") for reason in signals.reasons)
    assert any("official statement" in reason for reason in signals.reasons)


def test_low_credibility_source_is_flagged():
    signals = assess(
        "Nước máy quận 7 có mùi lạ", "infrastructure", source_url="https://tinnong24h.xyz/bai-viet"
    )

    assert "source is on the low-credibility list" in signals.reasons


def test_plain_complaint_is_not_flagged():
    assert assess("Đèn đường hẻm 5 hỏng cả tuần", "infrastructure").flags == []
