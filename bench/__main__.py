"""Benchmarks: `python -m bench [NAME ...]` (default: all). Each prints its figures."""

import argparse
import importlib

BENCHMARKS = ("cases", "sla", "watchlists", "triage", "single", "stats", "realtime")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(BENCHMARKS)}; default: all")
    parser.add_argument(
        "--cases",
        type=int,
        default=1_000_000,
        help="cases (and clocks) to seed for cases, sla and stats",
    )
    parser.add_argument("--posts", type=int, default=3000, help="posts to triage for triage")
    parser.add_argument(
        "--hot-posts",
        type=int,
        default=1_000_000,
        help="stats: posts over 31 days to seed for hot topics and hot keywords",
    )
    parser.add_argument(
        "--no-cascade",
        action="store_true",
        help="triage: run the transformer on every post, also those the lexical model dismisses",
    )
    parser.add_argument(
        "--reports", type=int, default=30, help="single: citizen reports to file and time"
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="single: start the worker without loading the model first (each job loads it)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="realtime: run with 1, 2, … up to this many `flask worker` processes",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="realtime: posts a second")
    parser.add_argument("--seconds", type=float, default=120.0, help="realtime: feed duration")
    parser.add_argument(
        "--burst",
        type=int,
        default=None,
        help="realtime: posts stored at once after the feed to measure capacity "
        "(default: 20 s of the rate; 0 to skip)",
    )
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        if name not in BENCHMARKS:
            parser.error(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        if name == "cases":
            importlib.import_module("bench.cases").run(total=args.cases)
        elif name == "sla":
            importlib.import_module("bench.sla_scan").run(total=args.cases)
        elif name == "stats":
            importlib.import_module("bench.stats").run(total=args.cases)
            importlib.import_module("bench.hot_topics").run(total=args.hot_posts)
        elif name == "single":
            importlib.import_module("bench.single").run(
                reports=args.reports, warm=not args.no_warm_up
            )
        elif name == "realtime":
            importlib.import_module("bench.realtime").run(
                workers=args.workers, rate=args.rate, seconds=args.seconds, burst=args.burst
            )
        elif name == "watchlists":
            importlib.import_module("bench.watchlists").main()
        else:
            importlib.import_module("bench.triage").run(
                total=args.posts, cascade=not args.no_cascade
            )


if __name__ == "__main__":
    main()
