"""Hot keywords read: words and phrases, places by their name, no filler (issue 18, item 7)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.collectors.models import Post
from app.core.time import HCMC
from app.demo.posts import load_demo_posts
from app.extensions import db
from app.models import utcnow
from app.stats import charts
from app.stats.trends import hot_topics, keywords
from tests.stats.trend_dataset import NOW, in_baseline, in_window, post

#: What the old syllable keywords showed at the top of the demo.
FILLER = {"tp", "sáng", "nguyên", "máy", "chỗ", "hộ", "thu", "hcm", "q7", "đường", "phường"}

#: A realistic day: a flooded street and a jammed bridge, typed with and without diacritics,
#: among everyday posts.
WINDOW_POSTS = [
    "Sáng nay đường Nguyễn Hữu Cảnh ngập nước nặng, xe máy chết máy hàng loạt",
    "nguyen huu canh ngap nuoc qua troi, tp hcm mua xong la vay",
    "Ngập nước ở Thủ Đức, chỗ nhà mình nước vô tận nhà",
    "ngap nuoc thu duc, ai o Q7 thi sao",
    "Kẹt xe cứng ngắc trên cầu Sài Gòn từ sáng, ùn tắc cả cây số",
    "ket xe cau sai gon tu 7h sang, xe tai chet may giua cau",
    "Cầu Sài Gòn kẹt xe kéo dài, hộ dân hai bên chịu không nổi",
    "Thủ Đức mưa lớn, máy bơm nguyên khu hư hết",
    "thu duc lai mua, nha nao cung thu don do dac",
]
BASELINE_POSTS = [
    "Giá vé xe buýt tăng từ tháng sau",
    "Công viên Lê Văn Tám sạch đẹp hơn",
]


def _segment(texts):
    segmenter = keywords.build_segmenter(texts)
    return [segmenter.words(text) for text in texts]


def test_compounds_stay_together_with_or_without_diacritics():
    words = _segment(WINDOW_POSTS)
    keys = [keywords.keywords(sequence) for sequence in words]
    assert "ngap nuoc" in keys[0] and "ngap nuoc" in keys[1]
    assert "ket xe" in keys[4] and "ket xe" in keys[5]
    # The syllables of a compound are no keywords of their own.
    assert not {"ngap", "nuoc", "ket", "xe"} & (keys[0] | keys[4])
    forms = keywords.display_forms(words, {"ngap nuoc", "ket xe"})
    assert forms == {"ngap nuoc": "ngập nước", "ket xe": "kẹt xe"}


def test_a_place_is_one_keyword_by_its_name():
    words = _segment(WINDOW_POSTS)
    keys = [keywords.keywords(sequence) for sequence in words]
    # "Thủ Đức" and "thu duc" are one place; so are "Q7" and "quận 7"; "Cầu Sài Gòn" is a landmark.
    assert "thu duc" in keys[2] and "thu duc" in keys[3]
    assert "quan 7" in keys[3] and "q7" not in keys[3] and "q" not in keys[3]
    assert "cau sai gon" in keys[4] and "cau sai gon" in keys[5]
    assert not {"thu", "duc", "sai", "gon", "sai gon"} & set().union(*keys)
    forms = keywords.display_forms(words, {"thu duc", "quan 7", "cau sai gon"})
    assert forms == {"thu duc": "Thủ Đức", "quan 7": "Quận 7", "cau sai gon": "cầu Sài Gòn"}


def test_stopwords_filler_and_fragments_are_no_keywords():
    words = _segment(WINDOW_POSTS)
    shown = set(keywords.display_forms(words, set().union(*map(keywords.keywords, words))).values())
    assert not shown & FILLER
    assert keywords.is_stopword("tp") and keywords.is_stopword("hom nay")
    # Typed without diacritics, "ong" may be "ống" (pipe): it is not dropped as "ông" (Mr).
    assert not keywords.is_stopword("ong")


def test_hot_keywords_are_words_and_places(app_context):
    db.session.add_all([post(in_window(1 + i), text) for i, text in enumerate(WINDOW_POSTS)])
    db.session.add_all([post(in_baseline(day), text) for day in (1, 3) for text in BASELINE_POSTS])
    db.session.commit()

    hot = hot_topics.hot_topics(NOW, limit=20, min_volume=2)

    shown = [k["display"] for k in hot["keywords"]] + [
        word for k in hot["keywords"] for word in k["related"]
    ]
    shown = {word.lower() for word in shown}
    assert {"ngập nước", "kẹt xe", "thủ đức", "cầu sài gòn"} <= shown
    assert not shown & FILLER
    flood = next(k for k in hot["keywords"] if k["term"] == "ngap nuoc")
    assert flood["volume"] == 4  # two posts with diacritics and two without


def test_sentiment_series_keep_their_colours_in_any_order():
    labels = ["a", "b"]
    series = {"Negative": [1, 2], "Neutral": [3, 4], "Positive": [5, 6]}
    svg = str(
        charts.bar_chart(
            "S", labels, series, stacked=True, colours=["negative", "neutral", "positive"]
        )
    )
    assert 'class="series serie-0 color-negative"' in svg
    reordered = dict(reversed(series.items()))
    svg = str(charts.bar_chart("S", labels, reordered, colours=["positive", "neutral", "negative"]))
    assert 'class="series serie-2 color-negative"' in svg
    assert 'class="series serie-0 color-positive"' in svg
    assert "color-0" not in svg and "style=" not in svg
    css = charts.stylesheet()
    assert (
        ".pygal-chart .color-negative,.pygal-chart .color-negative a:visited{stroke:#cf222e" in css
    )
    assert charts.NAMED_COLOURS["negative"] == "#cf222e"  # red
    assert charts.NAMED_COLOURS["positive"] == "#1a7f37"  # green


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_sentiment_chart_draws_negative_in_red_on_local_dates(client, login, create_user, lang):
    login(create_user("analyst"))
    now = utcnow()
    db.session.add_all(
        [
            post(now - timedelta(hours=1), "Ngập quá", sentiment="negative"),
            post(now - timedelta(days=2), "Đẹp quá", sentiment="positive"),
            post(now - timedelta(days=3), "Bình thường", sentiment="neutral"),
        ]
    )
    db.session.commit()

    page = client.get(f"/stats/trends?lang={lang}").get_data(as_text=True)

    chart = page.split('id="sentiment-h"', 1)[1].split("</svg>", 1)[0]
    assert 'class="series serie-2 color-negative"' in chart
    assert "color-positive" in chart and "color-neutral" in chart
    # The axis shows local short dates ("05/12" or "5 Dec"), never ISO days.
    day = (now - timedelta(days=2)).astimezone(HCMC).date()
    assert day.isoformat() not in chart
    short = day.strftime("%d/%m") if lang == "vi" else f"{day.day} {day:%b}"
    assert short in chart


def test_the_demo_fills_hot_cases_and_readable_keywords(app_context, keyword_classifier):
    load_demo_posts(NOW)
    assert db.session.scalar(select(func.count(Post.id))) > 0

    hot = hot_topics.hot_topics(NOW, limit=20)

    assert hot["cases"], "the demo has hot cases"
    assert hot["cases"][0]["volume"] >= 5
    top = [k["display"] for k in hot["keywords"][:20]]
    topics = top + [word for k in hot["keywords"][:20] for word in k["related"]]
    assert {"ngập nước", "kẹt xe", "Thủ Đức"} <= set(topics), topics
    # No lone filler syllable among the top 20.
    assert not set(top) & FILLER
    lone = [k for k in top if " " not in k and k.lower() not in keywords.single_words()]
    assert lone == [], lone
