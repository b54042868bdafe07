"""Live membership on every engine: the verdicts are those of running each saved segment and looking for the id."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, event

from cafehub import EvalContext
from cafehub.execution.sql import run_sql
from cafehub.registry import SegmentNotFound, SegmentRegistry
from cafehub.registry.membership import CustomerNotFound, LiveMembership
from cafehub.store import records as rec
from cafehub.store.io import write_shop
from cafehub.testing import eval_contexts, hints_for, shop_data
from cafehub.testing.budget import budget
from cafehub.testing.composition import compositions
from cafehub.testing.engines import canonical_engine

BUDGET = {"sqlite": 40, "duckdb": 25, "postgresql": 15, "mysql": 15}
_names = itertools.count(1)


def test_membership_equals_running_each_saved_segment(store: Engine, shop: str) -> None:
    @budget(BUDGET[store.dialect.name])
    @given(st.data())
    def agree(data: st.DataObject) -> None:
        # A fresh shop id per example: the saved segments of one example are all the shop has.
        registry = SegmentRegistry(store, f"{shop}-{next(_names)}")
        ctx = data.draw(eval_contexts())
        case = data.draw(compositions(ctx))
        for name, versions in case.saved.items():
            for text_ in versions:
                registry.save(name, text_, saved_by="t")
        registry.save("top", case.text, saved_by="t")
        checked = registry.checked("top")
        shop_rows = data.draw(shop_data(ctx, hints=hints_for(checked.ir, ctx), max_customers=4))
        write_shop(store, shop_rows, replace=True)
        names = [*case.saved, "top"]
        members = {name: set(run_sql(store, registry.checked(name), ctx)) for name in names}
        live = LiveMembership(registry)
        for customer in shop_rows.customers:
            found = live.membership(customer.member_id, ctx)
            assert [v.name for v in found.verdicts] == sorted(names)
            assert found.segments == sorted(n for n in names if customer.member_id in members[n])
            explained = live.membership(customer.member_id, ctx, explain=True)
            assert [v.matches for v in explained.verdicts] == [v.matches for v in found.verdicts]
            assert all(v.explanation is not None and v.explanation.matches == v.matches for v in explained.verdicts)

    agree()


NOW = EvalContext(now=datetime(2025, 6, 1, tzinfo=UTC))


def one_shop() -> rec.ShopData:
    return rec.ShopData(
        customers=(rec.Customer("m1"), rec.Customer("m2")),
        orders=(rec.Order("o1", "m1", datetime(2025, 5, 1), "paid", 0, 0, 0),
                rec.Order("o2", "m2", datetime(2025, 5, 2), "canceled", 0, 0, 0)),
        cart_items=(rec.CartItem(1, "m1", 17, 1, 1000, 0, datetime(2025, 5, 31)),),
    )


def test_a_new_version_reaches_the_segments_that_follow_it_and_no_others(store: Engine, shop: str) -> None:
    write_shop(store, one_shop(), replace=True)
    registry = SegmentRegistry(store, shop)
    registry.save("buyers", "order(status = paid)", saved_by="a")
    registry.save("buyers-in-cart", 'segment("buyers") and cart()', saved_by="a")
    registry.save("first-buyers", 'segment("buyers", version = 1)', saved_by="a")
    live = LiveMembership(registry)
    assert live.membership("m1", NOW).segments == ["buyers", "buyers-in-cart", "first-buyers"]
    assert live.membership("m2", NOW).segments == []
    compiled = dict(live._compiled)
    registry.save("buyers", "order(status = canceled)", saved_by="b")
    assert live.membership("m1", NOW).segments == ["first-buyers"]
    assert live.membership("m2", NOW).segments == ["buyers"]
    assert live._compiled["first-buyers"] is compiled["first-buyers"]  # pinned: not recompiled
    assert live._compiled["buyers-in-cart"] is not compiled["buyers-in-cart"]
    registry.delete("first-buyers", deleted_by="b")
    assert [v.name for v in live.membership("m1", NOW).verdicts] == ["buyers", "buyers-in-cart"]


def test_unknown_customers_and_segments(store: Engine, shop: str) -> None:
    write_shop(store, one_shop(), replace=True)
    registry = SegmentRegistry(store, shop)
    registry.save("buyers", "order(status = paid)", saved_by="a")
    live = LiveMembership(registry)
    with pytest.raises(CustomerNotFound):
        live.membership("nobody", NOW)
    with pytest.raises(SegmentNotFound, match="did you mean 'buyers'"):
        live.membership("m1", NOW, names=["buyer"])
    only = live.membership("m1", NOW, names=["buyers"], explain=True)
    assert [(v.name, v.matches) for v in only.verdicts] == [("buyers", True)]
    assert only.to_dict()["verdicts"][0]["explanation"]["root"]["kind"] == "exists"


def test_only_the_customers_rows_are_read_and_through_indexes(tmp_path: Path) -> None:
    """On SQLite, a membership is one statement (the registry's latest versions and the customer's rows in
    every table) and every table in it is searched through an index, never scanned."""
    engine = canonical_engine(f"sqlite:///{tmp_path / 'store.db'}")
    write_shop(engine, one_shop())
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid).count >= 1 and cart(product = 17)", saved_by="a")
    registry.save("coupon-holders", "coupon(issue_type = signup)", saved_by="a")
    live = LiveMembership(registry)
    live.membership("m1", NOW)  # compile outside the watch
    seen: list[tuple[str, Any]] = []

    def watch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", watch)
    assert live.membership("m1", NOW).segments == ["buyers"]
    event.remove(engine, "before_cursor_execute", watch)
    (statement, parameters), = seen
    assert "m1" in parameters
    assert statement.count("UNION ALL") == 6
    with engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    assert not [step for step in plan if "SCAN" in step], plan
    assert sum("SEARCH" in step for step in plan) >= 8, plan
    engine.dispose()
