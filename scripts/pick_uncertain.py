"""Pick the pool texts a trained triage model is least sure of, for people to label.

    python scripts/pick_uncertain.py POOL.jsonl OUT.jsonl [--model DIR] [--count N]

POOL comes from `scripts/draw_real_texts.py --thirteenth`: undrawn real texts of
every source, all of documents the split puts in train. The model (default: the
current one) scores each text as it is served, and three lists are made per
source:

* **relevance margin:** the served relevance probability nearest the line
  between dismissed and relevant (`MARGIN_AT`);
* **disagreement:** the transformer and the TF-IDF model furthest apart on
  relevance;
* **category margin:** among texts the blend finds relevant, the smallest gap
  between the two likeliest categories.

Each source gets its share of `--count` (`SHARES`), taken from the three lists in
turn, a text once. Texts the city's scope rule dismisses (a place outside the
city, a national source's post with no place in it) are left out: the model's
relevance is not asked for them. The output keeps the pool's rows and ids and
adds nothing of the model's, so labellers do not see what it thought.
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Share of the picked texts per source: press articles, where most of the model's
#: relevance errors are, and the social comments the city also checks triage on.
SHARES = {
    "vietnews": 0.45,
    "vihatespeech2025": 0.15,
    "vnexpress_comments": 0.10,
    "reintel": 0.10,
    "vlsp2019": 0.10,
    "vilexnorm": 0.10,
}
#: Served relevance between the dismiss (0.50) and accept (0.65) thresholds of the
#: current model: the texts nearest it are the model's closest calls.
MARGIN_AT = 0.55


class _Text:
    def __init__(self, text: str):
        self.text = text


def settled(rows: list[dict]) -> list[bool]:
    """Whether the city's scope rule dismisses each row whatever the model says."""
    from import_labels import SCOPE_OF_STYLE

    from app.triage.places.scope import outside_reason

    return [bool(outside_reason(r["text"], SCOPE_OF_STYLE.get(r["style"], "local"))) for r in rows]


def scores(rows: list[dict], model: str | None) -> list[dict]:
    """Per row: served relevance, the gap between transformer and TF-IDF relevance, and the
    category margin of the blend."""
    from app.triage.model.evaluate import blend_heads, head_probabilities
    from app.triage.model.inference import head_weights, load_classifier

    classifier = load_classifier(model)
    heads = head_probabilities(classifier, [_Text(r["text"]) for r in rows])
    relevance, categories, _ = blend_heads(heads, head_weights(classifier.model.config))
    gaps = abs(heads.transformer[0][:, 1] - heads.lexical[0][:, 1])
    top = -categories
    top.sort(axis=1)
    return [
        {
            "served": float(relevance[i, 1]),
            "gap": float(gaps[i]),
            "category_margin": float(top[i][1] - top[i][0]),
        }
        for i in range(len(rows))
    ]


def _in_turn(lists: list[list[dict]], want: int) -> list[dict]:
    """Up to `want` rows, one from each list in turn (the next not taken yet), until all
    lists run out."""
    streams, taken, seen = [iter(rows) for rows in lists], [], set()
    while streams and len(taken) < want:
        for stream in list(streams):
            row = next((r for r in stream if r["id"] not in seen), None)
            if row is None:
                streams.remove(stream)
            elif len(taken) < want:
                seen.add(row["id"])
                taken.append(row)
    return taken


def pick(
    rows: list[dict], found: list[dict], count: int, shares: dict[str, float] = SHARES
) -> list[dict]:
    """`count` rows, shared among sources by `shares`, from the three lists in turn
    (`found`: the `scores` of `rows`, which the scope rule does not settle)."""
    by_source = defaultdict(list)
    for r, s in zip(rows, found, strict=True):
        by_source[r["source"]["name"]].append((r, s))
    chosen = []
    for source, share in shares.items():
        candidates = by_source.get(source, [])
        lists = [
            sorted(candidates, key=lambda c: abs(c[1]["served"] - MARGIN_AT)),
            sorted(candidates, key=lambda c: -c[1]["gap"]),
            sorted(
                [c for c in candidates if c[1]["served"] >= 0.5],
                key=lambda c: c[1]["category_margin"],
            ),
        ]
        taken = _in_turn([[r for r, _ in ranked] for ranked in lists], round(count * share))
        print(f"{source}: {len(taken)} of {len(candidates)} unsettled", file=sys.stderr)
        chosen.extend(taken)
    return chosen


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pool", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", help="model directory (default: the current model)")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--share",
        action="append",
        default=[],
        metavar="SOURCE=FRACTION",
        help="a source's share of --count instead of SHARES' (repeatable)",
    )
    parser.add_argument(
        "--skip", type=Path, action="append", default=[], help="JSON Lines of ids already picked"
    )
    args = parser.parse_args(argv)
    shares = dict(SHARES)
    for item in args.share:
        source, _, fraction = item.partition("=")
        shares[source] = float(fraction)
    skip = {
        json.loads(line)["id"]
        for path in args.skip
        for line in path.read_text(encoding="utf-8").splitlines()
    }
    rows = [json.loads(line) for line in args.pool.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["id"] not in skip]
    print(f"scoring {len(rows)} pool texts", file=sys.stderr)
    # Every text is scored, the settled ones too: the int8 path quantises a batch's
    # activations together, so a text's scores move (up to 0.02) with its batch-mates, and
    # scoring fewer texts would not reproduce the picks of revisions 11 and 12.
    found = scores(rows, args.model)
    kept = [i for i, done in enumerate(settled(rows)) if not done]
    chosen = pick([rows[i] for i in kept], [found[i] for i in kept], args.count, shares)
    with args.out.open("w", encoding="utf-8") as handle:
        for record in chosen:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} texts picked", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
