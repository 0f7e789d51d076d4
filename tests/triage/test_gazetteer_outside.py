"""Places outside the city: other provinces, Hà Nội, other countries and the traps, and
whether a post names a place in the city at all. A wrong "outside" dismisses a real
problem of the city, so the negatives matter as much as the positives."""

import json
from pathlib import Path

import pytest

from app.triage.places.gazetteer import (
    Gazetteer,
    find_outside,
    find_outside_all,
    get_gazetteer,
    names_city_place,
)
from app.triage.places.outside import OutsidePlace
from app.triage.places.scope import outside_reason

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return get_gazetteer()


class TestOutside:
    @pytest.mark.parametrize(
        ("text", "name", "kind"),
        [
            ("cháy nhà ở Cầu Giấy, Hà Nội", "Hà Nội", "hanoi"),
            ("Hà Nội ngập sâu sau mưa", "Hà Nội", "hanoi"),
            ("HN mưa to quá", "Hà Nội", "hanoi"),
            ("tai nạn tại Đà Nẵng", "Đà Nẵng", "province"),
            ("ngap o Can Tho", "Cần Thơ", "province"),
            ("Huế mưa lớn ba ngày", "Huế", "province"),
            ("tỉnh Long An mất điện", "Long An", "province"),
            ("TP Vinh kẹt xe", "Thành phố Vinh, Nghệ An", "province"),
            ("Đà Lạt có sương mù", "Đà Lạt", "province"),
            ("bão ở Philippines", "Philippines", "foreign"),
            ("Trung Quốc phóng tàu vũ trụ", "Trung Quốc", "foreign"),
            ("Cháy rừng ở Mỹ lan rộng", "Mỹ", "foreign"),
            ("Tổng thống Mỹ phát biểu", "Mỹ", "foreign"),
            (
                "Bệnh viện Bạch Mai quá tải, bệnh nhân nằm ghép",
                "Bệnh viện Bạch Mai, Hà Nội",
                "hanoi",
            ),
            ("BV Việt Đức mổ cấp cứu nạn nhân", "Bệnh viện Việt Đức, Hà Nội", "hanoi"),
            ("đi quẩy ở 1 bar trên phố Tạ Hiện", "phố Tạ Hiện, Hà Nội", "hanoi"),
            ("kẹt xe ở quận Cam", "quận Cam (Orange County)", "trap"),
            ("chợ Tết ở Little Saigon", "Little Saigon", "trap"),
            ("Bão mạnh trên Thái Bình Dương", "Thái Bình Dương", "trap"),
        ],
    )
    def test_places_outside(self, gazetteer, text, name, kind):
        place = gazetteer.find_outside(text)
        assert isinstance(place, OutsidePlace)
        assert (place.name, place.kind) == (name, kind)
        assert place.confidence >= 0.6
        assert place.reason.startswith(f"about {name}, outside ")
        assert place.surface == gazetteer._scan(text)[0].text[slice(*place.span)]
        assert not gazetteer.names_city_place(text)

    def test_a_hanoi_district_alone(self, gazetteer):
        place = gazetteer.find_outside("Ngập nặng ở Cầu Giấy sáng nay")
        assert (place.name, place.region) == ("Quận Cầu Giấy, Hà Nội", "Hà Nội")
        assert [p.name for p in gazetteer.find_outside_all("cháy nhà ở Cầu Giấy, Hà Nội")] == [
            "Quận Cầu Giấy, Hà Nội",
            "Hà Nội",
        ]

    def test_foreign_and_traps_are_outside_vietnam(self, gazetteer):
        assert gazetteer.find_outside("bão ở Philippines").reason == (
            "about Philippines, outside Vietnam"
        )
        assert gazetteer.find_outside("tai nạn tại Đà Nẵng").reason == (
            "about Đà Nẵng, outside the city"
        )

    def test_typed_without_diacritics_is_less_sure(self, gazetteer):
        assert gazetteer.find_outside("ngap o Can Tho").confidence < (
            gazetteer.find_outside("ngập ở Cần Thơ").confidence
        )

    @pytest.mark.parametrize(
        "text",
        [
            "thẩm mỹ viện ở Q1 bị phạt",  # "Mỹ" in a word
            "anh ơi cho em hỏi",  # "Anh" is you
            "Anh Tuấn ở Anh Đào",
            "xa lộ Hà Nội kẹt xe",  # a street of the city
            "đường Hà Nội ngập",
            "chợ Đà Lạt đông khách",
            "bún bò Huế ngon nhất Sài Gòn",
            "Bình Dương mưa lớn",  # inside since 2025
            "Điện Biên Phủ kẹt xe",  # the street, not the province
            "ket xe Dien Bien Phu",
            "nước ngập cao bằng đầu gối",  # "cao bằng" is "as high as"
            "máy giặt da nang giá rẻ",  # "đa năng", typed without diacritics
            "e lam cccd bi sai ngay sinh",  # "bi" is not Belgium
            "biện pháp xử lý rác",  # "pháp"
            "chị Nga bán rau ở chợ",  # a name
            "Mỹ Linh hát ở Nhà hát Thành phố",
            "người Trung Quốc thuê nhà",  # people from there, here
            "hàng Trung Quốc bán tràn lan ở chợ",  # goods from there, here
            "nạn nhân quê Thanh Hóa bị thương",  # a hometown
            "Đại biểu Lưu Bình Nhưỡng phát biểu",  # a person's name
            "Hậu Giang ngập",  # a street of the city as much as a province
            "Phú Mỹ mưa to",  # inside since 2025
            "hn đi làm muộn",  # "hôm nay"
            "",
        ],
    )
    def test_not_outside(self, gazetteer, text):
        assert gazetteer.find_outside(text) is None, gazetteer.find_outside(text)

    def test_a_name_that_is_also_a_city_place_needs_its_level_word(self, gazetteer):
        assert gazetteer.find_outside("Hòa Bình hôm nay") is None  # Phường Hòa Bình
        assert gazetteer.find_outside("tỉnh Hòa Bình mưa lũ").name == "Hòa Bình"
        assert gazetteer.find_outside("tỉnh Hậu Giang mưa lũ").name == "Hậu Giang"
        assert gazetteer.find_outside("quận Thanh Xuân, ngập").name == "Quận Thanh Xuân, Hà Nội"

    def test_the_shortcuts(self):
        assert find_outside("tai nạn tại Đà Nẵng").name == "Đà Nẵng"
        assert [p.name for p in find_outside_all("Hà Nội và Đà Nẵng mưa")] == ["Hà Nội", "Đà Nẵng"]


class TestNamesCityPlace:
    @pytest.mark.parametrize(
        "text",
        [
            "Ngập ở Q7",
            "TP.HCM mưa to",
            "Sài Gòn kẹt xe",
            "tphcm ket xe",
            "Saigon traffic jam",
            "đường Phạm Văn Đồng kẹt xe",
            "cầu Phú Mỹ kẹt xe",
            "Bình Dương mưa lớn",
            "xa lộ Hà Nội kẹt xe",
        ],
    )
    def test_names_a_place_in_the_city(self, gazetteer, text):
        assert gazetteer.names_city_place(text)

    @pytest.mark.parametrize(
        "text",
        [
            "Hà Nội ngập sâu",
            "Chủ tịch Hồ Chí Minh",
            "học tập tư tưởng Hồ Chí Minh",
            "Little Saigon ở quận Cam",
            "Trời hôm nay đẹp",
        ],
    )
    def test_does_not(self, gazetteer, text):
        assert not gazetteer.names_city_place(text)

    @pytest.mark.parametrize(
        ("text", "outside"),
        [
            # A ward of ours right before another province's district or city is its namesake.
            (
                "Công an bắt bà S. (trú xã Phước Hiệp, H. Tuy Phước, Bình Định)",
                "Huyện Tuy Phước, Bình Định",
            ),
            ("vớt thi thể trên sông, đoạn thuộc phường An Bình, TP Biên Hòa", "Thành phố Biên Hòa, Đồng Nai"),
            # ... also when the name goes on for a word ("Long Bình Tân" is not "Long Bình").
            ("2 nam sinh ngụ phường Long Bình Tân, TP Biên Hoà bị nước cuốn", "Thành phố Biên Hòa, Đồng Nai"),
            # No name spans a bracket or a comma: here there is no "Tân TP".
            ("Trường THCS Long Bình Tân (TP Biên Hoà, Đồng Nai) kỷ luật thầy giáo", "Thành phố Biên Hòa, Đồng Nai"),
            # A crossroads of Biên Hòa, though Vũng Tàu is in the city.
            ("Cháy lớn gần ngã tư Vũng Tàu, nhiều ki ốt bị thiêu rụi", "ngã tư Vũng Tàu (Biên Hòa, Đồng Nai)"),
            ("ket xe o nga 4 Vung Tau", "ngã tư Vũng Tàu (Biên Hòa, Đồng Nai)"),
        ],
    )  # fmt: skip
    def test_a_namesake_of_a_city_place_in_another_province(self, gazetteer, text, outside):
        assert not gazetteer.names_city_place(text, min_confidence=0.7, streets=False)
        place = gazetteer.find_outside(text)
        assert place.name == outside
        assert place.reason == f"about {outside}, outside the city"

    @pytest.mark.parametrize(
        ("text", "ward"),
        [
            ("Ngập nặng ở phường An Bình, Dĩ An, Bình Dương", "Phường Dĩ An"),
            ("Cháy nhà ở phường Long Bình, TP Thủ Đức", "Phường Long Bình"),
            ("Kẹt xe ở Vũng Tàu, đường Thùy Vân", "Phường Vũng Tàu"),
        ],
    )
    def test_a_city_place_before_one_of_the_city_stays(self, gazetteer, text, ward):
        match = gazetteer.resolve(text)
        assert match is not None and ward in {name for _, name in match.wards}, match
        assert gazetteer.find_outside(text) is None

    @pytest.mark.parametrize(
        "text",
        [
            "Ôtô chạy từ TP HCM đi Đà Lạt đâm xe chở rau, 3 người tử vong",
            "Xe khách trên cao tốc Trung Lương hướng về TP HCM, khi qua Bến Lức (Long An) gặp nạn",
            "Tàu SE4 đang trên đường từ Sài Gòn đi Hà Nội thì sản phụ chuyển dạ",
        ],
    )
    def test_the_city_named_as_where_a_journey_starts_or_ends_is_not_the_place(
        self, gazetteer, text
    ):
        assert not gazetteer.names_city_place(text)
        assert outside_reason(text, "local").endswith("outside the city")

    def test_the_city_named_as_where_it_happens_still_counts(self, gazetteer):
        text = "Mâu thuẫn từ Sóc Trăng, kéo lên TP. HCM chém trọng thương 4 người"
        assert gazetteer.names_city_place(text)
        assert outside_reason(text, "local") is None
        assert gazetteer.names_city_place("Người dân từ các tỉnh trở lại TP HCM, kẹt xe")

    def test_both_a_place_outside_and_one_inside(self):
        text = "Xe khách từ Đà Nẵng gặp tai nạn trên xa lộ Hà Nội, TP Thủ Đức"
        assert find_outside(text).name == "Đà Nẵng"
        assert names_city_place(text)


def test_outside_names_are_indexed_in_the_hundreds(gazetteer):
    names = {e.name for entries in gazetteer._outside.phrases.values() for e in entries}
    assert len(names) > 500
    data = json.loads((ROOT / "app/triage/data/outside_places.json").read_text("utf-8"))
    assert 60 <= len(data["foreign"]) <= 150


def test_relevant_labelled_posts_are_rarely_sent_outside(gazetteer):
    """On the labelled posts, "outside and no city place" almost never hits a relevant one."""
    rows = [
        json.loads(line)
        for split in ("train", "dev")
        for line in (ROOT / "data/triage" / f"{split}.jsonl").read_text("utf-8").splitlines()
    ]
    wrong = [
        row["text"]
        for row in rows
        if row["relevant"]
        and gazetteer.find_outside(row["text"])
        and not gazetteer.names_city_place(row["text"])
    ]
    caught = [
        row
        for row in rows
        if not row["relevant"]
        and gazetteer.find_outside(row["text"])
        and not gazetteer.names_city_place(row["text"])
    ]
    assert len(wrong) <= 0.005 * len(rows), wrong
    assert len(caught) > 500
