"""Choosing the review band on dev, and the figures `triage eval` prints for real texts."""

from app.triage.evaluation import place_accuracy, source_of
from app.triage.model.evaluate import choose_thresholds
from app.triage.model.labels import Example
from app.triage.model.prediction import Prediction
from app.triage.pipeline import Thresholds, analyse


def _prediction(p_relevant: float, category: str = "flooding", confidence: float = 0.9):
    return Prediction(
        relevant=p_relevant >= 0.5,
        relevance_confidence=max(p_relevant, 1 - p_relevant),
        relevance_probability=p_relevant,
        category=category,
        category_confidence=confidence,
        category_scores={category: confidence},
        sentiment="negative",
        sentiment_confidence=0.9,
        model_version="test",
    )


def _example(relevant: bool, category: str | None = "flooding", **extra) -> Example:
    return Example("x", relevant, category if relevant else None, "negative", extra=extra)


def test_the_chosen_band_makes_the_fewest_wrong_decisions_within_the_review_share():
    # 20 sure problems, 20 sure non-problems, and two posts the model gets wrong: a
    # problem at 0.45 and a non-problem at 0.55. Reviewing both (5% of 42) costs no
    # wrong decision; any narrower band gets one of them wrong.
    predictions = [_prediction(0.95)] * 20 + [_prediction(0.05)] * 20
    predictions += [_prediction(0.45), _prediction(0.55)]
    examples = [_example(True)] * 20 + [_example(False)] * 20 + [_example(True), _example(False)]

    chosen, effect = choose_thresholds(predictions, examples, max_review=0.08)

    assert chosen["dismiss_below"] <= 0.45 and chosen["accept_from"] > 0.55
    assert effect == {"wrong_decisions": 0, "review_share": 2 / 42, "posts": 42}


def test_with_no_room_for_review_the_band_closes():
    predictions = [_prediction(0.95)] * 10 + [_prediction(0.45)] * 10
    examples = [_example(True)] * 10 + [_example(False)] * 10

    chosen, effect = choose_thresholds(predictions, examples, max_review=0.0)

    assert effect["review_share"] == 0.0
    assert chosen["dismiss_below"] == chosen["accept_from"] == 0.5


def test_the_pipeline_uses_the_models_own_thresholds(app_context, keyword_classifier):
    # The keyword classifier is 60% sure of a post with "?": under the default band that
    # waits for a person; a model whose band starts at 0.55 decides it.
    text = "Rác ùn ứ ở chợ Tân Thuận ba ngày rồi?"
    assert analyse([text])[0].needs_review
    keyword_classifier.thresholds = {"dismiss_below": 0.3, "accept_from": 0.55, "category": 0.4}

    [analysis] = analyse([text])

    assert Thresholds.of(keyword_classifier) == Thresholds(0.3, 0.55, 0.4)
    assert (analysis.relevant, analysis.needs_review) == (True, False)


def test_place_accuracy_counts_the_relevant_texts_whose_label_names_a_place():
    district_7 = {"former_district": {"code": "778", "name": "Quận 7"}, "wards": []}
    ward = {"former_district": None, "wards": [{"code": "27478", "name": "Phường Tân Thuận"}]}
    many = {"former_district": None, "former_districts": [{"code": "765"}, {"code": "764"}]}
    examples = [
        _example(True, place={"district_code": "778"}),
        _example(True, place={"district_code": "765"}),  # a street in two districts
        _example(True, place={"ward_code": "27478"}),
        _example(True, place={"ward_code": "27478"}),  # nothing found
        _example(False, place={"district_code": "778"}),  # not relevant: not counted
        _example(True),
    ]

    figures = place_accuracy(examples, [district_7, many, ward, None, None, None])

    assert figures["district"] == {"correct": 1, "total": 2, "accuracy": 0.5}
    assert figures["ward"] == {"correct": 1, "total": 2, "accuracy": 0.5}


def test_a_texts_source_is_its_recorded_name():
    assert source_of(_example(True, source={"name": "vietnews"})) == "vietnews"
    assert source_of(_example(True)) == "unknown"
