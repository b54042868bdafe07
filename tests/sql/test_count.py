"""``count_sql`` counts in the database exactly the ids ``run_sql`` returns, on every engine."""

from __future__ import annotations

from sqlalchemy import Engine

from cafehub.execution.sql import count_sql

from .conftest import CASES
from .oracle import Oracle
from .shop import CONTEXTS


def test_count_is_the_number_of_matching_ids(shop_engine: Engine, oracle: Oracle) -> None:
    counted = 0
    for case in CASES:
        for ctx in CONTEXTS.values():
            expected = len(oracle.ids(case.checked.ir, ctx))
            assert count_sql(shop_engine, case.checked, ctx) == expected, case.name
            counted += expected > 0
    assert counted > len(CASES)  # most cases select someone somewhere
