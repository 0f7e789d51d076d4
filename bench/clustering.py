"""How well clustering makes one case per real problem: `python -m bench.clustering`.

Runs the trained model and the gazetteer over the posts of
tests/triage/data/clustering_problems.json (problems in HCMC, 4–5 posts each,
worded differently, with hard pairs: same category, same area, different
problem) and prints, for the tuning set and for the held-out set written after
the threshold was chosen:

- the cosine similarity of pairs about the same problem and of pairs about
  different problems of the same category, with the classifier's sentence
  embedding and with the lexical vector clustering uses (`triage.lexical`);
- for a range of thresholds, what clustering does when the posts arrive in
  shuffled orders: cases opened, B-cubed precision (1.0: no case mixes two
  problems), recall (1.0: no problem split over cases) and F1, with the place
  rule as shipped, without place adoption, and ignoring places;
- the same with the model's own categories (posts the model is unsure of wait
  for a person in triage, so they are left out here).

No database is involved: it drives the same `clustering.CandidateIndex` that
the triage job uses, in memory.
"""

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

PROBLEMS = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "triage"
    / "data"
    / "clustering_problems.json"
)
START = datetime(2026, 11, 27, 8, tzinfo=UTC)


def load_posts(key: str = "problems", path: Path = PROBLEMS) -> list[dict]:
    """[{"problem", "category", "text"}] of one set ("problems" or "held_out_problems")."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        {"problem": p["id"], "category": p["category"], "text": text}
        for p in data[key]
        for text in p["posts"]
    ]


def features_of(posts: list[dict], analyses, order: list[int], gold: bool, places: bool = True):
    """(problem, PostFeatures) in arrival order, one post every 7 minutes."""
    from app.triage import clustering
    from app.triage.intake import _place, goes_to_case

    items = []
    for minute, i in enumerate(order):
        analysis = analyses[i]
        if not gold and not goes_to_case(analysis):
            continue
        wards, district = _place(analysis) if places else ((), None)
        items.append((posts[i]["problem"], clustering.PostFeatures(
            category=posts[i]["category"] if gold else analysis.category, ward_codes=wards,
            former_district_code=district, posted_at=START + timedelta(minutes=7 * minute),
            text=posts[i]["text"],
        )))  # fmt: skip
    return items


def cluster(items, **options) -> list[int]:
    """The case (a number) each post ends in, as triage's CandidateIndex decides."""
    from app.triage import clustering

    index = clustering.CandidateIndex(**options)
    now = START + timedelta(days=1)
    index.start({f.category for _, f in items})
    assigned = []
    for _, features in items:
        match = index.find_match(features)
        if match is None:
            candidate = index.open(len(assigned), features, now=now, model_version=None)
        else:
            candidate = index.get(match.case_id)
        index.add_post(candidate, features, "facebook", 0, now)
        assigned.append(candidate.key)
    return assigned


def bcubed(problems: list[str], cases: list[int]) -> tuple[float, float]:
    """B-cubed precision and recall of a clustering against the true problems."""
    precision = recall = 0.0
    for problem, case in zip(problems, cases, strict=True):
        same_case = [p for p, c in zip(problems, cases, strict=True) if c == case]
        same_problem = [c for p, c in zip(problems, cases, strict=True) if p == problem]
        precision += sum(p == problem for p in same_case) / len(same_case)
        recall += sum(c == case for c in same_problem) / len(same_problem)
    return precision / len(problems), recall / len(problems)


def pair_similarities(posts: list[dict], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities of same-problem pairs and of different-problem, same-category pairs."""
    same, different = [], []
    for i in range(len(posts)):
        for j in range(i + 1, len(posts)):
            if posts[i]["category"] != posts[j]["category"]:
                continue
            score = float(vectors[i] @ vectors[j])
            (same if posts[i]["problem"] == posts[j]["problem"] else different).append(score)
    return np.array(same), np.array(different)


def _quantiles(values: np.ndarray) -> str:
    return " ".join(f"{v:6.3f}" for v in np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95, 1.0]))


def evaluate(posts, analyses, orders, threshold, gold=True, places=True, **options) -> tuple:
    """Mean (cases, precision, recall, F1) over the arrival orders."""
    totals = np.zeros(4)
    for order in orders:
        items = features_of(posts, analyses, order, gold, places)
        cases = cluster(items, threshold=threshold, **options)
        precision, recall = bcubed([problem for problem, _ in items], cases)
        totals += (
            len(set(cases)),
            precision,
            recall,
            2 * precision * recall / (precision + recall),
        )
    return tuple(totals / len(orders))


def report(name: str, posts: list[dict], thresholds: list[float], orders_count: int) -> None:
    from app.triage import lexical
    from app.triage.pipeline import analyse

    analyses = analyse([p["text"] for p in posts])
    problems = len({p["problem"] for p in posts})
    print(f"\n{name}: {len(posts)} posts about {problems} problems")
    print("  cosine similarity, same category     p5     p25    p50    p75    p95    max")
    for label, vectors in (
        ("classifier embedding", np.stack([a.embedding for a in analyses])),
        ("lexical vector", np.stack([lexical.vector(p["text"]) for p in posts])),
    ):
        same, different = pair_similarities(posts, vectors)
        print(f"  {label:21s} same problem  {_quantiles(same)}")
        print(f"  {'':21s} other problem {_quantiles(different)}")
    right = sum(
        a.relevant and a.category == p["category"] for a, p in zip(analyses, posts, strict=True)
    )
    unsure = sum(a.needs_review for a in analyses)
    print(
        f"  the model's category is right for {right}/{len(posts)} posts; {unsure} would wait for review"
    )

    rng = random.Random(7)
    orders = [rng.sample(range(len(posts)), len(posts)) for _ in range(orders_count)]
    variants = (
        ("place rule as shipped", {}),
        ("no place adoption", {"adopt_place": False}),
        ("places ignored", {"places": False}),
        ("model's categories", {"gold": False}),
    )
    print(f"  threshold  {'  '.join(f'{label:^28s}' for label, _ in variants)}")
    header = "cases    P     R     F1"
    print(f"             {'  '.join(f'{header:^28s}' for _ in variants)}")
    for threshold in thresholds:
        cells = []
        for _, options in variants:
            cases, precision, recall, f1 = evaluate(posts, analyses, orders, threshold, **options)
            cells.append(f"{cases:6.1f}  {precision:.3f} {recall:.3f} {f1:.3f}  ")
        print(f"    {threshold:.2f}     {'  '.join(cells)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.clustering")
    parser.add_argument("--thresholds", default="0.15,0.18,0.20,0.22,0.25,0.28,0.30,0.35")
    parser.add_argument(
        "--orders", type=int, default=20, help="shuffled arrival orders to average over"
    )
    args = parser.parse_args()

    from app.triage import clustering
    from app.triage.model.inference import load_classifier

    classifier = load_classifier()
    print(f"model {classifier.version}; clustering threshold {clustering.DEFAULT_THRESHOLD}")
    thresholds = [float(t) for t in args.thresholds.split(",")]
    report("tuning set", load_posts("problems"), thresholds, args.orders)
    report("held-out set", load_posts("held_out_problems"), thresholds, args.orders)
    report("second held-out set", load_posts("second_held_out_problems"), thresholds, args.orders)


if __name__ == "__main__":
    main()
