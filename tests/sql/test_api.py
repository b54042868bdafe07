"""The Python API of the SQL backend: compile once, bind per context, run on a user's own session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from cafehub import SegmentError, check
from cafehub.compiler import ir
from cafehub.compiler.backends.sql import (
    DEFAULT_MAPPING,
    DIALECTS,
    UnknownDialectError,
    compile_sql,
    dialect_for_engine,
)
from cafehub.compiler.backends.sql import compiler as sql_compiler
from cafehub.compiler.catalog import Collection
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.sql import run_sql
from cafehub.store.engines import StoreError

from .oracle import Oracle
from .shop import CONTEXTS


def test_statement_runs_in_a_users_own_session(sqlite_shop: Engine, oracle: Oracle) -> None:
    compiled = compile_sql("order(status = paid).count >= 2", dialect="sqlite")
    ctx = CONTEXTS["seoul_march"]
    with Session(sqlite_shop) as session:
        ids = sorted(session.execute(compiled.statement(ctx)).scalars())
    assert ids == oracle.ids(check("order(status = paid).count >= 2").ir, ctx)


def test_one_compiled_query_serves_every_context(duckdb_shop: Engine, oracle: Oracle) -> None:
    compiled = compile_sql("order(ordered_at = yesterday)", dialect="duckdb")
    with duckdb_shop.connect() as conn:
        for ctx in CONTEXTS.values():
            ids = sorted(conn.execute(compiled.statement(ctx)).scalars())
            assert ids == oracle.ids(check("order(ordered_at = yesterday)").ir, ctx)


def test_parameters_are_computed_from_the_context() -> None:
    compiled = compile_sql("cart(added_at <= 1d ago) and order(ordered_at >= 2025-01-01)", dialect="postgres")
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    values = compiled.parameters(EvalContext(now=now, cart_retention_days=10))
    assert values["now"] == datetime(2025, 3, 1, 12, 0)
    assert values["cart_start"] == datetime(2025, 2, 19, 12, 0)
    assert values["history_start"] == datetime(2023, 12, 31, 15, 0)  # 2024-01-01 00:00 in Seoul
    assert values["t1"] == datetime(2025, 2, 28, 12, 0)
    assert values["t2"] == datetime(2024, 12, 31, 15, 0)
    later = compiled.parameters(EvalContext(now=now + timedelta(hours=5)))
    assert later["t1"] == datetime(2025, 2, 28, 17, 0)


def test_sqlite_parameters_use_the_stored_text_form() -> None:
    compiled = compile_sql("order(ordered_at within last 1h)", dialect="sqlite")
    values = compiled.parameters(EvalContext(now=datetime(2025, 3, 1, 12, 0, 0, 5, tzinfo=UTC)))
    assert values["t1"] == "2025-03-01 11:00:00.000005"


def test_descriptions_say_how_each_parameter_is_computed() -> None:
    compiled = compile_sql('coupon(name = "a") and order(ordered_at = 2025-01-31)', dialect="trino")
    described = {p.name: p.computed_as for p in compiled.describe_parameters()}
    assert described["p1"] == "the string 'a'"
    assert described["t1"] == "start of 2025-01-31 in the shop's zone"
    assert described["t2"] == "start of 2025-02-01 in the shop's zone"


def test_the_query_selects_one_column_named_member_id() -> None:
    for dialect in DIALECTS:
        compiled = compile_sql("order()", dialect=dialect)
        assert [s.alias_or_name for s in compiled.tree.selects] == ["member_id"]


def test_compiled_is_immutable() -> None:
    compiled = compile_sql("order()")
    with pytest.raises(AttributeError):
        compiled.sql = "DROP TABLE customers"  # type: ignore[misc]


def test_bad_segments_raise_segment_errors() -> None:
    with pytest.raises(SegmentError, match="did you mean 'paid'"):
        compile_sql("order(status = payed)")


def test_unknown_dialects() -> None:
    with pytest.raises(UnknownDialectError, match="known: sqlite"):
        compile_sql("order()", dialect="oracle")
    with pytest.raises(UnknownDialectError, match="cannot run segments on 'mssql'"):
        dialect_for_engine("mssql")


def test_statement_only_for_sqlalchemy_dialects() -> None:
    with pytest.raises(ValueError, match="bigquery SQL is not run through SQLAlchemy"):
        compile_sql("order()", dialect="bigquery").statement(CONTEXTS["seoul_march"])


def test_run_sql_names_a_missing_table(tmp_path: object) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(StoreError, match="has no table customers"):
        run_sql(engine, "order()", CONTEXTS["seoul_march"])
    engine.dispose()


def test_dispatch_tables_cover_every_ir_node() -> None:
    for table in (sql_compiler.SEGMENT_HANDLERS, sql_compiler.ROW_HANDLERS):
        assert set(table) == set(ir.NODE_TYPES)


def test_a_missing_handler_fails_at_import() -> None:
    handlers = {ir.And: sql_compiler.SqlCompiler.seg_and}
    with pytest.raises(TypeError, match="no segment-level handler for"):
        sql_compiler._complete("segment-level", handlers, {})


def test_impossible_nodes_are_internal_errors_not_user_errors() -> None:
    compiler = sql_compiler.SqlCompiler(DIALECTS["sqlite"], DEFAULT_MAPPING)
    exists = ir.Exists(collection=Collection.ORDER, where=None)
    with pytest.raises(sql_compiler.InternalCompileError, match="cannot occur here"):
        compiler.row(exists)



def test_docstring_examples() -> None:
    import doctest

    from cafehub.compiler.backends import sql as package
    from cafehub.compiler.backends.sql import compiled

    for module in (package, compiled):
        failures, tried = doctest.testmod(module)
        assert (failures, tried > 0) == (0, True), module.__name__
