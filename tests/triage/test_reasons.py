"""Triage reasons in the reader's language: every form the pipeline, signals, gazetteer,
intake and routing write, taken from the code that writes them, reads in Vietnamese on the
review queue and the case page, and stays as written in English."""

import re

import pytest
from flask_babel import force_locale

from app.triage.pipeline import analyse
from app.triage.places.gazetteer import find_outside, resolve_place
from app.triage.places.scope import NATIONAL_NO_PLACE_REASON
from app.triage.reasons import localise, split_parts
from app.triage.signals import assess

#: English words that only the untranslated forms contain.
ENGLISH = re.compile(
    r"\b(relevant|category|matched|former district|implied|danger|wide impact|spreading|"
    r"engagement|urgency|unverified|credibility|contradicted|mention|rule|unsure|waits|"
    r"typed without|capitalised|same letters|now part of|older name|also names|consistent|"
    r"street|lies in|several|landmark|bridge|market|outside|part of the city|about)\b"
)


def _produced_reasons() -> list[str]:
    """Reasons as triage writes them, from the code that writes them."""
    reasons = []
    for text in (
        "Ngập ở Phường 12, Gò Vấp",  # a former ward with its district
        "P.12 Gò Vấp ngập",
        "ngập ở Q7",  # a district alone
        "ngap o quan 7",
        "rác ở phường 15 tân bình",  # split between two wards in 2025
        "Phường 13 Gò Vấp ngập",  # merged into Phường 15 before 2025
        "Phường Thảo Điền quận 2 ngập, Q2",  # the district again
        "Phường Tân Kiểng ngập",  # the district implied
        "nha o di an bi cup nuoc",  # typed without diacritics
        "huyện Củ Chi",
        "Rác ở phường Tân Mỹ, Quận 7 và phường Bến Thành",
        "Rác ở Phường 5 Quận 3",
        "Đường Phạm Văn Đồng kẹt xe",  # a street in several former districts
        "Đường Trần Xuân Soạn ngập",  # a street in one
        "pham van dong ket xe",  # a street without "đường", typed without diacritics
        "kẹt xe trên cầu Phú Mỹ",  # a landmark
        "Chợ Bến Thành ngập, Quận 1",  # a landmark whose ward is known
        "Bình Dương mưa lớn",  # a former province
    ):
        match = resolve_place(text)
        if match is not None:
            reasons.extend(split_parts(match.reason))
    for text in ("tai nạn tại Đà Nẵng", "bão ở Philippines", "kẹt xe ở quận Cam"):
        reasons.append(find_outside(text).reason)
    reasons += assess("Cây đổ đè người bị thương trên đường Lê Lợi", "infrastructure").reasons
    reasons += assess("Ngập cả khu, hàng trăm hộ", "flooding").reasons
    reasons += assess("Cho hỏi ai biết lịch thu gom rác", "environment").reasons
    reasons += assess("ngập", "flooding", mentions_last_hour=12, engagement=9000).reasons
    reasons += assess(
        "Nghe nói sắp vỡ đê ở Nhà Bè, share gấp", "flooding",
        source_url="https://tinnong24h.example/x",
    ).reasons  # fmt: skip
    reasons += [
        "relevant (96%)",
        "not about the city (81%)",
        "category security (45%)",
        "low confidence: waits for a person",
        NATIONAL_NO_PLACE_REASON,
        "unsure, but it repeats an open security case (similarity 0.28, security 45%): joined it",
        "new mention from facebook (similarity 0.31)",
        "rule #3: Ngập, giao thông, hạ tầng → Sở Xây dựng",
    ]
    return reasons


def test_pipeline_reasons_are_the_forms_the_localiser_knows(app_context, keyword_classifier):
    [analysis] = analyse(["Rác ùn ứ ở phường Tân Thuận, cháy?"])
    for reason in analysis.reasons:
        with force_locale("vi"):
            assert not ENGLISH.search(localise(reason)), reason


def test_every_reason_triage_writes_reads_in_vietnamese(app):
    reasons = _produced_reasons()
    assert len(reasons) >= 20
    with app.test_request_context(), force_locale("vi"):
        for reason in reasons:
            said = localise(reason)
            assert said != reason and not ENGLISH.search(said), (reason, said)
        assert localise("category security (45%)") == "lĩnh vực An ninh trật tự, an toàn (45%)"
        assert localise("rule #3: Ngập, giao thông → Sở Xây dựng") == (
            "quy tắc #3: Ngập, giao thông → Sở Xây dựng"
        )
        # Numbers as Vietnamese writes them (issue 18, item 3): never "0.31" on a Vietnamese page.
        for reason in reasons:
            assert not re.search(r"\d\.\d", localise(reason)), reason
        assert "0,31" in localise("new mention from facebook (similarity 0.31)")
        assert "0,28" in localise("possible duplicate of HCM-AB12-CD34 (similarity 0.28)")


def test_english_readers_see_the_reasons_as_written_with_category_names(app):
    named = {
        "category security (45%)": "category Security and safety (45%)",
        "unsure, but it repeats an open security case (similarity 0.28, security 45%): joined it":
            "unsure, but it repeats an open case of Security and safety (similarity 0.28, 45%): "
            "joined it",
    }  # fmt: skip
    with app.test_request_context(), force_locale("en"):
        for reason in _produced_reasons():
            assert localise(reason) == named.get(reason, reason)


@pytest.mark.parametrize(
    "text",
    ["Cán bộ phường đã xác minh, chờ phản hồi", "", "rule of thumb: đi sớm"],
)
def test_text_triage_did_not_write_is_shown_unchanged(app, text):
    with app.test_request_context(), force_locale("vi"):
        assert localise(text) == text


def test_joined_reasons_are_said_part_by_part_keeping_parentheses_whole():
    text = 'matched "P.5" as former Phường 5 (split in 2025, mostly into A; also B), Quận 3'
    assert split_parts(text + "; Quận 3 implied") == [text, "Quận 3 implied"]


def test_review_queue_and_case_timeline_give_the_reasons_in_the_users_language(
    app_context, keyword_classifier, create_user, login, client
):
    from datetime import UTC, datetime

    from app.cases.models import Case
    from app.collectors.base import PostData
    from app.collectors.operations import store_posts
    from app.extensions import db
    from app.triage.tasks import triage_posts

    posts = [
        PostData(source="facebook", external_id=f"r-{n}", text=text,
                 posted_at=datetime(2026, 11, 27, 8, n, tzinfo=UTC),
                 url="javascript:alert(document.cookie)" if n else None)
        for n, text in enumerate(["Rác ùn ứ trước chợ ở phường Tân Thuận ba ngày",
                                  "Có ai thấy rác ở đây không?"])
    ]  # fmt: skip
    triage_posts(store_posts(posts).new_ids)
    login(create_user("admin", unit_code="VP-UBND"))
    case = db.session.scalar(db.select(Case))

    page = client.get("/triage/review?lang=vi").get_data(as_text=True)
    assert "độ tin cậy thấp: chờ người xem xét" in page
    assert "low confidence" not in page
    assert 'href="javascript' not in page  # the post's address is not http(s): no link
    page = client.get(f"/cases/{case.id}?lang=vi").get_data(as_text=True)
    assert "liên quan (95%)" in page and "quy tắc #" in page
    assert "relevant (95%)" not in page

    page = client.get("/triage/review?lang=en").get_data(as_text=True)
    assert "low confidence: waits for a person" in page
