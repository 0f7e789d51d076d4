"""The classifier's fast CPU paths: int8 dynamic quantisation plus bfloat16 for the layers int8
would spoil where bfloat16 is native, and all int8 with smoothed feed-forward outputs where it is
not (AVX2). A small random TriageModel built here; no trained model, no database."""

import copy

import pytest
import torch
from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

from app.triage.model import inference
from app.triage.model.inference import (
    BFloat16Linear,
    SmoothedInt8Linear,
    TransformerClassifier,
    activation_ranges,
    feed_forward_outputs,
    quantization_plan,
    quantize_encoder,
    read_calibration,
    write_calibration,
)
from app.triage.model.modeling import TriageConfig, TriageModel


def small_model(quantization: str, outliers: bool = False) -> TriageModel:
    torch.manual_seed(7)
    config = TriageConfig(
        vocab_size=300, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
        intermediate_size=256, max_position_embeddings=64, pad_token_id=1,
        frozen_layers=2, quantization=quantization,
    )  # fmt: skip
    model = TriageModel(config).eval()
    with torch.no_grad():  # confident heads, as after training
        for head in (model.relevance_head, model.category_head, model.sentiment_head):
            head.weight.normal_(0.0, 2.0)
        if outliers:  # like e5's: one feed-forward channel per layer far above the others
            for index, layer in enumerate(model.bert.encoder.layer):
                layer.intermediate.dense.bias[17 + index] = 40.0
    return model


class CharTokenizer:
    """Enough of a tokenizer for `activation_ranges`: one id per character, in the small vocabulary."""

    def __call__(self, texts, truncation=True, max_length=128):
        return {
            "input_ids": [
                [0] + [5 + ord(c) % 290 for c in t][: max_length - 2] + [2] for t in texts
            ]
        }


POSTS = [
    "Q7 ngập quá trời, nước lên tới yên xe",
    "kẹt xe cứng ngắc ở cầu Kênh Tẻ từ 5h chiều",
    "rác đổ trộm đầy hẻm, bốc mùi mấy ngày nay",
    "hôm nay trời đẹp, cả nhà đi cà phê",
    "cúp điện cả khu phường Tân Định từ sáng",
    "The sewer overflowed again, the whole block smells",
] * 4


def ranges_of(model: TriageModel) -> dict[str, torch.Tensor]:
    return activation_ranges(model, CharTokenizer(), POSTS)


def batch(rows: int = 48, seed: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(4, 40, (rows,), generator=generator)
    ids = torch.randint(5, 300, (rows, int(lengths.max())), generator=generator)
    mask = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).long()
    return ids.masked_fill(mask == 0, 1), mask


def kinds(model: TriageModel) -> dict[str, type]:
    return {
        name: type(module)
        for name, module in model.bert.encoder.named_modules()
        if isinstance(module, (torch.nn.Linear, DynamicInt8Linear, BFloat16Linear))
    }


@pytest.fixture
def native_bf16(monkeypatch):
    monkeypatch.setattr(inference, "cpu_has_bf16", lambda: True)


def test_int8_bf16_plan_puts_every_encoder_linear_in_int8_or_bfloat16(native_bf16):
    model = small_model("int8-bf16")
    int8 = quantization_plan(model)
    assert quantize_encoder(model) is True
    found = kinds(model)
    assert {name for name, kind in found.items() if kind is DynamicInt8Linear} == int8
    bf16 = {name for name, kind in found.items() if kind is BFloat16Linear}
    # The feed-forward output projection of each layer, whose GELU outliers defeat int8.
    assert bf16 == {f"layer.{i}.output.dense" for i in range(3)}
    assert torch.nn.Linear not in found.values()
    # The heads stay in float32.
    assert type(model.category_head) is torch.nn.Linear


def test_int8_dynamic_mode_keeps_the_old_float32_output_projections(native_bf16):
    model = small_model("int8-dynamic")
    assert quantize_encoder(model) is True
    found = kinds(model)
    assert BFloat16Linear not in found.values()
    assert found["layer.0.output.dense"] is torch.nn.Linear


@pytest.fixture
def no_bf16(monkeypatch):
    monkeypatch.setattr(inference, "cpu_has_bf16", lambda: False)


def test_bfloat16_is_skipped_where_the_cpu_would_emulate_it(no_bf16):
    model = small_model("int8-bf16")
    assert quantize_encoder(model) is True  # no calibration: float32 feed-forward outputs
    assert kinds(model)["layer.1.output.dense"] is torch.nn.Linear
    assert model.serving_plan == "int8+float32"


def test_without_native_bfloat16_every_encoder_linear_runs_in_int8(no_bf16):
    model = small_model("int8-bf16", outliers=True)
    ranges = ranges_of(model)
    assert (
        set(ranges)
        == set(feed_forward_outputs(model))
        == {f"layer.{i}.output.dense" for i in range(3)}
    )
    assert int(ranges["layer.1.output.dense"].argmax()) == 18  # the outlier channel
    int8 = quantization_plan(model)
    assert quantize_encoder(model, ranges) is True
    assert model.serving_plan == "int8-smoothed"
    found = kinds(model)
    assert torch.nn.Linear not in found.values()
    assert {name for name, kind in found.items() if kind is DynamicInt8Linear} == (
        int8 | {f"layer.{i}.output.dense.quantized" for i in range(3)}
    )
    for i in range(3):
        assert isinstance(
            model.bert.encoder.get_submodule(f"layer.{i}.output.dense"), SmoothedInt8Linear
        )


def test_native_bfloat16_keeps_the_bfloat16_plan_even_with_calibration(native_bf16):
    model = small_model("int8-bf16")
    assert quantize_encoder(model, ranges_of(model)) is True
    assert model.serving_plan == "int8+bf16"
    assert kinds(model)["layer.0.output.dense"] is BFloat16Linear


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_smoothing_keeps_the_product_and_beats_plain_int8_on_outliers():
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    torch.manual_seed(0)
    linear = torch.nn.Sequential(torch.nn.Linear(256, 64))
    x = torch.randn(4, 20, 256).abs()
    x[..., 5] = 60.0  # one channel far above the others, as after GELU
    plain = quantize_dynamic(copy.deepcopy(linear), {"0": default_dynamic_qconfig})
    scales = inference.smoothing_scales(x.abs().amax(dim=(0, 1)), linear[0].weight)
    smoothed_float = copy.deepcopy(linear)
    with torch.no_grad():
        smoothed_float[0].weight.mul_(scales[None, :])
    quantized = quantize_dynamic(smoothed_float, {"0": default_dynamic_qconfig})
    smoothed = SmoothedInt8Linear(quantized[0], scales)
    with torch.inference_mode():
        want = linear(x)
        error_plain = (plain(x) - want).abs().mean()
        error_smoothed = (smoothed(x) - want).abs().mean()
    assert error_smoothed < error_plain / 2
    assert torch.allclose(smoothed(x), want, atol=0.1 * want.abs().mean())


def test_cpu_without_avx512_or_told_so_has_no_bf16(monkeypatch):
    monkeypatch.setenv(inference.NO_BF16_ENV, "1")
    assert inference.cpu_has_bf16() is False
    monkeypatch.delenv(inference.NO_BF16_ENV)
    monkeypatch.setattr(inference.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    assert inference.cpu_capability() == "AVX2"
    assert inference.cpu_has_bf16() is False


def test_calibration_is_stored_with_the_model(tmp_path):
    model = small_model("int8-bf16", outliers=True)
    assert read_calibration(tmp_path) is None
    write_calibration(tmp_path, model, CharTokenizer(), POSTS)
    stored = read_calibration(tmp_path)
    for name, value in ranges_of(model).items():
        assert torch.allclose(stored[name], value, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("bf16", "path"),
    [
        (True, "int8 fbgemm, feed-forward outputs bfloat16"),
        (False, "feed-forward outputs smoothed"),
    ],
)
def test_the_inference_path_is_reported(monkeypatch, bf16, path):
    monkeypatch.setattr(inference, "cpu_has_bf16", lambda: bf16)
    model = small_model("int8-bf16")
    quantize_encoder(model, ranges_of(model))
    classifier = TransformerClassifier(model, CharTokenizer(), "v1", "cpu", quantized=True)
    described = classifier.inference_path
    assert path in described
    assert ("native bf16" if bf16 else "no bf16") in described
    assert inference.cpu_capability() in described and "threads" in described


def test_no_quantisation_when_the_config_says_none():
    model = small_model("none")
    before = copy.deepcopy(model.state_dict())
    assert quantize_encoder(model) is False
    assert set(kinds(model).values()) == {torch.nn.Linear}
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name])


def test_bfloat16_linear_matches_float32_closely():
    torch.manual_seed(0)
    linear = torch.nn.Linear(256, 64)
    fast = BFloat16Linear(linear)
    x = torch.randn(8, 10, 256) * 3
    assert fast(x).dtype == torch.float32
    assert torch.allclose(fast(x), linear(x), rtol=0.03, atol=0.05)


@pytest.mark.parametrize(
    ("mode", "bf16", "plan"),
    [
        ("int8-dynamic", True, "int8+float32"),
        ("int8-bf16", True, "int8+bf16"),
        ("int8-bf16", False, "int8-smoothed"),  # AVX2: all int8, outliers smoothed
    ],
)
def test_quantised_model_gives_the_float_models_labels(monkeypatch, mode, bf16, plan):
    monkeypatch.setattr(inference, "cpu_has_bf16", lambda: bf16)
    reference = small_model(mode, outliers=True)
    fast = copy.deepcopy(reference)
    assert quantize_encoder(fast, ranges_of(reference))
    assert fast.serving_plan == plan
    ids, mask = batch()
    with torch.inference_mode():
        expected, got = reference(ids, mask), fast(ids, mask)
    for head in ("relevance", "category", "sentiment"):
        want = torch.softmax(getattr(expected, f"{head}_logits"), -1)
        have = torch.softmax(getattr(got, f"{head}_logits"), -1)
        assert torch.allclose(want, have, atol=0.05), head
        top2 = want.topk(2, dim=-1).values
        clear = (top2[:, 0] - top2[:, 1]) > 0.1  # where the float model is not on the fence
        assert clear.sum() >= len(ids) // 2
        assert torch.equal(want.argmax(-1)[clear], have.argmax(-1)[clear]), head
    cosine = torch.nn.functional.cosine_similarity(expected.embedding, got.embedding)
    assert cosine.min() > 0.99


def test_avx512_without_bf16_instructions_has_no_bf16(monkeypatch):
    """oneDNN calls bfloat16 supported on any AVX-512 CPU, where it emulates it slowly."""
    monkeypatch.delenv(inference.NO_BF16_ENV, raising=False)
    monkeypatch.setattr(inference.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: True)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert inference.cpu_has_bf16() is False
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert inference.cpu_has_bf16() is True
