"""Building the demo shop in a store, on every engine: exactly the generated rows, replaced on rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, inspect

from cafehub.demo.consents import with_consents
from cafehub.demo.generator import DemoSettings, generate_shop
from cafehub.demo.shop import build
from cafehub.store import records as r
from cafehub.store.engines import StoreError, check_store, open_engine
from cafehub.store.formats import SPEC_BY_NAME
from cafehub.store.io import create_schema, read_shop, write_shop

NOW = datetime(2025, 12, 1, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def sorted_shop(data: r.ShopData) -> r.ShopData:
    return r.ShopData(
        **{name: tuple(sorted(rows, key=SPEC_BY_NAME[name].key_of)) for name, rows in data.tables().items()}
    )


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
    ]
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    kind = request.param
    if kind in ("sqlite", "duckdb"):
        url = f"{kind}:///{tmp_path / ('demo.' + kind)}"
    else:
        url = request.getfixturevalue("postgres_url" if kind == "postgres" else "mysql_url")
    created = open_engine(url)
    yield created
    created.dispose()


def test_build_writes_exactly_the_generated_shop_and_a_rebuild_replaces_it(engine: Engine) -> None:
    first = DemoSettings(customers=150, seed=1, now=NOW, chunk=40)
    second = DemoSettings(customers=120, seed=2, now=NOW, chunk=50)
    report = build(engine, first, force=True)
    built = with_consents(generate_shop(first), first.seed)
    assert report.rows == {name: len(rows) for name, rows in built.tables().items()}
    progress: list[tuple[int, int]] = []
    build(engine, second, progress=lambda done, rows: progress.append((done, rows)))
    assert read_shop(engine) == sorted_shop(with_consents(generate_shop(second), second.seed))
    assert [done for done, _ in progress] == [50, 100, 120]
    check_store(engine)
    if engine.dialect.name == "sqlite":  # indexes are dropped for the load and rebuilt after it
        names = {index["name"] for index in inspect(engine).get_indexes("orders")}
        assert names == {"ix_orders_member_id", "ix_orders_member_id_ordered_at"}


def test_build_refuses_a_store_with_other_data_and_leaves_it_alone(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'real.db'}")
    create_schema(engine)
    mine = r.ShopData(coupons=(r.Coupon("c1", "My own coupon", "signup"),))
    write_shop(engine, mine)
    with pytest.raises(StoreError, match="holds data that is not a demo shop"):
        build(engine, DemoSettings(customers=5, now=NOW))
    assert read_shop(engine) == mine
    build(engine, DemoSettings(customers=5, now=NOW), force=True)
    assert len(read_shop(engine).customers) == 5
    engine.dispose()
