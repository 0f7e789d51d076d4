"""The triage review card: a ward is pre-filled only when triage found that ward itself."""

import re
from datetime import UTC, datetime

import pytest

from app.cases.models import Case
from app.collectors.base import PostData
from app.collectors.models import Post
from app.collectors.operations import store_posts
from app.extensions import db
from app.triage import review
from app.triage.pipeline import place_of
from app.triage.review import ReviewError, decide, ward_choices
from app.triage.routing import RoutingDecision
from app.units.models import LOCAL_KINDS, FormerDistrict, Unit

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
BINH_THANH, QUAN_5 = "765", "774"
TAN_THUAN = "27478"


def _waiting(text: str, number: int = 1) -> Post:
    """A post stored and read by the gazetteer, waiting for a person."""
    [post_id] = store_posts(
        [PostData(source="facebook", external_id=f"review-{number}", text=text, posted_at=NOW)]
    ).new_ids
    post = db.session.get(Post, post_id)
    post.place = place_of(text)
    post.is_relevant, post.category, post.confidence = True, "flooding", 0.43
    post.needs_review = True
    db.session.commit()
    return post


def _district_wards(code: str) -> set[str]:
    district = db.session.scalar(db.select(FormerDistrict).where(FormerDistrict.code == code))
    return {ward.code for ward in district.wards}


def _local_units() -> list[Unit]:
    return db.session.scalars(
        db.select(Unit).where(Unit.kind.in_([k.value for k in LOCAL_KINDS])).order_by(Unit.name_vi)
    ).all()


def _ward_select(page: str, post: Post) -> str:
    return re.search(rf'<select id="ward-{post.id}".*?</select>', page, re.S).group(0)


@pytest.fixture
def analyst_client(client, create_user, login):
    analyst = create_user("analyst", unit_code="VP-UBND")
    login(analyst)
    client.user = analyst
    return client


@pytest.mark.parametrize(
    ("text", "district"),
    [("Ngập nặng ở Bình Thạnh sau mưa", BINH_THANH), ("Rác ở Q5 không ai dọn", QUAN_5)],
)
def test_a_former_district_alone_offers_its_wards_and_chooses_none(app_context, text, district):
    post = _waiting(text)

    choice = ward_choices([post], _local_units())[post.id]

    assert post.place["level"] == "district"  # what triage found: the district, no ward
    assert choice.selected is None
    assert {ward.code for ward in choice.nearby} == _district_wards(district)
    assert not {ward.code for ward in choice.others} & _district_wards(district)
    assert choice.districts == (
        db.session.scalar(db.select(FormerDistrict.name).where(FormerDistrict.code == district)),
    )


def test_a_ward_triage_found_itself_is_pre_filled(app_context):
    post = _waiting("Rác ùn ứ trước chợ ở phường Tân Thuận ba ngày chưa ai dọn")

    choice = ward_choices([post], _local_units())[post.id]

    assert (choice.selected, choice.nearby) == (TAN_THUAN, [])


def test_the_card_selects_no_ward_for_a_district_and_lists_its_wards_first(analyst_client):
    district_post = _waiting("Ngập nặng ở Bình Thạnh sau mưa", 1)
    ward_post = _waiting("Rác ùn ứ trước chợ ở phường Tân Thuận ba ngày chưa ai dọn", 2)

    page = analyst_client.get("/triage/review?lang=en").get_data(as_text=True)

    picker = _ward_select(page, district_post)
    assert "selected" not in picker
    offered = re.findall(r'<option value="([^"]*)"', picker)
    wards = _district_wards(BINH_THANH)
    assert offered[0] == "" and set(offered[1 : 1 + len(wards)]) == wards
    assert "Wards of Quận Bình Thạnh" in picker
    assert "Only the former district Quận Bình Thạnh was recognised" in page
    assert re.search(rf'<option value="{TAN_THUAN}" selected>', _ward_select(page, ward_post))


def test_saving_a_district_post_without_a_ward_keeps_the_district_only(
    analyst_client, keyword_classifier
):
    post = _waiting("Ngập nặng ở Bình Thạnh sau mưa, nước ngập tới gối")
    page = analyst_client.get("/triage/review").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    response = analyst_client.post(
        f"/triage/review/{post.id}?lang=en",
        data={"csrf_token": token, "relevant": "yes", "category": "flooding", "ward": ""},
    )

    assert response.status_code == 303
    page = analyst_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Decision saved" in page
    case = db.session.scalar(db.select(Case))
    assert case.ward is None  # nothing was guessed
    assert case.former_district.code == BINH_THANH
    assert case.unit.code == "SO-XD"  # flooding without a ward: the rules' department


def test_a_chosen_ward_is_kept(app_context, keyword_classifier, create_user):
    post = _waiting("Ngập nặng ở Bình Thạnh sau mưa")
    ward = sorted(_district_wards(BINH_THANH))[0]

    decide(
        post,
        create_user("analyst", unit_code="VP-UBND"),
        relevant=True,
        category="environment",
        ward_code=ward,
    )

    case = db.session.scalar(db.select(Case))
    assert (case.ward.code, case.unit.code) == (ward, ward)


def test_leaving_out_a_ward_triage_found_drops_it(app_context, keyword_classifier, create_user):
    post = _waiting("Rác ùn ứ trước chợ ở phường Tân Thuận ba ngày chưa ai dọn")

    decide(
        post,
        create_user("analyst", unit_code="VP-UBND"),
        relevant=True,
        category="environment",
        ward_code=None,
    )

    assert db.session.scalar(db.select(Case)).ward is None


def test_no_ward_is_refused_when_no_rule_takes_a_case_without_one(
    analyst_client, create_user, monkeypatch
):
    post = _waiting("Ngập nặng ở Bình Thạnh sau mưa")
    monkeypatch.setattr(review, "route", lambda *args: RoutingDecision(None, None, "nothing"))

    with pytest.raises(ReviewError, match="choose its ward"):
        decide(
            post,
            create_user("analyst", unit_code="VP-UBND"),
            relevant=True,
            category="flooding",
            ward_code=None,
        )
    db.session.rollback()
    page = analyst_client.get("/triage/review").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = analyst_client.post(
        f"/triage/review/{post.id}?lang=en",
        data={"csrf_token": token, "relevant": "yes", "category": "flooding", "ward": ""},
        follow_redirects=True,
    )

    assert "No routing rule takes a case of this category without a ward" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(db.select(Case)) is None
    assert db.session.get(Post, post.id).needs_review
