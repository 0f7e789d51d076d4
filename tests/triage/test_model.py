"""Triage classifier: metrics maths, vocabulary trimming, a tiny train -> save -> load ->
predict round trip, the eval CLI, the TF-IDF fallback. No database, no real model."""

import json
import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from transformers import BertConfig, BertModel

from app.core.vocabulary import CATEGORIES
from app.triage.cli import triage_cli
from app.triage.encoder.q4format import Vocabulary
from app.triage.encoder.tokenizer import build_tokenizer
from app.triage.model import evaluate, fallback, inference, store
from app.triage.model.labels import (
    SENTIMENTS,
    DatasetError,
    Example,
    load_examples,
    parse_example,
)
from app.triage.model.loop import TrainSettings
from app.triage.model.metrics import (
    binary_report,
    classification_report,
    confusion_matrix,
    format_report,
)
from app.triage.model.preprocess import augment, has_diacritics, prepare_text, strip_diacritics
from app.triage.model.train import run_training
from app.triage.model.vocab import keep_piece, trim_tokenizer

# --- a tiny labelled dataset -------------------------------------------------------

KEYWORDS = {
    "flooding": "ngập nước cống",
    "traffic": "kẹt xe tai nạn",
    "environment": "rác thải hôi",
    "urban_order": "lấn chiếm vỉa hè",
    "security": "trộm cướp móc túi",
    "infrastructure": "ổ gà đèn đường",
    "administrative": "hồ sơ giấy tờ",
    "health": "bệnh viện sốt xuất huyết",
    "education": "trường học phí",
    "other": "góp ý thành phố",
}
IRRELEVANT = ["khuyến mãi giảm giá sốc", "bóng đá tối nay", "bán nhà giá rẻ", "chào buổi sáng"]


def tiny_rows(copies: int) -> list[dict]:
    rows = []
    for n in range(copies):
        for index, (category, words) in enumerate(KEYWORDS.items()):
            text = f"{words} ở Q{index + 1} lần {n}" if n % 2 else f"{words} quá trời ko ai lo {n}"
            sentiment = SENTIMENTS[(index + n) % 3]
            rows.append({"id": f"{category}-{n}", "text": text, "relevant": True,
                         "category": category, "sentiment": sentiment, "priority": "P3"})  # fmt: skip
        for index, text in enumerate(IRRELEVANT):
            rows.append({"id": f"x-{n}-{index}", "text": f"{text} {n}", "relevant": False,
                         "category": None, "sentiment": SENTIMENTS[index % 3], "priority": None})  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    for split, copies in (("train", 4), ("dev", 1), ("test", 1)):
        with (folder / f"{split}.jsonl").open("w", encoding="utf-8") as handle:
            for row in tiny_rows(copies):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return folder


# --- a tiny random encoder and its tokenizer ---------------------------------------


def tiny_base(data_dir):
    """A word-level unigram tokenizer over the tiny dataset and a 2-layer random BERT."""
    words = set()
    for split in ("train", "dev", "test"):
        for example in load_examples(data_dir / f"{split}.jsonl"):
            for text in (example.text, prepare_text(example.text), "query:"):
                words.update(text.split())
                words.update(strip_diacritics(text).split())
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    characters = sorted({char for word in words for char in word})
    pieces = specials + ["▁"] + characters + sorted("▁" + word for word in words) + ["▁Привет"]
    scores = (
        [0.0] * 4 + [-2.0] + [-8.0] * len(characters) + [-3.0] * (len(pieces) - 5 - len(characters))
    )
    vocabulary = Vocabulary(
        pieces, scores, bos_id=0, eos_id=2, pad_id=1, unk_id=3, normalization={}
    )
    tokenizer = build_tokenizer(vocabulary, max_length=64)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(pieces), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, pad_token_id=1,
    )  # fmt: skip
    return tokenizer, BertModel(config, add_pooling_layer=False).eval()


TINY_SETTINGS = dict(
    epochs=2, layers=2, trainable_layers=1, batch_size=16, max_length=48, warmup_fraction=0.2
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_dir):
    """One tiny training run: (root, version dir, log lines)."""
    root = tmp_path_factory.mktemp("models")
    lines = []
    version_dir = run_training(
        data_dir, root, TrainSettings(seed=3, lexical_weight=0.5, **TINY_SETTINGS), device="cpu",
        progress=lines.append, base=tiny_base(data_dir),
    )  # fmt: skip
    return root, version_dir, lines


# --- metrics --------------------------------------------------------------------


def test_confusion_matrix_and_per_class_figures_by_hand():
    truth = ["a", "a", "b", "b", "c"]
    guess = ["a", "b", "b", "b", "a"]
    assert confusion_matrix(truth, guess, ["a", "b", "c"]).tolist() == [
        [1, 1, 0],
        [0, 2, 0],
        [1, 0, 0],
    ]
    report = classification_report(truth, guess, ["a", "b", "c"])
    a, b, c = (report["per_class"][name] for name in "abc")
    # a: 1 of 2 predicted right, 1 of 2 found; b: 2 of 3 predicted, 2 of 2 found; c: none.
    assert (a["precision"], a["recall"], a["f1"], a["support"]) == (0.5, 0.5, 0.5, 2)
    assert b["precision"] == pytest.approx(2 / 3) and b["recall"] == 1.0
    assert b["f1"] == pytest.approx(0.8)  # 2 * (2/3 * 1) / (2/3 + 1)
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (0.0, 0.0, 0.0, 1)
    assert report["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert report["macro_precision"] == pytest.approx((0.5 + 2 / 3) / 3)
    assert report["accuracy"] == pytest.approx(3 / 5)
    assert report["support"] == 5


def test_macro_average_leaves_out_classes_absent_from_truth_and_predictions():
    report = classification_report(["a", "b"], ["a", "a"], ["a", "b", "c"])
    # a: P 1/2, R 1, F1 2/3; b: 0; c never occurs and is not averaged.
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0) / 2)
    assert report["per_class"]["c"]["support"] == 0


def test_binary_report_scores_the_positive_class():
    report = binary_report(
        [True, True, True, False, False], [True, True, False, True, False], ("no", "yes")
    )
    assert report["confusion_matrix"] == [[1, 1], [1, 2]]
    assert report["precision"] == pytest.approx(2 / 3)
    assert report["recall"] == pytest.approx(2 / 3)
    assert report["f1"] == pytest.approx(2 / 3)


def test_metrics_reject_unknown_labels_and_length_mismatch():
    with pytest.raises(ValueError):
        confusion_matrix(["a"], ["z"], ["a", "b"])
    with pytest.raises(ValueError):
        confusion_matrix(["a", "b"], ["a"], ["a", "b"])


def test_format_report_has_rows_averages_and_matrix():
    text = format_report(classification_report(["a", "b"], ["a", "b"], ["a", "b"]), "demo")
    assert text.splitlines()[0] == "== demo =="
    assert "macro avg" in text and "accuracy 1.000" in text
    assert "confusion matrix (rows: true, columns: predicted)" in text


# --- data, text, vocabulary ------------------------------------------------------


def test_parse_example_validates_labels():
    example = parse_example(
        {"text": "ngập", "relevant": True, "category": "flooding", "sentiment": "negative"}
    )
    assert example.category == "flooding"
    not_relevant = parse_example(
        {"text": "bóng đá", "relevant": False, "category": "traffic", "sentiment": "neutral"}
    )
    assert not_relevant.category is None
    with pytest.raises(DatasetError):
        parse_example(
            {"text": "x", "relevant": True, "category": "weather", "sentiment": "neutral"}
        )
    with pytest.raises(DatasetError):
        parse_example({"text": "x", "relevant": False, "sentiment": "angry"})


def test_text_forms_and_diacritics():
    assert prepare_text("Q7 ko có nước") == "quận 7 không có nước"
    assert prepare_text("  a  b ", "raw") == "  a  b "
    assert strip_diacritics("Đường Nguyễn Hữu Cảnh ngập") == "Duong Nguyen Huu Canh ngap"
    assert has_diacritics("ngập") and not has_diacritics("ngap 😡")
    with pytest.raises(ValueError):
        prepare_text("x", "shouting")


def test_keep_piece_accepts_vietnamese_english_and_emoji_only():
    assert all(keep_piece(piece) for piece in ("▁ngập", "▁Q7", "đường", "😡", "!", "▁❤️"))
    assert not any(keep_piece(piece) for piece in ("▁Привет", "中文", "ไทย"))


def test_trim_tokenizer_keeps_ids_for_kept_text(data_dir):
    tokenizer, _ = tiny_base(data_dir)
    trimmed = trim_tokenizer(tokenizer)
    assert len(trimmed.old_ids) == len(tokenizer) - 1  # only "▁Привет" goes
    text = "query: ngập nước cống ở quận 1"
    old = tokenizer(text)["input_ids"]
    new = trimmed.tokenizer(text)["input_ids"]
    assert [trimmed.old_ids[i] for i in new] == old
    assert trimmed.tokenizer.pad_token_id == tokenizer.pad_token_id
    assert trimmed.tokenizer("Привет")["input_ids"][1:-1] != tokenizer("Привет")["input_ids"][1:-1]


# --- train -> save -> load -> predict ----------------------------------------------


def test_training_writes_a_versioned_model_and_points_current_at_it(trained):
    root, version_dir, lines = trained
    assert version_dir.parent == root
    assert version_dir.name.startswith("e5s-heads-")
    assert (root / store.POINTER_NAME).read_text().strip() == version_dir.name
    assert store.resolve_model_dir(root) == version_dir
    for name in ("config.json", "model.safetensors", "tokenizer.json", "training.json"):
        assert (version_dir / name).is_file()
    config = json.loads((version_dir / "config.json").read_text())
    assert config["category_labels"] == list(CATEGORIES)
    assert config["sentiment_labels"] == list(SENTIMENTS)
    assert config["relevance_labels"] == ["not_relevant", "relevant"]
    assert config["frozen_layers"] == 1 and config["num_hidden_layers"] == 2
    training = json.loads((version_dir / "training.json").read_text())
    assert training["settings"]["seed"] == 3 and len(training["history"]) == 2
    assert training["data"]["counts"] == {"train": 56, "dev": 14, "test": 14}
    assert version_dir.name.endswith(training["data"]["sha256"][:8])
    metrics = json.loads((version_dir / "metrics.json").read_text())
    for split in ("dev", "test"):
        assert 0.0 <= metrics[split]["category"]["macro_f1"] <= 1.0
        assert metrics[split]["relevance"]["labels"] == ["not_relevant", "relevant"]
        assert len(metrics[split]["category"]["confusion_matrix"]) == len(CATEGORIES)
    assert any("epoch 2/2" in line for line in lines)
    assert any(line.startswith("[cache") for line in lines)


def test_loaded_model_predicts_with_label_maps_and_normalised_embeddings(trained):
    root, version_dir, _ = trained
    inference.clear_cache()
    classifier = inference.load_classifier(root)
    assert classifier is inference.load_classifier(root)  # loaded once
    assert classifier.kind == "transformer" and classifier.version == version_dir.name
    texts = ["ngập nước cống ở Q7 😡", "khuyen mai giam gia soc", "x " * 200, ""]
    predictions = classifier.predict(texts, batch_size=2)
    assert len(predictions) == len(texts)
    for prediction in predictions:
        assert prediction.model_version == version_dir.name
        assert prediction.category in CATEGORIES and prediction.sentiment in SENTIMENTS
        assert 0.5 <= prediction.relevance_confidence <= 1.0
        assert sum(prediction.category_scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert prediction.category_confidence == max(prediction.category_scores.values())
        assert prediction.embedding.shape == (32,)
        assert math.isclose(float(np.linalg.norm(prediction.embedding)), 1.0, abs_tol=1e-5)
    # Batching and order do not change the answer.
    alone = classifier.predict([texts[1]])[0]
    assert alone.category == predictions[1].category
    # int8 dynamic quantisation scales activations per batch: tiny differences only.
    assert np.allclose(alone.embedding, predictions[1].embedding, atol=2e-3)
    assert classifier.predict([]) == []


def test_pointer_to_a_missing_version_falls_back_to_the_newest(trained, tmp_path):
    root, version_dir, _ = trained
    (tmp_path / "current").write_text("gone\n")
    assert store.resolve_model_dir(tmp_path) is None
    assert store.resolve_model_dir(version_dir) == version_dir


def test_eval_cli_prints_tables_and_json(trained, data_dir):
    root, version_dir, _ = trained
    runner = CliRunner()
    result = runner.invoke(
        triage_cli, ["eval", str(data_dir / "dev.jsonl"), "--model", str(version_dir)]
    )
    assert result.exit_code == 0, result.output
    assert f"model {version_dir.name}" in result.output
    for title in ("== category (posts labelled relevant) ==", "== relevance ==", "== sentiment =="):
        assert title in result.output
    assert "macro avg" in result.output and "confusion matrix" in result.output

    result = runner.invoke(
        triage_cli, ["eval", str(data_dir / "dev.jsonl"), "--model", str(root), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["model_version"] == version_dir.name and report["examples"] == 14
    assert set(report["category"]["per_class"]) == set(CATEGORIES)
    assert {"precision", "recall", "f1", "support"} <= set(report["category"]["per_class"]["other"])
    assert report["relevance"]["confusion_matrix"][0][0] >= 0


def test_eval_cli_can_score_the_transformer_without_its_lexical_blend(trained, data_dir):
    root, version_dir, _ = trained
    assert (version_dir / inference.LEXICAL_FILE).is_file()
    args = ["eval", str(data_dir / "test.jsonl"), "--model", str(root), "--json"]
    blended = json.loads(CliRunner().invoke(triage_cli, args).stdout)
    alone = json.loads(CliRunner().invoke(triage_cli, [*args, "--lexical-weight", "0"]).stdout)
    metrics = json.loads((version_dir / "metrics.json").read_text())
    assert metrics["lexical_weight"] == 0.5
    assert alone["category"] == metrics["test_transformer_only"]["category"]
    assert blended["category"] == metrics["test"]["category"]
    # The process-wide cached classifier keeps its blend.
    assert inference.load_classifier(root).lexical_weight == 0.5


def test_the_transformer_is_skipped_only_for_posts_the_lexical_model_already_dismisses(
    trained, data_dir
):
    root, version_dir, _ = trained
    classifier = inference.TransformerClassifier.load(version_dir)
    texts = [
        json.loads(line)["text"] for line in (data_dir / "test.jsonl").read_text().splitlines()
    ]
    texts += ["Giá vàng hôm nay tăng nhẹ", "Đội tuyển thắng 3-0 tối qua"]
    # Relevance mostly from the lexical model, as `triage train` often chooses on real data.
    classifier.model.config.lexical_weights = {"relevance": 0.8, "category": 0.5, "sentiment": 0.5}
    weight = classifier.head_weights[0]
    p_lexical = classifier.lexical.probabilities(texts)[0][:, 1]
    # A review band that starts between the posts' bounds: some are settled, some not.
    bounds = np.sort((1 - weight) + weight * p_lexical)
    assert bounds[0] < 0.5
    dismiss = float(min(bounds[np.searchsorted(bounds, 0.5) // 2 + 1], 0.5))
    classifier.model.config.thresholds = {"dismiss_below": dismiss}
    settled = classifier.settled_by_lexical(p_lexical)
    assert 0 < settled.sum() < len(texts)

    classifier.cascade = False
    full = classifier.predict(texts)
    classifier.cascade = True
    fast = classifier.predict(texts)

    for i, (slow, quick) in enumerate(zip(full, fast, strict=True)):
        if settled[i]:  # dismissed either way; no embedding, since no transformer ran
            assert quick.embedding is None and not quick.relevant
            assert slow.relevance_probability < dismiss and quick.relevance_probability < dismiss
        else:
            assert quick.embedding is not None
            assert quick.relevance_probability == pytest.approx(
                slow.relevance_probability, abs=0.05
            )
    # Without a chosen review band there is nothing to skip.
    classifier.model.config.thresholds = None
    assert not classifier.settled_by_lexical(p_lexical).any()


def test_training_chooses_each_heads_lexical_weight_on_dev_when_not_given(data_dir, tmp_path):
    lines = []
    version_dir = run_training(
        data_dir, tmp_path, TrainSettings(seed=5, **TINY_SETTINGS), device="cpu",
        progress=lines.append, base=tiny_base(data_dir),
    )  # fmt: skip
    metrics = json.loads((version_dir / "metrics.json").read_text())
    search = metrics["lexical_weight_search_on_dev"]
    assert [float(weight) for weight in search] == list(evaluate.LEXICAL_WEIGHTS)
    chosen = metrics["lexical_weights"]
    assert set(chosen) == {"relevance", "category", "sentiment"}
    for head, figure in (("relevance", "relevance_f1"), ("category", "category_macro_f1")):
        curve = evaluate._smoothed([f[figure] for f in search.values()])
        assert curve[evaluate.LEXICAL_WEIGHTS.index(chosen[head])] == max(curve)
    config = json.loads((version_dir / "config.json").read_text())
    assert config["lexical_weights"] == chosen
    assert config["lexical_weight"] == chosen["category"] == metrics["lexical_weight"]
    assert (version_dir / inference.LEXICAL_FILE).is_file() == (max(chosen.values()) > 0)
    assert any(line.startswith("[blend") and "chosen on dev" in line for line in lines)
    # The figures recorded for the chosen blend are what `triage eval` gets from the model.
    inference.clear_cache()
    args = ["eval", str(data_dir / "test.jsonl"), "--model", str(version_dir), "--json"]
    served = json.loads(CliRunner().invoke(triage_cli, args).stdout)
    for head in ("relevance", "category", "sentiment"):
        assert served[head] == metrics["test"][head], head
    classifier = inference.load_classifier(version_dir)
    assert classifier.head_weights == tuple(
        chosen[h] for h in ("relevance", "category", "sentiment")
    )


def _onehot(columns: int, rows: list[int]) -> np.ndarray:
    out = np.full((len(rows), columns), 0.1 / columns)
    out[range(len(rows)), rows] += 0.9
    return out


class _Stub:
    version, _labels = "stub", (list(CATEGORIES), list(SENTIMENTS))


def test_choose_lexical_weight_picks_each_heads_better_blend_on_dev():
    dev = [
        parse_example({"text": f"t{i}", "relevant": i % 3 > 0, "category": CATEGORIES[i % 2],
                       "sentiment": SENTIMENTS[i % 3]})
        for i in range(12)
    ]  # fmt: skip
    gold_relevance = [int(e.relevant) for e in dev]
    gold_category = [CATEGORIES.index(e.category) if e.relevant else 0 for e in dev]
    gold_sentiment = [SENTIMENTS.index(e.sentiment) for e in dev]
    flip = [1 - g for g in gold_relevance]
    # The transformer: relevance right, category wrong; the lexical model: the reverse.
    heads = evaluate.HeadProbabilities(
        transformer=(_onehot(2, gold_relevance), _onehot(10, [(c + 1) % 2 for c in gold_category]),
                     _onehot(3, gold_sentiment)),
        lexical=(_onehot(2, flip), _onehot(10, gold_category), _onehot(3, gold_sentiment)),
        embeddings=[None] * 12,
    )  # fmt: skip
    weights, search = evaluate.choose_lexical_weight(_Stub(), heads, dev)
    # Relevance is right up to 0.4 (0.3 after smoothing): the largest of the ties, so that
    # the lexical model can dismiss posts without the transformer.
    assert weights["relevance"] == 0.3
    assert weights["category"] == 0.7  # 0.6 is the first right weight; 0.7 has right neighbours
    assert weights["sentiment"] == 0.0  # both agree: the tie goes to the smaller weight
    assert search["0.0"]["category_macro_f1"] == 0.0 and search["0.8"]["category_macro_f1"] == 1.0
    report = evaluate.blended_report(_Stub(), heads, dev, (0.3, 0.7, 0.0))
    assert report["relevance"]["f1"] == 1.0 and report["category"]["macro_f1"] == 1.0


def test_smoothing_averages_each_point_with_its_neighbours():
    assert evaluate._smoothed([0.0, 3.0, 0.0, 3.0]) == [1.5, 1.0, 2.0, 1.5]


def test_eval_cli_rejects_a_bad_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "relevant": "yes"}\n')
    result = CliRunner().invoke(triage_cli, ["eval", str(bad)])
    assert result.exit_code != 0 and "relevant" in result.output


# --- fallback ---------------------------------------------------------------------


_ACCENTED_RELEVANT = [
    ("Đường Nguyễn Hữu Cảnh ngập sâu sau cơn mưa chiều nay", "flooding"),
    ("Mưa lớn, nước ngập tới yên xe ở phường Thảo Điền", "flooding"),
    ("Kẹt xe kéo dài trên xa lộ Hà Nội suốt hai giờ", "traffic"),
    ("Ùn tắc nghiêm trọng ở vòng xoay Hàng Xanh giờ tan tầm", "traffic"),
    ("Rác thải chất đống trong hẻm, bốc mùi hôi thối cả tuần", "environment"),
    ("Khói bụi từ công trình làm ô nhiễm cả khu phố", "environment"),
]
_ACCENTED_OTHER = [
    "Hôm nay trời đẹp, cả nhà đi dạo công viên",
    "Chúc mừng sinh nhật bạn thân của tôi",
    "Trận bóng đá tối qua thật hấp dẫn",
    "Món phở này ngon tuyệt, mọi người nên thử",
    "Ca sĩ nổi tiếng ra mắt album mới",
    "Cuối tuần này đi xem phim với người yêu",
]


def test_a_post_typed_without_diacritics_scores_like_the_same_post_with_them():
    """The lexical model learns every training post also without diacritics, so its
    word-with-diacritics features do not make "duong ngap sau" a weaker post."""
    examples = [
        Example(text, True, category, "negative", f"r{i}-{copy}")
        for copy in range(3)
        for i, (text, category) in enumerate(_ACCENTED_RELEVANT)
    ] + [
        Example(text, False, None, "neutral", f"o{i}-{copy}")
        for copy in range(3)
        for i, text in enumerate(_ACCENTED_OTHER)
    ]
    classifier = fallback.FallbackClassifier.train(examples, "test")

    texts = [text for text, _ in _ACCENTED_RELEVANT] + _ACCENTED_OTHER
    with_marks = classifier.probabilities(texts)[0][:, 1]
    without = classifier.probabilities([strip_diacritics(text) for text in texts])[0][:, 1]
    assert np.abs(with_marks - without).max() < 0.02
    assert (without[: len(_ACCENTED_RELEVANT)] > 0.9).all()
    assert (without[len(_ACCENTED_RELEVANT) :] < 0.1).all()


def test_augmented_copies_keep_their_provenance():
    handwritten = Example(
        "Ngập nặng ở Q7", True, "flooding", "negative", "h1", {"source": {"name": "handwritten"}}
    )
    plain = Example("mua lon", False, None, "neutral", "p1")
    copies = augment([handwritten, plain])[2:]
    assert [(c.text, c.id, c.extra) for c in copies] == [
        ("Ngap nang o Q7", "h1#nodiac", {"source": {"name": "handwritten"}})
    ]
    assert fallback.example_weight(copies[0]) == fallback.HANDWRITTEN_WEIGHTS["category"]
    assert (
        fallback.example_weight(copies[0], "relevance") == fallback.HANDWRITTEN_WEIGHTS["relevance"]
    )


def test_fallback_trains_caches_and_serves_when_no_model(data_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(fallback, "default_data_dir", lambda: data_dir)
    monkeypatch.setattr(fallback, "default_cache_dir", lambda: tmp_path / "fallback")
    inference.clear_cache()
    classifier = inference.load_classifier(tmp_path / "no-model-here")
    assert classifier.kind == "fallback"
    assert classifier.version.startswith("fallback-tfidf-")
    assert (tmp_path / "fallback" / fallback.CACHE_NAME).is_file()
    predictions = classifier.predict(["ngập nước cống quá trời", "bong da toi nay"])
    assert [p.model_version for p in predictions] == [classifier.version] * 2
    assert all(p.embedding is None for p in predictions)
    assert predictions[0].category == "flooding" and predictions[0].relevant
    assert sum(predictions[0].category_scores.values()) == pytest.approx(1.0)
    assert set(predictions[0].category_scores) == set(CATEGORIES)
    reloaded = fallback.load_fallback(data_dir, tmp_path / "fallback")
    assert reloaded.version == classifier.version
    inference.clear_cache()


def test_the_relevance_model_does_not_learn_what_the_city_scope_rule_settles():
    """Posts about Hà Nội are dismissed by the scope rule whatever the model says; learnt
    as negatives they would teach it that "ngập" is not a city problem."""
    from app.triage.model.labels import Example

    def example(text, relevant, number, scope="local"):
        category = ("traffic" if "xe" in text else "flooding") if relevant else None
        sentiment = "negative" if relevant else "neutral"
        return Example(text, relevant, category, sentiment, f"e{number}", {"scope": scope})

    city = [
        "Ngập nặng ở quận 7, nước vào nhà", "Đường Huỳnh Tấn Phát ngập sâu sau mưa",
        "Hẻm nhà tôi ở Bình Thạnh ngập tới gối", "Triều cường làm ngập đường ở Thủ Đức",
        "Kẹt xe kinh khủng ở ngã tư Hàng Xanh", "Hai xe máy tông nhau trên đường Điện Biên Phủ",
    ]  # fmt: skip
    chat = ["Chúc mừng sinh nhật bạn nhé", "Bán xe cũ giá tốt", "Hôm nay trời đẹp quá",
            "Ai đi cà phê không", "Phim này hay lắm", "Mua áo ở đâu đẹp"]  # fmt: skip
    streets = ("Hàng Bài", "Tràng Thi", "Kim Mã", "Láng Hạ", "Nguyễn Trãi", "Giải Phóng",
               "Lý Thường Kiệt", "Thái Hà", "Chùa Bộc", "Phạm Văn Đồng", "Trần Duy Hưng")  # fmt: skip
    hanoi = [f"Hà Nội: phố {street} ngập sâu sau mưa lớn" for street in streets]
    examples = (
        [example(t, True, i) for i, t in enumerate(city)]
        + [example(t, False, 100 + i) for i, t in enumerate(chat)]
        + [example(t, False, 200 + i) for i, t in enumerate(hanoi)]
    )
    assert all(fallback.settled_by_scope(e) for e in examples[len(city) + len(chat) :])
    assert not any(fallback.settled_by_scope(e) for e in examples[: len(city) + len(chat)])
    assert not fallback.settled_by_scope(example("Tin thể thao hôm nay", False, 300, "local"))
    assert fallback.settled_by_scope(example("Tin thể thao hôm nay", False, 301, "national"))

    classifier = fallback.FallbackClassifier.train(examples, "t")
    relevance, _, _ = classifier.probabilities(["Phố nhà tôi ngập sâu"])
    assert relevance[0, 1] > 0.5  # 0.47 when the posts about Hà Nội are learnt too


def test_the_transformer_leaves_settled_posts_out_of_its_relevance_lessons():
    import torch

    from app.triage.model.labels import Example
    from app.triage.model.loop import Encoded, ignore_settled_relevance

    def encoded(texts_and_labels, scope="national"):
        examples = [
            Example(text, relevant, "flooding" if relevant else None, "neutral", f"x{i}",
                    {"scope": scope})
            for i, (text, relevant) in enumerate(texts_and_labels)
        ]  # fmt: skip
        relevance = torch.tensor([int(e.relevant) for e in examples])
        zeros = torch.zeros(len(examples), dtype=torch.long)
        return Encoded([[1]] * len(examples), relevance, zeros, zeros, examples)

    data = encoded([
        ("Ngập nặng ở quận 7", True),
        ("Hà Nội: phố Hàng Bài ngập sâu", False),  # another province: settled
        ("Giá vàng hôm nay tăng mạnh", False),  # national, no place in the city: settled
        ("Quận 1 tổ chức lễ hội đường sách", False),  # in the city, not a problem: learnt
    ])  # fmt: skip
    assert ignore_settled_relevance(data) == 2
    assert data.relevance.tolist() == [1, -100, -100, 0]

    # Every negative settled: they are learnt after all, or the model would see none.
    data = encoded([("Ngập nặng ở quận 7", True), ("Hà Nội: phố Hàng Bài ngập sâu", False)])
    assert ignore_settled_relevance(data) == 0
    assert data.relevance.tolist() == [1, 0]


def test_training_blends_the_tfidf_model_fitted_just_before_instead_of_fitting_it_again(
    data_dir, tmp_path
):
    import joblib

    fitted = fallback.train_fallback(data_dir, tmp_path / "fallback")
    lines = []
    version_dir = run_training(
        data_dir, tmp_path / "models", TrainSettings(seed=3, lexical_weight=0.5, **TINY_SETTINGS),
        device="cpu", progress=lines.append, base=tiny_base(data_dir), trained_lexical=fitted,
    )  # fmt: skip
    assert not any("training the TF-IDF model" in line for line in lines)
    assert any("fitted on the same split just before" in line for line in lines)
    blended = joblib.load(version_dir / inference.LEXICAL_FILE)
    assert blended.version == f"lexical-{version_dir.name}"
    assert fitted.version.startswith(fallback.VERSION_PREFIX)  # the fallback keeps its name
    # The same as fitting it again on the model's training split.
    again = fallback.FallbackClassifier.train(
        load_examples(data_dir / "train.jsonl"), "again", seed=3
    )
    texts = [json.loads(line)["text"] for line in (data_dir / "dev.jsonl").read_text().splitlines()]
    for mine, theirs in zip(blended.probabilities(texts), again.probabilities(texts), strict=True):
        np.testing.assert_allclose(mine, theirs, atol=1e-6)
