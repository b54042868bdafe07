"""Run the benchmark suite: ``python -m bench [NAME ...] [--runs N]``.

Each benchmark prints a table (with ratios against a baseline measured in the
same run) and writes its results, with the machine and versions, to
``bench/results/``.
"""

from __future__ import annotations

import argparse

from bench import compile_latency
from bench.common import write_results

SUITES = {"compile": compile_latency}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*SUITES, []], help="benchmarks to run (default: all)")
    parser.add_argument("--runs", type=int, default=3000, help="timed calls per measurement")
    args = parser.parse_args()
    for name in args.names or list(SUITES):
        module = SUITES[name]
        print(f"== {name}: {module.__doc__.splitlines()[0] if module.__doc__ else ''}")
        result = module.run(runs=args.runs)
        print(module.report(result))
        print(f"results: {write_results(name, result)}\n")


if __name__ == "__main__":
    main()
