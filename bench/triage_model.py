"""Micro-benchmark of the triage classifier: `python -m bench.triage_model [--model PATH]`.

Times `predict` (text normalisation, tokenisation, the forward pass, building
the predictions) on the dataset's dev and test posts, which are written like
real posts, for a few batch sizes, and prints posts/s and the model's size on
disk, and the inference path the classifier took (which layers run in int8 or
bfloat16, the CPU's vector instructions, threads). No database is involved; the
pipeline's own benchmark adds that. To run as on a CPU without AVX-512 and
bfloat16::

    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 FBGEMM_ENABLE_INSTRUCTIONS=AVX2 \
        MKL_ENABLE_INSTRUCTIONS=AVX2 python -m bench.triage_model
"""

import argparse
import os
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "triage"


def directory_size(path: Path) -> int:
    """Bytes of all files under `path`."""
    return sum(child.stat().st_size for child in path.rglob("*") if child.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.triage_model")
    parser.add_argument("--model", default=None, help="version folder or root [current model]")
    parser.add_argument("--batch-sizes", default="16,32,64")
    parser.add_argument("--repeat", type=int, default=2, help="passes over the posts per size")
    args = parser.parse_args()

    import torch

    from app.triage.model.inference import load_classifier
    from app.triage.model.labels import load_examples
    from app.triage.model.store import resolve_model_dir

    texts = [e.text for split in ("dev", "test") for e in load_examples(DATA / f"{split}.jsonl")]
    started = time.perf_counter()
    classifier = load_classifier(args.model)
    print(f"model {classifier.version} ({classifier.kind}) loaded in "
          f"{time.perf_counter() - started:.1f}s; torch threads {torch.get_num_threads()}, "
          f"CPUs {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    model_dir = resolve_model_dir(args.model)
    if model_dir is not None:
        print(f"size on disk: {directory_size(model_dir) / 2**20:.1f} MiB ({model_dir})")
    if classifier.kind == "transformer":
        config = classifier.model.config
        print(f"{config.num_hidden_layers} encoder layers, quantisation "
              f"{config.quantization if classifier.quantized else 'none'}, lexical weight "
              f"{classifier.lexical_weight:.1f}")  # fmt: skip
        print(f"classifier: {classifier.inference_path}")
    classifier.predict(texts[:64])  # warm-up
    mean_chars = sum(map(len, texts)) / len(texts)
    for batch_size in (int(size) for size in args.batch_sizes.split(",")):
        started = time.perf_counter()
        for _ in range(args.repeat):
            classifier.predict(texts, batch_size=batch_size)
        seconds = time.perf_counter() - started
        print(f"batch {batch_size:3d}: {args.repeat * len(texts) / seconds:7.1f} posts/s "
              f"({len(texts)} posts x {args.repeat}, {mean_chars:.0f} characters on average)")  # fmt: skip


if __name__ == "__main__":
    main()
