"""Schema mapping: the compiler runs against a user's own tables, on real engines.

The test shop is written into tables with other names, in other schemas, with
renamed columns (``shop.orders_v2`` with ``order_ts``, ``crm.members`` with
``id``...), and every case must still give the oracle's ids. On MariaDB the
mapped tables use a case-insensitive, PAD SPACE collation and no keys, as a
user's tables might: string equality, ``contains``, ``count_distinct`` and the
member-id joins must stay exact anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Engine, MetaData, String, Table, create_engine, event, insert, text
from sqlalchemy.types import TypeDecorator, TypeEngine

from cafehub.compiler.backends.sql import MappingError, SchemaMapping, compile_sql
from cafehub.execution.sql import run_sql
from cafehub.store import records as r
from cafehub.store.engines import StoreError
from cafehub.store.schema import TABLES

from .conftest import CASES, Case
from .oracle import Oracle
from .shop import CONTEXTS

#: logical table -> (schema role, physical table, renamed columns)
LAYOUT: dict[str, tuple[str, str, dict[str, str]]] = {
    "customers": ("crm", "members", {"member_id": "id"}),
    "orders": ("shop", "orders_v2", {"ordered_at": "order_ts", "member_id": "customer_ref", "status": "state"}),
    "order_items": ("shop", "order_lines", {"product_no": "sku"}),
    "order_payments": ("shop", "payments", {"payment_method": "method"}),
    "cart_items": ("shop", "basket", {"added_at": "created", "price": "unit_price"}),
    "customer_coupons": ("shop", "wallet", {"coupon_no": "code"}),
    "coupons": ("shop", "coupon_defs", {"name": "title", "coupon_no": "code"}),
}


def mapping_for(schemas: dict[str, str]) -> SchemaMapping:
    return SchemaMapping.model_validate({
        "tables": {
            logical: {"table": f"{schemas[role]}.{table}", "columns": columns}
            for logical, (role, table, columns) in LAYOUT.items()
        }
    })


def create_mapped(engine: Engine, schemas: dict[str, str], shop: r.ShopData, *, loose_text: bool = False) -> None:
    """Create the mapped tables and copy the shop into them (no keys when ``loose_text``)."""
    metadata = MetaData()
    tables = {}
    for source in TABLES:
        role, name, renames = LAYOUT[source.name]
        columns = []
        for column in source.columns:
            kind: TypeEngine[Any] = column.type
            base = kind.impl if isinstance(kind, TypeDecorator) else kind
            if loose_text and isinstance(base, String):
                kind = String(base.length, collation="utf8mb4_general_ci")
            columns.append(Column(renames.get(column.name, column.name), kind,
                                  primary_key=column.primary_key and not loose_text, nullable=column.nullable,
                                  autoincrement=False))
        tables[source.name] = Table(name, metadata, *columns, schema=schemas[role])
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for source in TABLES:
            renames = LAYOUT[source.name][2]
            rows = [{renames.get(k, k): v for k, v in r.as_row(rec).items()} for rec in getattr(shop, source.name)]
            if rows:
                conn.execute(insert(tables[source.name]), rows)


@pytest.fixture(scope="module")
def mapped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           shop: r.ShopData) -> Iterator[tuple[Engine, SchemaMapping]]:
    kind = request.param
    if kind == "sqlite":
        directory = tmp_path_factory.mktemp("mapped")
        engine = create_engine(f"sqlite:///{directory / 'main.db'}")

        @event.listens_for(engine, "connect")
        def attach(dbapi_connection: Any, _record: Any) -> None:
            for schema in ("crm", "shop"):
                dbapi_connection.execute(f"ATTACH DATABASE '{directory / schema}.db' AS {schema}")

        schemas = {"crm": "crm", "shop": "shop"}
    elif kind == "duckdb":
        engine = create_engine(f"duckdb:///{tmp_path_factory.mktemp('mapped') / 'mapped.duckdb'}")
        schemas = {"crm": "crm", "shop": "shop"}
        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS crm"))
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS shop"))
    elif kind == "postgres":
        engine = create_engine(request.getfixturevalue("postgres_url"))
        schemas = {"crm": "crm", "shop": "shop"}
        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS crm"))
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS shop"))
    else:
        engine = create_engine(request.getfixturevalue("mysql_url"))
        database = engine.url.database
        assert database is not None
        schemas = {"crm": database, "shop": database}  # MySQL schemas are databases: qualify with the scratch one
    create_mapped(engine, schemas, shop, loose_text=kind == "mysql")
    yield engine, mapping_for(schemas)
    engine.dispose()


ENGINES = [
    pytest.param("sqlite"), pytest.param("duckdb"),
    pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mysql", marks=pytest.mark.mysql),
]


@pytest.mark.parametrize("mapped", ENGINES, indirect=True)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cases_on_mapped_tables(mapped: tuple[Engine, SchemaMapping], oracle: Oracle, case: Case) -> None:
    engine, mapping = mapped
    for name in ("new_york_dst_day", "seoul_march"):
        ctx = CONTEXTS[name]
        verify = case is CASES[0]  # probe the mapped names once per engine; the rest is the same
        assert run_sql(engine, case.checked, ctx, mapping=mapping, verify=verify) == oracle.ids(case.checked.ir, ctx)


@pytest.mark.parametrize("mapped", ENGINES, indirect=True)
def test_missing_mapped_column_is_named(mapped: tuple[Engine, SchemaMapping]) -> None:
    engine, mapping = mapped
    data = mapping.model_dump()
    data["tables"]["orders"]["columns"]["ordered_at"] = "order_time"
    wrong = SchemaMapping.model_validate(data)
    with pytest.raises(StoreError, match=r"has no column 'order_time', mapped from orders\.ordered_at"):
        run_sql(engine, "order()", CONTEXTS["seoul_march"], mapping=wrong)


@pytest.mark.parametrize("mapped", ENGINES, indirect=True)
def test_missing_mapped_table_is_named(mapped: tuple[Engine, SchemaMapping]) -> None:
    engine, mapping = mapped
    data = mapping.model_dump()
    data["tables"]["cart_items"]["table"] = data["tables"]["cart_items"]["table"] + "_gone"
    wrong = SchemaMapping.model_validate(data)
    with pytest.raises(StoreError, match=r"has no table .*basket_gone \(the 'cart_items' table\)"):
        run_sql(engine, "cart()", CONTEXTS["seoul_march"], mapping=wrong)


# ---------------------------------------------------------------- the mapping model


def test_default_mapping_is_the_canonical_store() -> None:
    mapping = SchemaMapping()
    assert mapping.table("orders") == ("orders",)
    assert mapping.column("orders", "ordered_at") == "ordered_at"


def test_default_schema_applies_to_unqualified_tables() -> None:
    mapping = SchemaMapping.model_validate({"default_schema": "wh", "tables": {"orders": {"table": "crm.o"}}})
    assert mapping.table("customers") == ("wh", "customers")
    assert mapping.table("orders") == ("crm", "o")


def test_names_with_dots_and_catalogs() -> None:
    mapping = SchemaMapping.model_validate({"tables": {"orders": {"table": ["my.schema", "orders"]},
                                                       "customers": {"table": "cat.db.members"}}})
    sql = compile_sql("order()", dialect="postgres", mapping=mapping).sql
    assert '"my.schema"."orders"' in sql
    assert '"cat"."db"."members"' in sql


@pytest.mark.parametrize(("document", "message"), [
    ({"tables": {"order": {}}}, "unknown logical table 'order'"),
    ({"tables": {"orders": {"columns": {"order_ts": "x"}}}}, "unknown column 'order_ts' of logical table 'orders'"),
    ({"tables": {"orders": {"table": "a.b.c.d"}}}, "one to three parts"),
    ({"tables": {"orders": {"table": "a..b"}}}, "empty"),
    ({"tables": {"orders": {"columns": {"ordered_at": "x\u0000"}}}}, "NUL"),
    ({"tables": {"orders": {"tabel": "x"}}}, "tabel"),
    ({"default_schema": ""}, "empty"),
])
def test_bad_mappings_say_what_and_where(document: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        SchemaMapping.from_json(document)


def test_mapping_files(tmp_path: Path) -> None:
    good = tmp_path / "m.json"
    good.write_text(json.dumps({"tables": {"orders": {"table": "shop.orders_v2"}}}), encoding="utf-8")
    assert SchemaMapping.from_file(good).table("orders") == ("shop", "orders_v2")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(MappingError, match=r"bad\.json is not valid JSON \(line 1"):
        SchemaMapping.from_file(bad)
    with pytest.raises(MappingError, match="cannot read"):
        SchemaMapping.from_file(tmp_path / "missing.json")


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql", "spark", "bigquery"])
def test_hostile_identifiers_are_quoted(dialect: str) -> None:
    mapping = SchemaMapping.model_validate({"tables": {
        "orders": {"table": 'x"; DROP TABLE t; --.`y`', "columns": {"ordered_at": "a]`\"b"}}}})
    sql = compile_sql("order(ordered_at within last 1d)", dialect=dialect, mapping=mapping).sql
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read=dialect)
    tables = [t for t in tree.find_all(exp.Table) if t.name != "customers"]
    assert {(t.db, t.name) for t in tables} == {('x"; DROP TABLE t; --', "`y`")}
    assert "a]`\"b" in {c.name for c in tree.find_all(exp.Column)}


def test_hostile_identifiers_run_on_sqlite(tmp_path: Path, shop: r.ShopData, oracle: Oracle) -> None:
    """A table and a column whose names hold quotes really are read (SQLAlchemy quotes them on creation)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'weird.db'}")
    metadata = MetaData()
    Table('or"ders; --', metadata, Column("order_id", String), Column("member_id", String),
                   Column('ordered"at', String), Column("status", String), Column("paid_amount", String),
                   Column("order_amount", String))
    metadata.create_all(engine)
    from cafehub.store import io

    io.create_schema(engine)
    io.write_shop(engine, r.ShopData(customers=shop.customers))
    with engine.begin() as conn:
        from cafehub.store.schema import orders as canonical

        rows = [dict(r.as_row(o)) for o in shop.orders]
        conn.execute(insert(canonical), rows)
        conn.execute(text('INSERT INTO "or""ders; --" SELECT order_id, member_id, ordered_at, status, paid_amount, '
                          "order_amount FROM orders"))
    mapping = SchemaMapping.model_validate({"tables": {"orders": {"table": 'or"ders; --',
                                                                  "columns": {"ordered_at": 'ordered"at'}}}})
    ctx = CONTEXTS["seoul_march"]
    segment = "order(ordered_at within last 30d)"
    from cafehub import check

    assert run_sql(engine, segment, ctx, mapping=mapping) == oracle.ids(check(segment).ir, ctx)
    engine.dispose()
