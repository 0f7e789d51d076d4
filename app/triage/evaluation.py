"""How well triage does on labelled real texts, as `triage eval` prints it.

For a trained model it runs the transformer once and its TF-IDF model once
(`evaluate.head_probabilities`), then scores four variants on the same texts:

* ``served``: the blend as served, with the city's scope rules of the pipeline
  (a post about a place outside the city, or a national source's post with no
  place in the city, is not relevant: `places.scope.outside_reason`);
* ``blend``: the blended model alone;
* ``transformer``: the transformer alone;
* ``tfidf``: the TF-IDF model alone.

Each gets relevance macro-F1 over both classes and category macro-F1 with the
F1 of every category (on the texts labelled relevant). The gazetteer gets
former-district accuracy on the relevant texts whose label names a district,
and current-ward accuracy on those whose label names a ward. The served
variant is also scored per source. Pure Python: no Flask, no database.
"""

from collections import defaultdict

from app.core.vocabulary import CATEGORIES
from app.triage.model.evaluate import blended_report, evaluate_examples, head_probabilities
from app.triage.model.inference import head_weights
from app.triage.model.labels import RELEVANCE, Example
from app.triage.model.metrics import binary_report, classification_report
from app.triage.pipeline import place_of
from app.triage.places.scope import outside_reason

#: Wards a place answer may list and still count as naming the labelled ward (a
#: former ward split in 2025 went to up to three of today's).
WARD_LIST_LIMIT = 3
VARIANTS = ("served", "blend", "transformer", "tfidf")


def source_of(example: Example) -> str:
    """The source name a labelled text records ("vietnews", …; "handwritten" for ours)."""
    source = example.extra.get("source") or {}
    return source.get("name") or "unknown"


def _scores(examples: list[Example], relevant: list[bool], categories: list[str]) -> dict:
    gold = [i for i, example in enumerate(examples) if example.relevant]
    return {
        "examples": len(examples),
        "relevance": binary_report([e.relevant for e in examples], relevant, labels=RELEVANCE),
        "category": classification_report(
            [examples[i].category for i in gold], [categories[i] for i in gold], CATEGORIES
        ),
    }


def place_accuracy(examples: list[Example], places: list[dict | None]) -> dict:
    """Former-district and current-ward accuracy where the label names one (relevant texts)."""
    counts = {"district": [0, 0], "ward": [0, 0]}
    for example, place in zip(examples, places, strict=True):
        gold = example.extra.get("place") or {}
        if not example.relevant:
            continue
        if gold.get("district_code"):
            found = place or {}
            districts = {d["code"] for d in found.get("former_districts") or []}
            if found.get("former_district"):
                districts.add(found["former_district"]["code"])
            counts["district"][0] += gold["district_code"] in districts and len(districts) <= 1
            counts["district"][1] += 1
        if gold.get("ward_code"):
            wards = {w["code"] for w in (place or {}).get("wards", [])}
            counts["ward"][0] += gold["ward_code"] in wards and len(wards) <= WARD_LIST_LIMIT
            counts["ward"][1] += 1
    return {
        key: {"correct": right, "total": total, "accuracy": right / total if total else None}
        for key, (right, total) in counts.items()
    }


def evaluate_real(classifier, examples: list[Example]) -> dict:
    """Every figure `triage eval` prints for a trained (transformer) classifier."""
    heads = head_probabilities(classifier, examples)
    blends = {"blend": head_weights(classifier.model.config), "transformer": 0.0}
    if heads.lexical is not None:
        blends["tfidf"] = 1.0
    places = [place_of(example.text) for example in examples]
    report = {"model_version": classifier.version, "examples": len(examples), "variants": {}}
    for name, weight in blends.items():
        predictions = blended_report(classifier, heads, examples, weight, keep_predictions=True)[
            "predictions"
        ]
        relevant = [p.relevant for p in predictions]
        categories = [p.category for p in predictions]
        report["variants"][name] = _scores(examples, relevant, categories)
        if name == "blend":
            served = [
                is_relevant
                and not outside_reason(example.text, example.extra.get("scope", "local"))
                for example, is_relevant in zip(examples, relevant, strict=True)
            ]
            report["variants"]["served"] = _scores(examples, served, categories)
            by_source = defaultdict(list)
            for index, example in enumerate(examples):
                by_source[source_of(example)].append(index)
            report["sources"] = {
                source: _scores(
                    [examples[i] for i in indexes],
                    [served[i] for i in indexes],
                    [categories[i] for i in indexes],
                )
                for source, indexes in sorted(by_source.items())
            }
    report["place"] = place_accuracy(examples, places)
    return report


def evaluate_plain(classifier, examples: list[Example]) -> dict:
    """The figures for a classifier without a transformer (the fallback): one variant."""
    predictions = evaluate_examples(classifier, examples, keep_predictions=True)["predictions"]
    places = [place_of(example.text) for example in examples]
    relevant = [p.relevant for p in predictions]
    categories = [p.category for p in predictions]
    return {
        "model_version": classifier.version,
        "examples": len(examples),
        "variants": {"tfidf": _scores(examples, relevant, categories)},
        "place": place_accuracy(examples, places),
    }


def headline(scores: dict) -> dict:
    """Relevance macro-F1 (both classes) and category macro-F1 of one variant."""
    return {
        "relevance_macro_f1": scores["relevance"]["macro_f1"],
        "category_macro_f1": scores["category"]["macro_f1"],
    }


def format_report(report: dict, source: str = "") -> str:
    """The text `triage eval` prints."""
    lines = [f"model {report['model_version']} on {source or 'the given texts'}: "
             f"{report['examples']} texts"]  # fmt: skip
    lines.append(f"{'variant':<12} {'relevance macro-F1':>19} {'category macro-F1':>18}")
    for name in VARIANTS:
        if name in report["variants"]:
            figures = headline(report["variants"][name])
            lines.append(
                f"{name:<12} {figures['relevance_macro_f1']:>19.3f} "
                f"{figures['category_macro_f1']:>18.3f}"
            )
    lines.append("")
    shown = [name for name in VARIANTS if name in report["variants"]]
    lines.append("category F1 per class (" + ", ".join(shown) + ")")
    for category in CATEGORIES:
        cells = [
            f"{report['variants'][name]['category']['per_class'][category]['f1']:.3f}"
            for name in shown
        ]
        support = report["variants"][shown[0]]["category"]["per_class"][category]["support"]
        lines.append(f"  {category:<15} " + "  ".join(cells) + f"   (n={support})")
    lines.append("")
    for key, label in (("district", "former district"), ("ward", "current ward")):
        place = report["place"][key]
        accuracy = "n/a" if place["accuracy"] is None else f"{place['accuracy']:.3f}"
        lines.append(
            f"{label} accuracy (relevant texts whose label names one): {accuracy} "
            f"({place['correct']}/{place['total']})"
        )
    if report.get("sources"):
        lines.append("")
        lines.append("served, per source:")
        for name, scores in report["sources"].items():
            figures = headline(scores)
            relevant = scores["category"]["support"]
            category = f"{figures['category_macro_f1']:.3f}" if relevant else "n/a"
            lines.append(
                f"  {name:<20} n={scores['examples']:<5} relevant={relevant:<4} "
                f"relevance macro-F1 {figures['relevance_macro_f1']:.3f}  "
                f"category macro-F1 {category}"
            )
    return "\n".join(lines)
