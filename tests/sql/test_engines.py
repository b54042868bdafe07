"""Every case, on every engine, at every context, gives the oracle's ids.

The same adversarial shop is loaded into SQLite, DuckDB, PostgreSQL and
MariaDB; each case is compiled once per engine and run at each context. The
ids must equal those of the naive per-customer evaluation in
:mod:`tests.sql.oracle`, so the engines also agree with each other.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.sql import compile_for_engine, run_compiled

from .conftest import CASES, Case
from .oracle import Oracle
from .shop import CONTEXTS


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_matches_oracle(shop_engine: Engine, oracle: Oracle, case: Case) -> None:
    compiled = compile_for_engine(shop_engine, case.checked)
    for ctx_name, ctx in CONTEXTS.items():
        expected = oracle.ids(case.checked.ir, ctx)
        got = run_compiled(shop_engine, compiled, ctx, verify=False)
        assert got == expected, f"{case.name} at {ctx_name}: {_diff(got, expected)}"


def _diff(got: list[str], expected: list[str]) -> str:
    extra = sorted(set(got) - set(expected))
    missing = sorted(set(expected) - set(got))
    return f"{len(got)} ids vs {len(expected)} expected; extra {extra[:8]!r}, missing {missing[:8]!r}"


def test_the_shop_separates_customers(oracle: Oracle) -> None:
    """The data must make nearly every case select some customers and not others, somewhere."""
    total = len(oracle.shop.customers)
    flat = []
    for case in CASES:
        sizes = {len(oracle.ids(case.checked.ir, ctx)) for ctx in CONTEXTS.values()}
        if not any(0 < n < total for n in sizes):
            flat.append(case.name)
    assert flat == [], f"cases the data does not exercise: {flat}"


def test_contexts_differ(oracle: Oracle) -> None:
    """The contexts are not interchangeable: relative time cases give different ids in each."""
    case = next(c for c in CASES if c.name == "time_yesterday")
    results = {name: tuple(oracle.ids(case.checked.ir, ctx)) for name, ctx in CONTEXTS.items()}
    assert len(set(results.values())) == len(results)


def test_run_is_repeatable_with_new_contexts(sqlite_shop: Engine, oracle: Oracle) -> None:
    """One compiled query serves any instant: parameters are recomputed per run."""
    case = next(c for c in CASES if c.name == "lang_03_cart_product_no_recent_order")
    compiled = compile_for_engine(sqlite_shop, case.checked)
    base = CONTEXTS["seoul_march"]
    for days in range(0, 40, 3):
        ctx = EvalContext(now=base.now.replace(day=1) + __import__("datetime").timedelta(days=days),
                          zone=base.zone, cart_retention_days=base.cart_retention_days)
        assert run_compiled(sqlite_shop, compiled, ctx, verify=False) == oracle.ids(case.checked.ir, ctx)
