"""Run the benchmark suite: ``python -m bench [NAME ...] [--customers N] [--million]``.

Benchmarks: ``compile`` (compile latency), ``sql`` (compiled SQL against the
best hand-written SQL on SQLite, DuckDB and PostgreSQL), ``predicates``
(compiled predicates against hand-written Python), ``scaling`` (time and peak
memory per stage at 10k and 100k customers, and 1M with ``--million``),
``saved`` (live membership in 20 saved segments; audiences streamed, with peak memory),
``service`` (the HTTP API's overhead over the library call for check and compile),
``commands`` (chat command steps), ``chat`` (200 conversations at once over the chat API),
``startup`` (``cafehub segment check``/``fmt`` as whole processes against bare Python).
Each prints a table with ratios against a baseline measured in the same run
and writes its results, with the machine and versions, to ``bench/results/``.
The demo shops they run on are built once and cached in ``bench/data/``.
"""

from __future__ import annotations

import argparse
from types import ModuleType

from bench import (
    bulk,
    chat_load,
    commands,
    compile_latency,
    predicates,
    saved_segments,
    scaling,
    service_overhead,
    spark_scale,
    sql_execution,
    startup,
)
from bench.common import write_results

SUITES: dict[str, ModuleType] = {
    "compile": compile_latency,
    "sql": sql_execution,
    "predicates": predicates,
    "bulk": bulk,
    "spark": spark_scale,
    "scaling": scaling,
    "saved": saved_segments,
    "service": service_overhead,
    "commands": commands,
    "chat": chat_load,
    "startup": startup,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(SUITES)} (default: all)")
    parser.add_argument("--customers", type=int, default=100_000, help="shop size for sql and predicates")
    parser.add_argument("--million", action="store_true",
                        help="use 1,000,000 customers (sql, predicates, scaling, saved)")
    parser.add_argument("--runs", type=int, default=None, help="timed repetitions per measurement")
    parser.add_argument("--distributions", default=None,
                        help="sql: comma-separated shop distributions (default: demo and every generator of "
                        "bench/distributions.py)")
    parser.add_argument("--engines", default=None, help="sql, saved: comma-separated engines (default: all)")
    parser.add_argument("--references", default=None,
                        help="sql: comma-separated reference segments (default: all six)")
    parser.add_argument("--skip-stream", action="store_true", help="service: measure the overhead only")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in SUITES]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    customers = 1_000_000 if args.million else args.customers
    for name in args.names or list(SUITES):
        module = SUITES[name]
        title = module.__doc__.splitlines()[0] if module.__doc__ else ""
        print(f"== {name}: {title}", flush=True)
        options: dict[str, object] = {"customers": customers, "million": args.million}
        if args.runs is not None:
            options["runs"] = args.runs
        if args.distributions:
            options["distributions"] = tuple(args.distributions.split(","))
        if args.engines:
            options["engines"] = tuple(args.engines.split(","))
        if args.references:
            options["references"] = tuple(args.references.split(","))
        if args.skip_stream:
            options["skip_stream"] = True
        result = module.run(**options)
        print(module.report(result))
        print(f"results: {write_results(name, result)}\n", flush=True)


if __name__ == "__main__":
    main()
