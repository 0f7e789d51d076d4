"""The trained triage model, when there is one under instance/models/triage (never in git)."""

from pathlib import Path

import numpy as np
import pytest

from app.triage.model import store
from app.triage.model.labels import load_examples

pytestmark = pytest.mark.slow

MODEL_DIR = store.resolve_model_dir(store.default_model_root())
DATA = Path(__file__).resolve().parents[2] / "data" / "triage"

#: Posts written for this test, not taken from the dataset: other wording, no
#: diacritics, teencode. (text, category)
NEW_POSTS = [
    ("mưa chưa tới nửa tiếng mà hẻm nhà mình ở Bình Thạnh nước lênh láng tới đầu gối", "flooding"),
    ("duong Le Van Viet Q9 ket cung tu 5h chieu, xe nhich tung chut mot", "traffic"),
    ("bãi rác tự phát cuối hẻm bốc mùi kinh khủng, ruồi bu đầy, ko ai dọn", "environment"),
    ("quán nhậu kê bàn ghế chiếm hết vỉa hè, người đi bộ phải xuống lòng đường", "urban_order"),
    ("vừa bị giật điện thoại ở ngã tư Hàng Xanh, tụi nó chạy xe không biển số", "security"),
    ("cột đèn đường trước chợ Bà Chiểu tắt cả tuần rồi, tối đen như mực", "infrastructure"),
    (
        "nop ho so cap so hong o phuong 3 thang roi ma van chua co ket qua, hoi thi dc hen hoai",
        "administrative",
    ),
    ("khu mình có 3 ca sốt xuất huyết rồi, mong phường phun thuốc diệt muỗi sớm", "health"),
    (
        "trường tiểu học gần nhà thu thêm tiền máy lạnh đầu năm mà không nói rõ khoản chi",
        "education",
    ),
]
NOT_RELEVANT = [
    "sale sập sàn 50% toàn bộ váy đầm, inbox shop nha các chị",
    "tối nay ai xem bóng đá ngoại hạng Anh không, MU đá chán quá",
]


@pytest.fixture(scope="module")
def classifier():
    if MODEL_DIR is None:
        pytest.skip(
            "no trained triage model under instance/models/triage; "
            "run `flask --app wsgi triage train` (a few minutes on the CPU)"
        )
    from app.triage.model.inference import TransformerClassifier

    return TransformerClassifier.load(MODEL_DIR)


def test_trained_model_on_a_sample_of_the_test_split_and_on_new_posts(classifier):
    from app.triage.model.evaluate import evaluate_examples

    sample = load_examples(DATA / "test.jsonl")[::3]  # 616 real texts, 147 relevant
    report = evaluate_examples(classifier, sample)
    # The model CI trains scores about 0.79 category and 0.82 relevance macro-F1 (blend) on the
    # whole real split (`triage eval`); a third of it gets some slack.
    assert report["category"]["macro_f1"] >= 0.70, report["category"]["macro_f1"]
    assert report["relevance"]["macro_f1"] >= 0.75, report["relevance"]["macro_f1"]

    predictions = classifier.predict([text for text, _ in NEW_POSTS] + NOT_RELEVANT)
    right = sum(p.category == c for p, (_, c) in zip(predictions, NEW_POSTS, strict=False))
    assert right >= len(NEW_POSTS) - 2, [p.category for p in predictions]
    # One miss is allowed, as for the category: the model CI trains differs a little with the
    # CPU's kernels (AMX, AVX-512 or AVX2), and one of these posts can land either side of
    # the dismiss threshold (the education post scored 0.48 against 0.50 on an Intel AMX CPU).
    missed = [text for (text, _), p in zip(NEW_POSTS, predictions, strict=False) if not p.relevant]
    assert len(missed) <= 1, missed
    assert not any(p.relevant for p in predictions[len(NEW_POSTS) :])
    for prediction in predictions:
        assert prediction.model_version == MODEL_DIR.name
    # The transformer read the posts found relevant (their embedding clusters them); a post
    # the TF-IDF model alone dismisses (the one miss allowed above, too) may skip it and
    # then has none.
    for prediction in predictions:
        if prediction.relevant:
            assert np.linalg.norm(prediction.embedding) == pytest.approx(1.0, abs=1e-4)
    assert all(
        p.embedding is None or np.linalg.norm(p.embedding) == pytest.approx(1.0, abs=1e-4)
        for p in predictions
    )
