"""The one integration test with the real trained transformer in the loop.

`make test` trains the model first and sets SOCIALBEAT_REQUIRE_MODEL=1, so a
missing model fails the run there; a bare `pytest` without a model skips it.
"""

import os
from datetime import UTC, datetime, timedelta

import pytest

from app.cases.models import Case
from app.collectors.base import PostData
from app.collectors.models import Post
from app.collectors.operations import store_posts
from app.extensions import db
from app.triage.model.store import resolve_model_dir
from app.triage.tasks import triage_posts

pytestmark = pytest.mark.slow

PROBLEMS = {
    "flooding": [
        "Đường Nguyễn Hữu Cảnh lại ngập sâu sau cơn mưa chiều nay, xe chết máy hàng loạt",
        "nguyen huu canh ngap qua troi, nuoc toi yen xe luon mn oi",
        "Mưa có 30 phút mà Nguyễn Hữu Cảnh thành sông, bao giờ mới hết ngập vậy",
        "Kẹt cứng ở Nguyễn Hữu Cảnh vì nước ngập, dắt xe bộ gần cây số",
        "NGUYỄN HỮU CẢNH NGẬP NỮA RỒI!!! chống ngập kiểu gì vậy trời",
        "Ngập đoạn gần cầu Thủ Thiêm đường Nguyễn Hữu Cảnh, ai đi hướng đó né ra nha",
        "đường nguyễn hữu cảnh ngập nặng, nước không rút được, cống thoát nước chắc bị nghẹt",
        "Chiều nay Nguyễn Hữu Cảnh ngập như mọi lần, người dân mệt mỏi lắm rồi",
    ],
    "environment": [
        "Rác thải ùn ứ trước chợ Tân Mỹ quận 7 ba ngày rồi chưa ai thu gom",
        "cho tan my q7 rac chat dong boc mui hoi thoi kinh khung",
        "Bãi rác tự phát trước cổng chợ Tân Mỹ, ruồi nhặng bu đầy, xe rác không tới lấy",
        "Ai quản lý vụ rác ở chợ Tân Mỹ vậy, mấy hôm nay hôi không chịu nổi",
        "Rác để đầy lề đường trước chợ Tân Mỹ, mưa xuống nước rác chảy lênh láng",
        "Khu chợ Tân Mỹ Q.7 rác không được thu gom, mùi hôi bay vào nhà dân",
        "rac o cho tan my van chua don, ba ngay roi do",
    ],
    "security": [
        "Đua xe trái phép trên cầu Phú Mỹ lúc nửa đêm, nẹt pô ầm ĩ",
        "Tối qua lại có nhóm thanh niên đua xe trên cầu Phú Mỹ, rất nguy hiểm",
        "cau phu my dem nao cung dua xe, cong an vao cuoc di a",
        "Hơn 20 xe máy lạng lách, bốc đầu trên cầu Phú Mỹ khoảng 1h sáng",
        "Đua xe ở cầu Phú Mỹ diễn ra mấy đêm liền, người đi đường hoảng sợ",
    ],
}


#: With the model trained on real texts (data revision 5, 4 layers), two flooding posts typed
#: the way people write ("nguyen huu canh ngap qua troi", "... ngập như mọi lần") score just
#: under 0.5 and are dismissed, and one racing post is filed as traffic (0.53) and opens a
#: case of its own: the real training texts are mostly press, and social posts about a
#: problem are few among them (see the closing notes of issue 13).
CLUSTERING_WITH_UNSURE_POSTS = pytest.mark.xfail(
    reason="social-style posts score under the relevance threshold or in the wrong category",
    strict=False,
)


def _require_model():
    if resolve_model_dir() is None:
        if os.environ.get("SOCIALBEAT_REQUIRE_MODEL") == "1":
            pytest.fail("no trained triage model: run `make models` (make test does)")
        pytest.skip("no trained triage model (make models)")


def _triage_all(start):
    posts = [
        PostData(
            source="facebook",
            external_id=f"{category}-{n}",
            text=text,
            posted_at=start + timedelta(minutes=7 * n),
        )
        for category, texts in PROBLEMS.items()
        for n, text in enumerate(texts)
    ]
    triage_posts(store_posts(posts).new_ids)
    return db.session.scalars(db.select(Case).order_by(Case.id)).all()


@CLUSTERING_WITH_UNSURE_POSTS
def test_the_real_model_clusters_each_problem_into_one_case(app_context):
    _require_model()

    cases = _triage_all(datetime(2026, 11, 27, 17, 0, tzinfo=UTC))

    by_category = {}
    for case in cases:
        by_category.setdefault(case.category, []).append(case)
    # One case per problem; posts the model is unsure of wait for a person instead.
    assert len(by_category["flooding"]) == 1 and len(by_category["environment"]) == 1
    assert by_category["flooding"][0].mention_count >= 6
    assert by_category["environment"][0].mention_count >= 5
    linked = db.session.scalar(db.select(db.func.count(Post.id)).where(Post.case_id.is_not(None)))
    waiting = db.session.scalar(
        db.select(db.func.count(Post.id)).where(Post.needs_review.is_(True))
    )
    assert linked + waiting == 20


@CLUSTERING_WITH_UNSURE_POSTS
def test_twenty_posts_about_three_problems_make_three_cases(app_context):
    _require_model()
    cases = _triage_all(datetime(2026, 11, 27, 17, 0, tzinfo=UTC))

    assert sorted((c.category, c.mention_count) for c in cases) == [
        ("environment", 7),
        ("flooding", 8),
        ("security", 5),
    ]
