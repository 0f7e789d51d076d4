"""The classifier's fast CPU path: int8 dynamic quantisation plus bfloat16 for the layers int8
would spoil. A small random TriageModel built here; no trained model, no database."""

import copy

import pytest
import torch
from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

from app.triage.model import inference
from app.triage.model.inference import BFloat16Linear, quantization_plan, quantize_encoder
from app.triage.model.modeling import TriageConfig, TriageModel


def small_model(quantization: str) -> TriageModel:
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
    return model


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


def test_bfloat16_is_skipped_where_the_cpu_would_emulate_it(monkeypatch):
    monkeypatch.setattr(inference, "cpu_has_bf16", lambda: False)
    model = small_model("int8-bf16")
    assert quantize_encoder(model) is True
    assert kinds(model)["layer.1.output.dense"] is torch.nn.Linear


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


@pytest.mark.parametrize("mode", ["int8-dynamic", "int8-bf16"])
def test_quantised_model_gives_the_float_models_labels(mode, native_bf16):
    reference = small_model(mode)
    fast = copy.deepcopy(reference)
    assert quantize_encoder(fast)
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
