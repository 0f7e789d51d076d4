"""Watchlist matching: diacritics and case folding, word boundaries, modes, queries."""

import random
import unicodedata

import pytest

from app.collectors.watchlists import Watchlist, WatchlistMatcher, to_query
from app.core.text import fold

VIETNAMESE_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"


def reference_fold(text):
    """The plain recipe, plus the one documented difference: no ASCII base -> space."""
    for letter in "đĐðÐ":
        text = text.replace(letter, "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join("".join(ch if ch.isascii() else " " for ch in stripped).split())


@pytest.mark.parametrize(
    "text",
    [
        VIETNAMESE_LETTERS,
        VIETNAMESE_LETTERS.upper(),
        "Đường Nguyễn Hữu Cảnh NGẬP  nặng\n\tquá 😡🙏",
        unicodedata.normalize("NFD", "Ngập nước ở Thủ Đức"),  # typed with combining marks
        "  chỉ ASCII, no accents  ",
        "Quận 1 — “kẹt xe” … ⚠️ 北京 Ωmega",
        "nbsp\u00a0giữa từ",
        "ðường Ðồng Khởi",  # eth, as some keyboards send it for đ
        "Ñandú, Ærø, İstanbul, façade, Straße",
        "",
    ],
)
def test_fold_agrees_with_the_plain_recipe(text):
    assert fold(text) == reference_fold(text)


def test_fold_agrees_with_the_plain_recipe_on_random_latin_text():
    alphabet = [
        chr(code)
        for code in (*range(0x20, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00))
        if not unicodedata.category(chr(code)).startswith("C")
    ] + list("\t\n\u00a0😡")
    rng = random.Random(2025)
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert fold(text) == reference_fold(text), text


def test_fold_examples():
    assert fold("Đường Nguyễn Hữu Cảnh NGẬP  nặng") == "duong nguyen huu canh ngap nang"
    assert fold("Ngập😡quá “kẹt xe”") == "ngap qua ket xe"
    assert fold(None) == ""


def matcher(*watchlists):
    return WatchlistMatcher(watchlists)


def test_matching_ignores_case_and_diacritics_both_ways():
    flood = Watchlist(id="flood", name="Ngập", terms=("ngập nước", "triều cường"))
    typed_bare = Watchlist(id="bare", name="bare", terms=("ket xe",))
    m = matcher(flood, typed_bare)

    assert m.match("NGẬP NƯỚC ở Thủ Đức") == ["flood"]
    assert m.match("ngap nuoc o thu duc") == ["flood"]
    assert m.match("Kẹt xe cầu Sài Gòn") == ["bare"]
    assert m.match("Trời đẹp quá") == []
    assert m.match("") == [] and m.match(None) == []


def test_word_boundaries():
    m = matcher(
        Watchlist(id="d1", name="Quận 1", terms=("quận 1",)),
        Watchlist(id="xe", name="xe", terms=("xe",)),
        Watchlist(id="ngap", name="ngập", terms=("ngập",)),
    )

    assert m.match("Kẹt xe ở Quận 10") == ["xe"]  # "quận 1" is not inside "quận 10"
    assert m.match("Xem phim ở Quận 1.") == ["d1"]  # "xe" is not inside "xem"
    assert m.match("ngậpp") == []
    assert m.match("(ngập)") == ["ngap"]
    assert m.match("đang ngập,") == ["ngap"]


def test_hashtag_form_of_multi_word_terms():
    m = matcher(Watchlist(id="tx", name="Kẹt xe", terms=("kẹt xe",)))

    assert m.match("Sáng nay #ketxe kinh khủng") == ["tx"]
    assert m.match("#KẹtXe") == ["tx"]
    assert m.match("ketxe") == []  # the compact form needs its '#'


def test_modes_and_must_not():
    wl_any = Watchlist(id=1, name="any", terms=("ngập", "mưa lớn"), must_not=("quảng cáo",))
    wl_all = Watchlist(id=2, name="all", terms=("ngập", "Thủ Đức"), mode="all")
    wl_none = Watchlist(id=3, name="none", terms=("khuyến mãi", "quảng cáo"), mode="none")
    m = matcher(wl_any, wl_all, wl_none)

    assert m.match("Mưa lớn, ngập ở Thủ Đức") == [1, 2, 3]
    assert m.match("Ngập ở Gò Vấp") == [1, 3]
    assert m.match("Thủ Đức hôm nay") == [3]
    assert m.match("Quảng cáo: chống ngập Thủ Đức") == [2]
    assert m.match("Khuyến mãi áo mưa") == []


def test_same_term_in_several_watchlists_and_mapping_input():
    m = WatchlistMatcher(
        [
            {"id": 10, "name": "A", "terms": ["sốt xuất huyết"], "purpose": "trend_analysis"},
            {"id": 11, "name": "B", "terms": ["Sot xuat huyet", "dịch bệnh"]},
        ]
    )

    assert m.match("Ca sốt xuất huyết tăng ở Quận 8") == [10, 11]
    assert m.watchlists[0].purpose == "trend_analysis"


def test_invalid_watchlists_are_refused():
    with pytest.raises(ValueError, match="purpose"):
        Watchlist(id=1, name="x", terms=("a",), purpose="spying")
    with pytest.raises(ValueError, match="mode"):
        Watchlist(id=1, name="x", terms=("a",), mode="some")
    with pytest.raises(ValueError, match="no terms"):
        Watchlist(id=1, name="x", terms=())
    with pytest.raises(ValueError, match="empty"):
        Watchlist(id=1, name="x", terms=("  ",))


def test_to_query_per_source():
    flood = Watchlist(id=1, name="Ngập", terms=("ngập nước", "triều cường"), must_not=("bán",))

    assert to_query(flood, "x") == (
        '("ngập nước" OR "ngap nuoc" OR "triều cường" OR "trieu cuong") -bán -ban lang:vi -is:retweet'
    )
    assert to_query(flood, "youtube") == '"ngập nước"|"triều cường" -bán'
    assert to_query(flood, "facebook") is None
    assert to_query(Watchlist(id=2, name="n", terms=("a",), mode="none"), "x") is None
