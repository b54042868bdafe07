"""The columnar bulk reader: several segments over one read equal the row path and SQL on every engine.

``run_predicates`` reads only the tables, columns and rows its segments
need, as tuples, and evaluates predicates compiled for that tuple layout;
these tests hold it to the row path (whole ``CustomerData`` objects, the
compiled predicate as the explain and membership code use it) and to the
SQL backend, and check that values it cannot read are reported with their
table, column and row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

import cafehub
from cafehub.compiler.backends.python import compile_predicate
from cafehub.compiler.backends.python.reads import MAX_LISTED_ELEMENTS, reads_of_all
from cafehub.compiler.catalog import Collection
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.bulk import Plan, plan_for, run_predicates
from cafehub.execution.python import load_customer, run_predicate
from cafehub.execution.sql import run_sql
from cafehub.store import records as rec
from cafehub.store.engines import StoreError
from cafehub.testing import Scenario, scenarios
from cafehub.testing.budget import budget
from cafehub.testing.engines import load
from cafehub.testing.segments import segments

NOW = datetime(2025, 3, 1, tzinfo=UTC)
CTX = EvalContext(now=NOW)
AT = (NOW - timedelta(days=1)).replace(tzinfo=None)


def _plan(*texts: str) -> Plan:
    return plan_for([cafehub.check(t).ir for t in texts])


# ---------------------------------------------------------------- what is read


def test_only_the_collections_and_attributes_a_segment_reads() -> None:
    plan = _plan("order(status = paid).count >= 3")
    assert plan.collections == (Collection.ORDER,)
    assert plan.attributes[Collection.ORDER] == ("ordered_at", "status")
    assert plan.elements == {}


def test_a_shared_read_is_the_union_of_the_segments_reads() -> None:
    plan = _plan("coupon(expires_at within next 1d)", "cart().sum(amount) >= 100", "order(product = 42)",
                 "no order(product in [43, 44])")
    assert plan.collections == (Collection.COUPON, Collection.CART, Collection.ORDER)
    assert plan.attributes[Collection.COUPON] == ("expires_at", "issued_at", "used_at")
    assert plan.attributes[Collection.CART] == ("added_at", "amount")
    assert plan.elements == {"product": frozenset({42, 43, 44})}


def test_a_set_field_used_otherwise_than_against_listed_values_is_read_in_full() -> None:
    assert _plan("order(product = 42)", "order().count_distinct(product) >= 2").elements == {"product": None}
    many = ", ".join(str(i) for i in range(MAX_LISTED_ELEMENTS + 1))
    assert reads_of_all([cafehub.check(f"order(product in [{many}])").ir]).elements[
        (Collection.ORDER, "product")] is None


def test_a_predicate_compiled_for_a_tuple_layout_reads_tuples() -> None:
    plan = _plan("order(status = paid and product = 7)")
    source = compile_predicate(cafehub.check("order(status = paid and product = 7)"), layout=plan.layout).source
    assert "r[" in source
    assert ".status" not in source
    assert ".orders" not in source


# ---------------------------------------------------------------- equal to the row path and SQL


def _tricky() -> rec.ShopData:
    ids = ["a", "B", "b", "é", "e\u0301", "m1", "m1 ", "M1", "가"]
    return rec.ShopData(
        customers=tuple(rec.Customer(m) for m in ids),
        coupons=(rec.Coupon("C1", "welcome 10%", "signup"),),
        customer_coupons=tuple(rec.CustomerCoupon(i, m, "C1" if i % 2 else "C9", AT, AT + timedelta(days=3))
                               for i, m in enumerate(ids, start=1)),
        cart_items=tuple(rec.CartItem(i, m, 17, i, Decimal("1.05") * i, Decimal("0.10"), AT)
                         for i, m in enumerate(ids, start=1)),
        orders=tuple(
            rec.Order(order_id=f"o{i}", member_id=m if i < len(ids) else None, ordered_at=AT,
                      status="paid" if i % 2 else "pending", paid_amount=Decimal("1.05") * i,
                      order_amount=Decimal("1.05") * i, shipping_fee=Decimal(0))
            for i, m in enumerate([*ids, "guest"])
        ),
        order_items=tuple(rec.OrderItem(f"i{i}", f"o{i}", 17 + i % 3, 1, Decimal("1.05"), Decimal(0))
                          for i in range(len(ids) + 1)),
        order_payments=tuple(rec.OrderPayment(f"o{i}", "card") for i in range(0, len(ids), 2)),
    )


SEGMENTS = [
    "order(status = paid and product in [17, 18])",
    "no order(payment_method = card)",
    "order().sum(paid_amount) >= 5.25",
    "coupon(name contains \"10%\") or cart().sum(amount) >= 10",
    "coupon(issue_type = signup and expires_at within next 5d)",
    "order().count_distinct(product) >= 1 and cart(product = 17)",
]


@pytest.mark.parametrize("batch_size", [1, 4, None])
def test_several_segments_in_one_read_equal_the_row_path_and_sql(store: Engine, batch_size: int | None) -> None:
    load(store, _tricky())
    checked = [cafehub.check(s) for s in SEGMENTS]
    shared = run_predicates(store, checked, CTX, batch_size=batch_size)
    rows = [run_predicate(store, compile_predicate(c), CTX, batch_size=batch_size or 1000) for c in checked]
    assert shared == rows
    assert shared == [run_sql(store, c, CTX) for c in checked]
    assert all(shared)  # no case is vacuous


@budget(20)
@given(scenarios(), st.data(), st.sampled_from([1, 3, None]))
def test_a_shared_read_equals_the_row_path_and_sql_on_random_shops(
    store: Engine, case: Scenario, data: st.DataObject, batch_size: int | None
) -> None:
    others = data.draw(st.lists(segments(case.ctx, max_leaves=3), max_size=2))
    checked = [cafehub.check(s) for s in (case.segment, *others)]
    load(store, case.data)
    shared = run_predicates(store, checked, case.ctx, batch_size=batch_size)
    assert shared == [run_predicate(store, compile_predicate(c), case.ctx) for c in checked]
    assert shared == [run_sql(store, c, case.ctx) for c in checked]


# ---------------------------------------------------------------- values that cannot be read


UNREADABLE = [
    ("UPDATE cart_items SET price = 'about 5' WHERE id = 2", "cart().sum(amount) >= 1",
     "cart_items.price cannot be read in the row whose id is 2: not a number"),
    ("UPDATE orders SET paid_amount = 'n/a' WHERE order_id = 'o1'", "order().sum(paid_amount) >= 1",
     "orders.paid_amount cannot be read in the row whose order_id is 'o1': not a number"),
    ("UPDATE cart_items SET quantity = 'two' WHERE id = 3", "cart(quantity >= 2)",
     "cart_items.quantity cannot be read in the row whose id is 3: not an integer"),
    ("UPDATE orders SET ordered_at = '2025-02-30 10:00:00' WHERE order_id = 'o2'", "order()",
     "orders.ordered_at cannot be read in the row whose order_id is 'o2': not a timestamp"),
    ("UPDATE customer_coupons SET expires_at = '2025-03-02 00:00:00+09:00' WHERE id = 1", "coupon()",
     "customer_coupons.expires_at cannot be read in the row whose id is 1: a timestamp with a UTC offset"),
    ("UPDATE order_items SET product_no = 'x17' WHERE order_item_code = 'i1'", "order().count_distinct(product) >= 2",
     "order_items.product_no cannot be read in the row whose order_id is 'o1': not an integer"),
    ("UPDATE orders SET status = X'70616964' WHERE order_id = 'o3'", "order(status = paid)",
     "orders.status cannot be read in the row whose order_id is 'o3': not text"),
]


@pytest.mark.parametrize(("update", "segment", "message"), UNREADABLE)
def test_an_unreadable_value_names_table_column_and_row(
    sqlite_store: Engine, update: str, segment: str, message: str
) -> None:
    load(sqlite_store, _tricky())
    with sqlite_store.begin() as conn:
        conn.execute(text(update))
    with pytest.raises(StoreError) as caught:
        run_predicates(sqlite_store, [segment], CTX)
    assert str(caught.value).startswith(message)
    for value in ("about 5", "n/a", "two", "02-30", "x17"):
        assert value not in str(caught.value)


#: The member whose row each UPDATE of UNREADABLE spoils.
_SPOILT = ["B", "B", "b", "b", "a", "B", "é"]


@pytest.mark.parametrize(("case", "member"), list(zip(UNREADABLE, _SPOILT, strict=True)))
def test_the_row_path_names_an_unreadable_value_as_the_bulk_reader_does(
    sqlite_store: Engine, case: tuple[str, str, str], member: str
) -> None:
    # explain and membership read one customer (load_customer); a compiled predicate reads whole customers.
    update, segment, message = case
    load(sqlite_store, _tricky())
    with sqlite_store.begin() as conn:
        conn.execute(text(update))
    for read in (lambda: load_customer(sqlite_store, member),
                 lambda: run_predicate(sqlite_store, compile_predicate(cafehub.check(segment)), CTX)):
        with pytest.raises(StoreError) as caught:
            read()
        assert str(caught.value).startswith(message)
    assert load_customer(sqlite_store, "가") is not None  # other customers' rows are still read
