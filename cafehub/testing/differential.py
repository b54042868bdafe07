"""Run one case on every backend and require them all to agree with the reference evaluator.

A case is (segment text, shop data, evaluation context). The backends are:

- ``reference``: :func:`cafehub.testing.reference.reference_ids` (the oracle);
- ``python``: the compiled predicate over in-memory :class:`CustomerData`;
- ``python@<engine>``: the predicate's bulk path, reading the store in tiny
  batches (so keyset pagination is exercised);
- ``sql@<engine>``: the SQL backend on that engine;
- ``spark``: the SQL backend through PySpark, when a session is given.

On disagreement :meth:`Differential.check` raises an ``AssertionError``
whose message is a ready-to-paste regression test
(:func:`~cafehub.testing.regression.regression_test_source`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine

from cafehub import api
from cafehub.compiler.backends.python import compile_predicate
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.python import customers_from_shop, run_predicate
from cafehub.store import records as rec
from cafehub.store.io import write_shop
from cafehub.testing.reference import reference_ids
from cafehub.testing.regression import regression_test_source

Runner = Callable[[CheckedSegment, rec.ShopData, EvalContext], list[str]]


def sql_runner() -> Callable[..., list[str]] | None:
    """``cafehub.execution.sql.run_sql`` when the SQL backend is installed, else ``None``."""
    try:
        module = importlib.import_module("cafehub.execution.sql")
    except ImportError:
        return None
    runner: Callable[..., list[str]] | None = getattr(module, "run_sql", None)
    return runner


def spark_runner() -> Callable[..., list[str]] | None:
    """``cafehub.execution.spark.run_spark`` when present, else ``None``."""
    try:
        module = importlib.import_module("cafehub.execution.spark")
    except ImportError:
        return None
    runner: Callable[..., list[str]] | None = getattr(module, "run_spark", None)
    return runner


class Differential:
    """The backends of one test session; :meth:`check` runs a case on all of them.

    ``engines`` maps a name (``sqlite``, ``postgres``...) to an engine whose
    canonical tables exist; each case replaces their rows. ``spark`` is a
    callable ``(checked, data, ctx) -> ids`` (the tests build it around a
    session), or ``None``.
    """

    def __init__(
        self,
        engines: Mapping[str, Engine],
        *,
        sql: bool = True,
        bulk: bool = True,
        spark: Runner | None = None,
        batch_size: int = 2,
    ) -> None:
        self.engines = dict(engines)
        self.run_sql = sql_runner() if sql else None
        self.bulk = bulk
        self.spark = spark
        self.batch_size = batch_size

    def results(self, segment: str, data: rec.ShopData, ctx: EvalContext) -> dict[str, list[str]]:
        """Every backend's sorted member ids for one case."""
        checked = api.check(segment)
        out = {
            "reference": reference_ids(checked, data, ctx),
            "python": compile_predicate(checked).select(customers_from_shop(data), ctx),
        }
        for name, engine in self.engines.items():
            write_shop(engine, data, replace=True)
            if self.bulk:
                out[f"python@{name}"] = run_predicate(engine, checked, ctx, batch_size=self.batch_size)
            if self.run_sql is not None:
                out[f"sql@{name}"] = self.run_sql(engine, checked, ctx)
        if self.spark is not None:
            out["spark"] = self.spark(checked, data, ctx)
        return out

    def check(self, segment: str, data: rec.ShopData, ctx: EvalContext) -> None:
        """Assert that every backend returns the reference's ids; else print a regression test."""
        results = self.results(segment, data, ctx)
        expected = results["reference"]
        wrong = {name: ids for name, ids in results.items() if ids != expected}
        if not wrong:
            return
        note = "\n".join([f"reference: {expected!r}", *(f"{name}: {ids!r}" for name, ids in wrong.items())])
        raise AssertionError(
            "backends disagree\n" + note + "\n\nRegression test (paste into tests/differential/test_regressions.py):"
            "\n\n" + regression_test_source(segment, data, ctx, note=note)
        )


def describe(results: Mapping[str, Any]) -> str:
    """One line per backend, for notes."""
    return "\n".join(f"{name}: {ids!r}" for name, ids in results.items())


__all__ = ["Differential", "Runner", "describe", "spark_runner", "sql_runner"]
