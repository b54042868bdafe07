"""The differential property: every backend selects what the reference selects.

For each generated (segment, shop, now, zone), the reference evaluator, the
compiled predicate (in memory and through the bulk path) and the SQL
backend must return the same member ids, on SQLite, DuckDB, PostgreSQL and
MariaDB; Spark runs a smaller budget under its own marker. Hypothesis
shrinks a failure to a minimal case, printed as a ready-to-paste test for
``test_regressions.py``.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from cafehub.testing import Scenario, scenarios
from cafehub.testing.budget import budget
from cafehub.testing.differential import Differential, Runner

#: Examples per engine: servers answer slower than embedded engines.
BUDGET = {"sqlite": 200, "duckdb": 150, "postgres": 100, "mysql": 100}


def test_every_backend_agrees_with_the_reference(differential: Differential) -> None:
    (name,) = differential.engines

    @budget(BUDGET[name])
    @given(scenarios())
    def agree(case: Scenario) -> None:
        differential.check(case.segment, case.data, case.ctx)

    agree()


@pytest.mark.spark
@budget(15)
@given(scenarios(max_customers=3))
def test_spark_agrees_with_the_reference(spark_backend: Runner, case: Scenario) -> None:
    Differential({}, bulk=False, spark=spark_backend).check(case.segment, case.data, case.ctx)
