"""The gazetteer's streets, landmarks and the former provinces: what a post names
besides wards and districts still resolves to the city's units."""

import importlib.util
import json
from pathlib import Path

import pytest

from app.triage.places.gazetteer import Gazetteer, get_gazetteer
from app.triage.places.index import DATA_DIR
from app.triage.places.matches import PlaceMatch
from app.units.hcmc import former_districts, load_hcmc_units

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return get_gazetteer()


def district(name: str):
    return next(d for d in former_districts() if d.name == name)


def district_names(match: PlaceMatch) -> set[str]:
    return {name for name, _ in match.former_districts}


def wards_of(*names: str) -> set[str]:
    return {code for name in names for code in district(name).current_ward_codes}


def unit_code(name: str) -> str:
    return next(u.code for u in load_hcmc_units() if u.name == name)


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads((DATA_DIR / "streets.json").read_text(encoding="utf-8"))


class TestStreetsData:
    def test_says_where_it_comes_from(self, data):
        source = data["source"]
        assert source["repository"] == "thien0291/vietnam_dataset"
        assert source["commit"] == "f1bb0d71e99015869768903ecef2b444ed9e3266"
        assert source["licence"] == "MIT"

    def test_districts_are_the_packages_codes_with_quan_2_and_9_in_thu_duc(self, data):
        codes = {d.code for d in former_districts() if d.province_code == "79"}
        assert {c for cs in data["streets"].values() for c in cs} <= codes
        assert data["streets"]["Xa Lộ Hà Nội"] == [district("Thành phố Thủ Đức").code]

    def test_codes_without_a_name_are_left_out(self, data):
        assert len(data["streets"]) > 3000
        for code in ("10A", "2-3-4", "Số 5", "Ấp 1A"):
            assert code not in data["streets"]
        assert "3/2" in data["streets"]  # a date is a name

    def test_rebuilding_from_the_source_gives_the_committed_file(self, data):
        spec = importlib.util.spec_from_file_location("build", ROOT / "scripts/build_streets.py")
        build = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(build)
        if not build.MIRROR.exists():
            pytest.skip("the source repository's mirror is not on this machine")
        text = build.dumps(build.build(build.read_source(None)))
        assert text == (DATA_DIR / "streets.json").read_text(encoding="utf-8")


class TestStreets:
    @pytest.mark.parametrize(
        "text",
        [
            "Đường Phạm Văn Đồng kẹt cứng",
            "kẹt xe đg Phạm Văn Đồng",
            "ket xe duong pham van dong",
            "Phạm Văn Đồng kẹt cứng từ sáng",
        ],
    )
    def test_a_street_in_several_districts_is_all_of_them_less_surely(self, gazetteer, text):
        match = gazetteer.resolve(text)
        assert match.level == "street"
        assert match.former_district is None
        assert district_names(match) >= {
            "Quận Bình Thạnh",
            "Quận Gò Vấp",
            "Thành phố Thủ Đức",
        }
        assert set(match.ward_codes) == wards_of(*district_names(match))
        assert match.confidence <= 0.5
        assert 'street "Phạm Văn Đồng" is in several former districts: ' in match.reason

    @pytest.mark.parametrize("text", ["kẹt xe QL1A", "QL 1A đoạn qua Bình Chánh", "Quốc lộ 1A"])
    def test_national_road_by_its_number(self, gazetteer, text):
        match = gazetteer.resolve(text)
        assert "Huyện Bình Chánh" in district_names(match)
        if match.level == "street":
            assert len(match.former_districts) > 5 and match.confidence <= 0.5
            assert '"Quốc lộ 1A"' in match.reason

    def test_xa_lo_ha_noi_is_a_street_of_thu_duc(self, gazetteer):
        match = gazetteer.resolve("Xa lộ Hà Nội ngập sâu")
        assert match.level == "street"
        assert match.former_district == ("Thành phố Thủ Đức", district("Thành phố Thủ Đức").code)
        assert match.confidence == 0.75
        assert match.reason == 'street "Xa Lộ Hà Nội" lies in Thành phố Thủ Đức'

    def test_nguyen_huu_canh_runs_in_binh_thanh(self, gazetteer):
        match = gazetteer.resolve("Mưa 20 phút mà đường Nguyễn Hữu Cảnh lại thành sông")
        assert "Quận Bình Thạnh" in district_names(match)
        assert set(match.ward_codes) >= wards_of("Quận Bình Thạnh")

    def test_huynh_tan_phat_runs_in_quan_7_and_nha_be(self, gazetteer):
        match = gazetteer.resolve("duong Huynh Tan Phat ngap toi dau goi")
        assert district_names(match) == {"Quận 7", "Huyện Nhà Bè"}

    def test_a_named_district_outranks_the_street(self, gazetteer):
        match = gazetteer.resolve("duong huynh tan phat q7 ngap toi dau goi")
        assert match.level == "district"
        assert match.former_district == ("Quận 7", "778")
        ward = gazetteer.resolve("Đường Huỳnh Tấn Phát, phường Tân Thuận ngập")
        assert ward.level == "ward" and ward.ward_codes == (unit_code("Phường Tân Thuận"),)

    def test_a_street_in_one_district(self, gazetteer):
        match = gazetteer.resolve("Đường Trần Xuân Soạn ngập")
        assert match.level == "street"
        assert match.former_district == ("Quận 7", "778")
        assert match.former_districts == (("Quận 7", "778"),)
        assert match.confidence == 0.75

    @pytest.mark.parametrize(
        "text",
        [
            "Hẻm 285 Cách Mạng Tháng 8 nước lên tới bậc cửa",
            "nhà ở số 12/4 Cách Mạng Tháng Tám ngập",
            "đường 3/2 kẹt xe",
            "kẹt xe trên CMT8",
        ],
    )
    def test_house_numbers_and_other_spellings(self, gazetteer, text):
        match = gazetteer.resolve(text)
        assert match.level == "street"
        assert "Quận 10" in district_names(match)

    def test_a_short_name_needs_duong(self, gazetteer):
        assert gazetteer.resolve("Lê Lợi ngập quá") is None
        assert gazetteer.resolve("đường Lê Lợi ngập quá").level == "street"
        assert gazetteer.resolve("tuyên dương Thanh Niên tiêu biểu") is None  # not "đường"

    @pytest.mark.parametrize(
        "text",
        [
            "ông Phạm Văn Đồng phát biểu",
            "anh Nguyễn Văn Bảo bị thương",
            "học sinh trường THCS Chu Văn An",
            "thẩm phán Nguyễn Thị Thanh Thảo",
        ],
    )
    def test_a_persons_name_is_not_a_street(self, gazetteer, text):
        assert gazetteer.resolve(text) is None

    def test_a_street_of_another_province_is_not_the_citys(self, gazetteer):
        assert gazetteer.resolve("tai nạn trên đường Lê Lợi, Đà Nẵng") is None


class TestLandmarks:
    def test_cau_phu_my_is_the_bridge_not_the_ward(self, gazetteer):
        match = gazetteer.resolve("cầu Phú Mỹ kẹt xe kéo dài")
        assert match.level == "landmark"
        assert district_names(match) == {"Quận 7", "Thành phố Thủ Đức"}
        assert unit_code("Phường Phú Mỹ") not in match.ward_codes
        assert match.reason == 'landmark "cầu Phú Mỹ" (bridge) in Quận 7, Thành phố Thủ Đức'

    def test_cho_ben_thanh_is_its_ward(self, gazetteer):
        match = gazetteer.resolve("Chợ Bến Thành hôm nay vắng khách")
        assert match.level == "landmark"
        assert match.ward_codes == (unit_code("Phường Bến Thành"),)
        assert match.former_district == ("Quận 1", "760")
        assert match.reason.endswith("now Phường Bến Thành")

    def test_a_landmark_with_its_ward_beats_the_district_it_is_in(self, gazetteer):
        match = gazetteer.resolve("Quận 1: chợ Bến Thành ngập")
        assert match.ward_codes == (unit_code("Phường Bến Thành"),)
        assert 'consistent with "Quận 1"' in match.reason

    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ("ngã 4 Hàng Xanh kẹt cứng", "ngã tư Hàng Xanh"),
            ("bùng binh Dân Chủ đông xe", "vòng xoay Dân Chủ"),
            ("bx Miền Tây đông nghẹt", "bến xe Miền Tây"),
            ("Sân bay TSN kẹt xe", "sân bay Tân Sơn Nhất"),
            ("hầm Thủ Thiêm ùn tắc", "hầm Thủ Thiêm"),
            ("Landmark 81 mất điện", "Landmark 81"),
        ],
    )
    def test_landmarks_as_people_write_them(self, gazetteer, text, name):
        match = gazetteer.resolve(text)
        assert match.level == "landmark"
        assert f'landmark "{name}"' in match.reason

    def test_a_landmark_needs_its_diacritics(self, gazetteer):
        assert gazetteer.resolve("Cầu mong mọi người bình an") is None  # not cầu Móng

    def test_every_landmark_names_known_districts_and_wards(self):
        data = json.loads((DATA_DIR / "landmarks.json").read_text(encoding="utf-8"))
        districts = {d.code for d in former_districts()}
        units = {u.code: u for u in load_hcmc_units()}
        assert 60 <= len(data["landmarks"]) <= 160
        for item in data["landmarks"]:
            assert set(item["districts"]) <= districts, item["name"]
            if "ward" in item:
                refs = {ref.code for ref in units[item["ward"]].former_districts}
                assert refs & set(item["districts"]), item["name"]

    def test_every_landmark_resolves_by_its_name(self, gazetteer):
        data = json.loads((DATA_DIR / "landmarks.json").read_text(encoding="utf-8"))
        for item in data["landmarks"]:
            match = gazetteer.resolve(f"Kẹt xe ở {item['name']} sáng nay")
            assert match.level == "landmark" and f'"{item["name"]}"' in match.reason, item


class TestFormerProvinces:
    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ("Thủ Dầu Một ngập", "Thành phố Thủ Dầu Một"),
            ("Dĩ An mất nước", "Thành phố Dĩ An"),
            ("kẹt xe ở Thuận An", "Thành phố Thuận An"),
            ("Bến Cát cháy xưởng", "Thành phố Bến Cát"),
            ("Tân Uyên ngập", "Thành phố Tân Uyên"),
            ("Bàu Bàng mất điện", "Huyện Bàu Bàng"),
            ("Vũng Tàu mưa lớn", "Thành phố Vũng Tàu"),
            ("Bà Rịa mưa lớn", "Thành phố Bà Rịa"),
            ("thị xã Phú Mỹ mưa lớn", "Thành phố Phú Mỹ"),
            ("Long Điền mất điện", "Huyện Long Đất"),
            ("huyện Đất Đỏ mất điện", "Huyện Long Đất"),
            ("Xuyên Mộc cháy rừng", "Huyện Xuyên Mộc"),
            ("Châu Đức mất điện", "Huyện Châu Đức"),
            ("Côn Đảo mất điện", "Huyện Côn Đảo"),
            ("thị xã Thủ Dầu Một ngày ấy", "Thành phố Thủ Dầu Một"),
            ("huyện Bến Cát cũ", "Thành phố Bến Cát"),
        ],
    )
    def test_former_towns_and_districts_are_in_the_city(self, gazetteer, text, name):
        match = gazetteer.resolve(text)
        assert match.level == "district"
        assert match.former_district == (name, district(name).code)

    @pytest.mark.parametrize(
        ("text", "province"),
        [
            ("Bình Dương mưa lớn", "Tỉnh Bình Dương"),
            ("tỉnh Bình Dương mưa lớn", "Tỉnh Bình Dương"),
            ("Bà Rịa - Vũng Tàu mưa lớn", "Tỉnh Bà Rịa - Vũng Tàu"),
            ("Bà Rịa – Vũng Tàu mưa lớn", "Tỉnh Bà Rịa - Vũng Tàu"),
            ("BR-VT mưa lớn", "Tỉnh Bà Rịa - Vũng Tàu"),
        ],
    )
    def test_the_province_alone_is_all_its_units(self, gazetteer, text, province):
        match = gazetteer.resolve(text)
        members = [d for d in former_districts() if d.province == province]
        assert match.level == "province"
        assert match.former_district is None
        assert set(match.ward_codes) == wards_of(*(d.name for d in members))
        assert 0.5 <= match.confidence <= 0.7
        assert f"as former {province}, part of the city since 2025" in match.reason

    def test_a_town_named_with_its_province_is_the_town(self, gazetteer):
        match = gazetteer.resolve("Dĩ An, Bình Dương mất nước")
        assert match.former_district[0] == "Thành phố Dĩ An"

    def test_the_pacific_is_not_binh_duong(self, gazetteer):
        assert gazetteer.resolve("Bão trên Thái Bình Dương mạnh lên") is None


def test_former_districts_lists_the_single_district_too(gazetteer):
    match = gazetteer.resolve("Kẹt xe Q7")
    assert match.former_districts == (match.former_district,)
    assert gazetteer.resolve("phường Tân Thuận ngập").former_districts == ()
