"""Running compiled segments on Spark SQL (PySpark), the engine for shops beyond one machine.

The query is compiled for the ``spark`` dialect and given to ``spark.sql``.
Strings are bound as Spark named parameters (``:p1``); instants and numbers
are inlined as literals quoted by sqlglot
(:meth:`~cafehub.compiler.backends.sql.CompiledSQL.inline`): timestamps as
``CAST('...' AS TIMESTAMP_NTZ)``, money as exact decimal literals. Strings are
never inlined because Spark substitutes ``${name}`` variables in SQL text,
string literals included (``spark.sql.variable.substitute``).

Stored timestamps are naive UTC, so tables are expected with
``TIMESTAMP_NTZ`` columns (what :func:`register_shop` creates); the session's
time zone then plays no part. A table whose timestamps are ``TIMESTAMP`` (Spark's
instants, shown in the session's zone) is compared with instant literals
instead: the kind is read from the table's schema when the tables are verified.
PySpark is imported only when these functions are called, so the rest of
cafehub does not need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cafehub.compiler.backends.sql import CompiledSQL, SchemaMapping, compile_sql
from cafehub.compiler.backends.sql.compiled import render
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.sql import TimeKinds, compiled_for_time_kinds, kind_conflicts, probe_query
from cafehub.store import records as rec
from cafehub.store.engines import StoreError
from cafehub.store.schema import TABLES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


#: Settings that make many small queries on small data quick (tests, demos): no code
#: generation and no adaptive re-planning, whose fixed costs dominate on a few thousand rows.
SMALL_DATA_CONFIG = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
}


def local_session(
    app_name: str = "cafehub", *, cores: int = 1, config: dict[str, str] | None = None
) -> SparkSession:
    """A local-mode SparkSession (UTC, no UI, few shuffle partitions), plus any ``config``."""
    from pyspark.sql import SparkSession

    builder: Any = SparkSession.builder
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    session: SparkSession = (
        builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(1, cores)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    return session


def _spark_type(column: Any) -> Any:
    from pyspark.sql import types as t
    from sqlalchemy import DateTime, Integer, Numeric

    kind = column.type
    if isinstance(kind, DateTime):
        return t.TimestampNTZType()
    if isinstance(kind, Numeric):
        return t.DecimalType(kind.precision or 38, kind.scale or 0)
    if isinstance(kind, Integer):
        return t.LongType()
    return t.StringType()


def register_shop(spark: SparkSession, data: rec.ShopData, *, names: dict[str, str] | None = None) -> None:
    """Register a shop's records as temporary views (the store's seven tables, or renamed by ``names``)."""
    from pyspark.sql import types as t

    for table in TABLES:
        schema = t.StructType([t.StructField(c.name, _spark_type(c), bool(c.nullable)) for c in table.columns])
        rows = [tuple(getattr(record, c.name) for c in table.columns) for record in getattr(data, table.name)]
        frame = spark.createDataFrame(rows, schema)
        frame.createOrReplaceTempView((names or {}).get(table.name, table.name))


def verify_tables(spark: SparkSession, compiled: CompiledSQL) -> TimeKinds:
    """Check that the tables and columns the query reads exist; :class:`StoreError` naming the first missing.

    Returns what each timestamp column holds (``TIMESTAMP_NTZ``: zone-less UTC; ``TIMESTAMP``:
    instants), from the probe's schema.
    """
    from pyspark.errors import AnalysisException
    from pyspark.sql import types as t

    def schema(columns: list[str] | None) -> Any:
        try:
            frame = spark.sql(render(probe_query(use, columns), compiled.target, pretty=False))
            frame.collect()
            return frame.schema
        except AnalysisException:
            return None

    found: TimeKinds = {}
    for use in compiled.tables:
        read = schema([p for _, p in use.columns])
        if read is not None:
            for (logical, _), field in zip(use.columns, read.fields, strict=True):
                if isinstance(field.dataType, t.TimestampNTZType):
                    found[use.logical, logical] = ("utc", "TIMESTAMP_NTZ")
                elif isinstance(field.dataType, t.TimestampType):
                    found[use.logical, logical] = ("zoned", "TIMESTAMP")
            continue
        name = ".".join(use.physical)
        if schema(None) is None:
            raise StoreError(f"Spark has no table or view {name}")
        for logical, column in use.columns:
            if schema([column]) is None:
                mapped = "" if logical == column else f", mapped from {use.logical}.{logical}"
                raise StoreError(f"the Spark table {name} has no column '{column}'{mapped}")
    return found


def run_spark(
    spark: SparkSession,
    segment: str | CheckedSegment | CompiledSQL,
    ctx: EvalContext,
    *,
    mapping: SchemaMapping | None = None,
    verify: bool = True,
) -> list[str]:
    """The sorted member ids of the customers matching ``segment`` at ``ctx``, computed by Spark SQL.

    ``segment`` may be already compiled (for the ``spark`` dialect) to run it at many contexts;
    it must then have been compiled for what its timestamp columns hold (checked with ``verify``).
    """
    compiled = segment if isinstance(segment, CompiledSQL) else compile_sql(segment, dialect="spark", mapping=mapping)
    if verify:
        found = verify_tables(spark, compiled)
        if isinstance(segment, CompiledSQL):
            kind_conflicts(compiled, found, declared_only=False)
        else:
            compiled = compiled_for_time_kinds(compiled, found, segment)
    # Strings go as named parameters: Spark substitutes ${...} variables even inside string
    # literals, so a value must never be part of the SQL text. Instants and numbers are inlined
    # (instants as TIMESTAMP_NTZ, which Python datetimes would not become).
    strings = {name: value for name, value in compiled.parameters(ctx).items() if isinstance(value, str)}
    text = compiled.inline(ctx, keep=lambda value: isinstance(value, str))
    rows = spark.sql(text, args=strings).collect() if strings else spark.sql(text).collect()
    return sorted(str(row[0]) for row in rows)
