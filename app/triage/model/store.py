"""Where trained models live: versioned directories and the `current` pointer.

    instance/models/triage/
        e5s-heads-20261128-0830-1a2b3c4d/   one training run (never modified afterwards)
            config.json, model.safetensors  the TriageModel (save_pretrained)
            tokenizer.json, …               its tokenizer
            training.json                   parameters, base encoder + checksum, data, timings
            metrics.json                    dev and test metrics
        current                             text file: the name of the newest version

`current` is a plain text file rather than a symlink so that it survives
copies and archives; it is replaced atomically.
"""

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

POINTER_NAME = "current"
MODEL_PREFIX = "e5s-heads"
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "training.json")


class ModelUnavailable(RuntimeError):
    """Neither a trained model nor the TF-IDF fallback can be loaded (e.g. no training data):
    posts wait, untouched, until one can (`app.triage.tasks`)."""


def instance_dir() -> Path:
    """The instance directory (``SOCIALBEAT_INSTANCE_DIR`` or ``<project>/instance``)."""
    project_root = Path(__file__).resolve().parents[3]
    return Path(os.environ.get("SOCIALBEAT_INSTANCE_DIR", project_root / "instance"))


def default_model_root() -> Path:
    """``<instance>/models/triage``: where `triage train` writes and `load_classifier` reads."""
    return instance_dir() / "models" / "triage"


def version_name(data_sha256: str, now: datetime | None = None, prefix: str = MODEL_PREFIX) -> str:
    """``e5s-heads-YYYYMMDD-HHMM-<first 8 hex of the data checksum>`` (UTC)."""
    now = now or datetime.now(UTC)
    return f"{prefix}-{now:%Y%m%d-%H%M}-{data_sha256[:8]}"


def unique_version_dir(root: Path, name: str) -> Path:
    """``root/name``, or ``root/name-2``, ``-3``… when a run in the same minute exists."""
    candidate, counter = root / name, 2
    while candidate.exists():
        candidate, counter = root / f"{name}-{counter}", counter + 1
    return candidate


def write_json(path: Path, data: dict) -> None:
    """Write `data` as indented UTF-8 JSON, atomically (temporary file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def set_current(root: Path, version_dir: Path) -> None:
    """Point ``root/current`` at `version_dir` (which must be inside `root`), atomically."""
    root = Path(root)
    handle, temporary = tempfile.mkstemp(prefix=f".{POINTER_NAME}-", dir=root)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(Path(version_dir).name + "\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, root / POINTER_NAME)


def is_model_dir(path: Path) -> bool:
    """True when `path` holds a complete trained model."""
    return all((Path(path) / name).is_file() for name in REQUIRED_FILES)


def resolve_model_dir(path: Path | str | None = None) -> Path | None:
    """The model directory to load, or None when there is no trained model.

    `path` may be a version directory itself, or a root holding a `current`
    pointer (default: `default_model_root`). A pointer to a missing or
    incomplete version falls back to the newest complete version in the root.
    """
    path = Path(path) if path is not None else default_model_root()
    if is_model_dir(path):
        return path
    pointer = path / POINTER_NAME
    if pointer.is_file():
        target = path / pointer.read_text(encoding="utf-8").strip()
        if target.name and is_model_dir(target):
            return target
    if not path.is_dir():
        return None
    versions = sorted(
        (child for child in path.iterdir() if child.is_dir() and is_model_dir(child)),
        key=lambda child: child.name,
    )
    return versions[-1] if versions else None
