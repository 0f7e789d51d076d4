"""Benchmarks: `python -m bench [NAME ...]` (default: all). Each prints its figures."""

import argparse

BENCHMARKS = ("cases", "watchlists", "sla")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(BENCHMARKS)}; default: all")
    parser.add_argument(
        "--cases", type=int, default=1_000_000, help="cases to seed for the cases benchmark"
    )
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        if name == "cases":
            from bench import cases

            cases.run(total=args.cases)
        elif name == "sla":
            from bench import sla_scan

            sla_scan.run(total=args.cases)
        elif name == "watchlists":
            from bench import watchlists

            watchlists.main()


if __name__ == "__main__":
    main()
