"""Stores made when Cafe24 numbers were 32-bit columns are widened in place, rows kept, on every engine."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import BigInteger, Index, Integer, MetaData, Table, create_engine, insert, select

from cafehub.store import io as store_io
from cafehub.store import records as r
from cafehub.store import schema
from cafehub.store.migrate import WIDE_COLUMNS, narrow_columns, upgrade

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]
ISSUE_NO = 6073442924700000532  # 19 digits, as Cafe24 numbers issued coupons


def old_metadata() -> MetaData:
    """The canonical tables as they were created before: every Cafe24 number a 32-bit INTEGER."""
    old = MetaData()
    for table in schema.TABLES:
        columns = []
        for column in table.columns:
            copy = column._copy()
            if isinstance(copy.type, BigInteger):
                copy.type = Integer()
            columns.append(copy)
        copied = Table(table.name, old, *columns)
        for index in table.indexes:
            Index(index.name, *(copied.c[c.name] for c in index.columns))
    return old


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind = request.param
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    if kind == "duckdb":
        pytest.importorskip("duckdb_engine")
        return f"duckdb:///{tmp_path / 'old.duckdb'}"
    return str(request.getfixturevalue(f"{kind}_url"))


def test_the_wide_columns_are_the_cafe24_numbers() -> None:
    assert set(WIDE_COLUMNS) == {("customer_coupons", "id"), ("cart_items", "id"), ("cart_items", "product_no"),
                                 ("order_items", "product_no")}


def test_an_old_store_is_widened_in_place_and_then_takes_19_digit_numbers(url: str) -> None:
    engine = create_engine(url)
    try:
        store_io.drop_schema(engine)
        old = old_metadata()
        old.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(old.tables["customer_coupons"]), [
                {"id": 7, "member_id": "m1", "coupon_no": "6070000000000000001", "issued_at": datetime(2024, 1, 2),
                 "expires_at": datetime(2024, 2, 2), "used_at": None}])
            conn.execute(insert(old.tables["cart_items"]), [
                {"id": 5, "member_id": "m1", "product_no": 36, "quantity": 2, "price": Decimal("1000.00"),
                 "option_price": Decimal("0.00"), "added_at": datetime(2024, 1, 3)}])
        with engine.connect() as conn:
            before = narrow_columns(conn)
        if engine.dialect.name == "sqlite":
            assert before == []  # an SQLite INTEGER already holds 64 bits
        else:
            assert sorted(before) == sorted(WIDE_COLUMNS)

        store_io.create_schema(engine)  # what `cafehub store init` and every sync run

        with engine.connect() as conn:
            assert narrow_columns(conn) == []
            assert conn.execute(select(schema.customer_coupons.c.id)).scalars().all() == [7]
            assert conn.execute(select(schema.cart_items.c.product_no)).scalars().all() == [36]
        assert upgrade(engine) == []  # nothing left to do
        big = r.CustomerCoupon(ISSUE_NO, "m2", "6070000000000000001", datetime(2024, 3, 1), datetime(2024, 4, 1))
        store_io.write_shop(engine, r.ShopData(customer_coupons=(big,)))
        with engine.connect() as conn:
            ids = conn.execute(select(schema.customer_coupons.c.id).order_by(schema.customer_coupons.c.id))
            assert ids.scalars().all() == [7, ISSUE_NO]
    finally:
        store_io.drop_schema(engine)
        engine.dispose()
