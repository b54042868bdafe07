"""Time bounds on every kind of timestamp column, in sessions whose time zone is not UTC.

A mapped timestamp column holds zone-less UTC (``timestamp``, MySQL ``DATETIME``) or
instants (``timestamptz``, DuckDB ``TIMESTAMPTZ``, MySQL ``TIMESTAMP``; on SQLite, ISO
8601 text with offsets). The test shop is written into tables of each kind on each
engine, and every case is run from sessions in other zones (Seoul, New York: the
session zone is what turns a zone-less bound into the wrong instant), with the kind
read from the database and with it declared in the mapping; the ids must be the
oracle's every time.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import DateTime, Engine, String, create_engine, event
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

from cafehub.compiler.backends.sql import SchemaMapping, compile_sql
from cafehub.compiler.backends.sql.mapping import TimeKind
from cafehub.execution.sql import compile_for_engine, run_compiled, run_sql
from cafehub.store import records as r
from cafehub.store.engines import StoreError

from .conftest import CASES
from .oracle import Oracle
from .prefixed import prefixed_mapping, write_prefixed
from .shop import CONTEXTS

PREFIX = "k_"


@dataclass(frozen=True)
class Store:
    """The test shop in tables whose timestamps are of one kind, and engines in several session zones."""

    name: str
    kind: TimeKind
    engines: tuple[Engine, ...]

    def mapping(self, *, declared: bool) -> SchemaMapping:
        return prefixed_mapping(PREFIX, self.kind if declared else None)


def _iso_text(value: datetime, rng: random.Random) -> str:
    """A naive UTC instant as ISO 8601 text in one of the forms other programs write."""
    zone = rng.choice([None, "Z", "+09:00", "-05:00", "+05:45", "+00:00"])
    local = value.replace(tzinfo=UTC)
    if zone not in (None, "Z"):
        sign = 1 if zone[0] == "+" else -1
        local = local.astimezone(timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))))
    text = local.strftime("%Y-%m-%d") + rng.choice(["T", " "]) + local.strftime("%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}".rstrip("0")
    return text + ("" if zone is None else zone)


def _in_zone(url: str, engine_name: str, zone: str, **kwargs: Any) -> Engine:
    """An engine whose every session runs in ``zone`` (MariaDB without zone tables: an offset)."""
    if engine_name == "postgres":
        return create_engine(url, connect_args={"options": f"-c timezone={zone}"}, **kwargs)
    engine = create_engine(url, **kwargs)
    statement = {"mysql": "SET time_zone = '{}'", "duckdb": "SET TimeZone = '{}'"}[engine_name].format(zone)

    @event.listens_for(engine, "connect")
    def set_zone(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    return engine


ZONES = {"postgres": ("Asia/Seoul", "America/New_York"), "duckdb": ("Asia/Seoul", "America/New_York"),
         "mysql": ("+09:00", "-05:00")}

STORES = [
    pytest.param(("sqlite", "zoned"), id="sqlite-iso-text"),
    pytest.param(("duckdb", "utc"), id="duckdb-timestamp"),
    pytest.param(("duckdb", "zoned"), id="duckdb-timestamptz"),
    pytest.param(("postgres", "utc"), id="postgres-timestamp", marks=pytest.mark.postgres),
    pytest.param(("postgres", "zoned"), id="postgres-timestamptz", marks=pytest.mark.postgres),
    pytest.param(("mysql", "utc"), id="mysql-datetime", marks=pytest.mark.mysql),
    pytest.param(("mysql", "zoned"), id="mysql-timestamp", marks=pytest.mark.mysql),
]


@pytest.fixture(scope="module", params=STORES)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          shop: r.ShopData) -> Iterator[Store]:
    name, kind = request.param
    engines: list[Engine] = []
    if name == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('kinds') / 'iso.db'}")
        rng = random.Random(7)
        write_prefixed(engine, shop, PREFIX, time_type=String(), convert=lambda v: _iso_text(v, rng))
        engines.append(engine)
    elif name == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('kinds') / 'kinds.duckdb'}"
        loader = create_engine(url)
        zoned = kind == "zoned"
        write_prefixed(loader, shop, PREFIX, time_type=DateTime(timezone=zoned),
                       convert=(lambda v: v.replace(tzinfo=UTC)) if zoned else (lambda v: v))
        loader.dispose()
        engines.extend(_in_zone(url, name, zone) for zone in ZONES[name])
    else:
        url = request.getfixturevalue("postgres_url" if name == "postgres" else "mysql_url")
        if name == "postgres":
            time_type: TypeEngine[Any] = DateTime(timezone=kind == "zoned")
        else:
            time_type = mysql.TIMESTAMP(fsp=6) if kind == "zoned" else mysql.DATETIME(fsp=6)
        # Written from a UTC session with instants, so the stored instants are the shop's.
        loader = _in_zone(url, name, "+00:00" if name == "mysql" else "UTC")
        write_prefixed(loader, shop, PREFIX, time_type=time_type,
                       convert=(lambda v: v.replace(tzinfo=UTC)) if name == "postgres" else (lambda v: v))
        loader.dispose()
        engines.extend(_in_zone(url, name, zone) for zone in ZONES[name])
    yield Store(name, kind, tuple(engines))
    for engine in engines:
        engine.dispose()


CONTEXT_NAMES = ("new_york_dst_day", "seoul_march")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cases_on_every_time_kind_in_other_zones(store: Store, oracle: Oracle, case: Any) -> None:
    """The kind declared in the mapping (in the first zone) and read from the database (in the
    second; not on SQLite, whose column types cannot tell)."""
    ways = [(store.engines[0], True)]
    if store.name != "sqlite":
        ways.append((store.engines[-1], False))
    for engine, declared in ways:
        mapping = store.mapping(declared=declared)
        for name in CONTEXT_NAMES:
            ctx = CONTEXTS[name]
            got = run_sql(engine, case.checked, ctx, mapping=mapping, verify=not declared)
            assert got == oracle.ids(case.checked.ir, ctx), (engine.url, declared, name)


def test_a_declared_kind_the_database_contradicts_is_an_error(store: Store) -> None:
    if store.name == "sqlite":
        pytest.skip("SQLite's column types do not say how timestamps are written")
    wrong: TimeKind = "utc" if store.kind == "zoned" else "zoned"
    mapping = Store(store.name, wrong, store.engines).mapping(declared=True)
    with pytest.raises(StoreError, match=rf"is .* \('{store.kind}' times\), but the query was compiled for "
                                         rf"'{wrong}' times of orders\.ordered_at"):
        run_sql(store.engines[0], "order()", CONTEXTS["seoul_march"], mapping=mapping)


def test_a_query_compiled_for_another_kind_is_refused(store: Store) -> None:
    if store.name == "sqlite" or store.kind == "utc":
        pytest.skip("only a zoned column contradicts the default")
    engine = store.engines[0]
    compiled = compile_for_engine(engine, "order(ordered_at within last 3d)", mapping=store.mapping(declared=False))
    with pytest.raises(StoreError, match=r"\('zoned' times\), but the query was compiled for 'utc' times"):
        run_compiled(engine, compiled, CONTEXTS["seoul_march"])


@pytest.mark.parametrize("dialect", ["postgres", "duckdb", "mysql", "sqlite", "spark", "bigquery"])
def test_zoned_bounds_are_instants(dialect: str) -> None:
    """What the bound of a zoned column is, per dialect (the engines above run four of them)."""
    mapping = SchemaMapping.model_validate({"tables": {"orders": {"times": {"ordered_at": "zoned"}}}})
    compiled = compile_sql("order(ordered_at within last 3d) and cart()", dialect=dialect, mapping=mapping)
    names = {p.name for p in compiled.params}
    ctx = CONTEXTS["seoul_march"]
    values = compiled.parameters(ctx)
    if dialect == "mysql":
        assert "UNIX_TIMESTAMP(`o`.`ordered_at`)" in compiled.sql
        assert {"now_epoch", "t1_epoch", "history_start_epoch", "now", "cart_start"} <= names
        assert values["now_epoch"] == ctx.now_utc.timestamp()
    elif dialect == "sqlite":
        assert 'SUBSTR("o"."ordered_at", 1, 19) ||' in compiled.sql
        assert "STRFTIME(" in compiled.sql
        assert names == {"now", "t1", "history_start", "cart_start"}
    else:
        assert {"now_tz", "t1_tz", "history_start_tz", "now", "cart_start"} <= names
        assert values["now_tz"] == ctx.now_utc
        assert values["now_tz"].utcoffset() is not None
    assert "cart_start_tz" not in names  # the cart's own column is still zone-less


def test_times_name_only_timestamp_columns() -> None:
    from cafehub.compiler.backends.sql import MappingError

    with pytest.raises(MappingError, match="'status' is not a timestamp column of logical table 'orders'"):
        SchemaMapping.from_json({"tables": {"orders": {"times": {"status": "zoned"}}}})
    with pytest.raises(MappingError, match=r"tables\.orders\.times\.ordered_at"):
        SchemaMapping.from_json({"tables": {"orders": {"times": {"ordered_at": "local"}}}})
