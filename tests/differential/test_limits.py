"""Segments at the checker's depth and size limits run on every engine and agree with the predicate.

The checker accepts nesting up to ``Limits.max_depth`` (50) and up to
``Limits.max_atoms`` (1,000) conditions. Every such segment must run: SQLite's
parser stops near a hundred stack entries ("parser stack overflow") and SQLite
and DuckDB refuse expression trees deeper than 1,000, so the SQL backend
removes double negations, moves the deepest operand of a chain first and groups
long chains (see ``cafehub.compiler.simplify`` and ``values._chain``). Each
shape is generated at the largest size the checker accepts (one more is E0102),
and compared with the reference on each engine by the differential harness.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import cafehub
from cafehub.compiler import ir
from cafehub.compiler.evaluation import EvalContext
from cafehub.compiler.simplify import simplify_negations
from cafehub.store import records as rec
from cafehub.testing.differential import Differential

CTX = EvalContext(now=datetime(2025, 3, 20, tzinfo=UTC), zone=ZoneInfo("Asia/Seoul"), cart_retention_days=7,
                  history_start=date(2024, 1, 1))
AT = datetime(2025, 3, 18, 3)


def _nots(n: int) -> str:
    return "not " * n + "order(status = paid)"


def _not_and(n: int) -> str:  # the "not (order(...) and ...)", n deep
    text = "cart(product = 17)"
    for i in range(n):
        text = f"not (order(status = {'paid' if i % 2 else 'pending'}) and {text})"
    return text


def _alternating(n: int) -> str:
    text = "cart()"
    for i in range(n):
        text = f"(order(status = paid) {'and' if i % 2 else 'or'} {text})"
    return text


def _condition(n: int) -> str:  # and/or/not inside one collection's condition (three-valued)
    text = "status = paid"
    for i in range(n):
        text = f"not (product = {i % 3 + 16} {'and' if i % 2 else 'or'} {text})"
    return f"order({text})"


def _measure(n: int) -> str:
    text = "quantity >= 2"
    for i in range(n):
        text = f"(product = {i % 3 + 16} {'or' if i % 2 else 'and'} not {text})"
    return f"cart({text}).count >= 1 or not cart(not not {text})"


SHAPES: dict[str, Callable[[int], str]] = {
    "nested_not": _nots, "not_and": _not_and, "alternating": _alternating, "condition": _condition,
    "measure": _measure,
}


def _at_limit(shape: Callable[[int], str]) -> str:
    """The deepest segment of ``shape`` the checker accepts (one level more is E0102)."""
    n = 1
    while True:
        try:
            cafehub.check(shape(n + 1))
        except cafehub.SegmentError as error:
            assert error.codes == ["E0102"]
            return shape(n)
        n += 1


def _shop() -> rec.ShopData:
    members = [f"m{k}" for k in range(6)]
    orders = tuple(rec.Order(order_id=f"o{k}", member_id=m, ordered_at=AT - timedelta(days=k),
                             status=("paid", "pending", "canceled")[k % 3], paid_amount=Decimal(k),
                             order_amount=Decimal(k), shipping_fee=Decimal(0))
                   for k, m in enumerate(members) if k != 5)
    items = tuple(rec.OrderItem(f"i{k}", f"o{k}", 16 + k % 3, 1, Decimal(1), Decimal(0)) for k in range(5))
    cart = tuple(rec.CartItem(id=k + 1, member_id=m, product_no=16 + k % 3, quantity=k % 4, price=Decimal(1),
                              option_price=Decimal(0), added_at=AT) for k, m in enumerate(members) if k % 2)
    return rec.ShopData(customers=tuple(rec.Customer(member_id=m) for m in members), orders=orders,
                        order_items=items, cart_items=cart)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_deepest_segments_run_on_every_engine(differential: Differential, shape: str) -> None:
    differential.check(_at_limit(SHAPES[shape]), _shop(), CTX)


def test_a_thousand_conditions_in_one_chain_run_on_every_engine(differential: Differential) -> None:
    # One collection test of 1,000 conditions: a chain a thousand long (grouped in the SQL).
    text = "cart(" + " or ".join(f"product = {k}" for k in range(1_000)) + ")"
    cafehub.check(text)
    with pytest.raises(cafehub.SegmentError):
        cafehub.check(text[:-1] + " or product = 1000)")
    differential.check(text, _shop(), CTX)


MANY_TESTS = {
    "and_of_no": " and ".join(f"no cart(quantity >= 1 and product = {k})" for k in range(500)),
    "or_of_both": " or ".join(f"cart(product = {k}) or order(product = {k + 1})" for k in range(500)),
    # Tests that differ only in a set-field value: one test of all the values (each value was its
    # own subquery on the order's items, and 500 took a minute on DuckDB).
    "and_of_no_set": " and ".join(f"no order(status = paid and product = {k % 400 + 16})" for k in range(500)),
    "and_of_no_set_two_rests": " and ".join(
        f"no order(status = {('paid', 'pending')[k % 2]} and product = {k % 300 + 16})" for k in range(500)),
    "set_tests_and_of_or": "order(" + " and ".join(
        f"(status = paid or product not in [{k}, {k + 1}])" for k in range(16, 516)) + ")",
    "set_tests_or": "order(" + " or ".join(f"product = {k}" for k in range(1_000)) + ")",
    "set_tests_and": "order(" + " and ".join(f"product not in [{k}]" for k in range(100)) + ")",
    "few_stay_apart": " or ".join(f"cart(product = {k})" for k in range(60)) + " or cart()",
    # An or of aggregate tests on one collection: one grouped pass (HAVING ... OR ...). The
    # thousand exceeded DuckDB's expression depth; 500 on paid orders took 46 s there.
    "aggregate_or": " or ".join(f"order().count >= {k}" for k in range(1, 1_001)),
    "aggregate_or_conditions": " or ".join(
        f"order(status = paid).count >= {k % 4 + 1} or order(product = {k}).sum(paid_amount) >= {k}"
        f" or cart(quantity >= {k % 3 + 1}).count_distinct(product) >= 2 or order(product = {k + 1})"
        for k in range(70)),
    # Tests true without rows (a customer without orders passes them): the group is then the
    # complement of the members whose rows fail every test.
    "aggregate_or_empty_holds": " or ".join(
        f"order(product = {k}).count >= 2 or order(status = paid).avg(paid_amount) > {k}" for k in range(35))
        + " or order().count < 1 or no cart(product = 3) or not (order().sum(paid_amount) >= 5)",
    "aggregate_or_negated": "not (" + " or ".join(
        f"order(status = paid).count >= {k % 3 + 1} or not (order(product = {k}).count < 1)" for k in range(40))
        + ") and cart()",
    "true_without_rows_or": " or ".join(
        f"order(status = paid).count < {k % 3} or no cart(product = {k % 3 + 16} and quantity >= {k % 4})"
        for k in range(100)),
    # Over a customer's no rows (m2's orders are all canceled, m5 has none), MariaDB read an
    # or of COUNT(DISTINCT ...) tests in one correlated pass as true.
    "count_distinct_or_no_rows": " or ".join(
        f"order(status != canceled).count_distinct(status) >= {k % 2 + 1}" for k in range(100)),
    "true_for_everyone_or": " or ".join(f"order().count < {k}" for k in range(70)) + " or order()",
}


def _set_shop() -> rec.ShopData:
    """:func:`_shop` with orders of several products and payment methods, and one without either."""
    shop = _shop()
    items = (*shop.order_items, rec.OrderItem("j1", "o1", 18, 1, Decimal(1), Decimal(0)),
             rec.OrderItem("j2", "o3", 16, 2, Decimal(1), Decimal(0)),
             rec.OrderItem("j3", "o3", 19, 1, Decimal(1), Decimal(0)))
    payments = (rec.OrderPayment("o0", "card"), rec.OrderPayment("o0", "cash"), rec.OrderPayment("o2", "card"),
                rec.OrderPayment("o3", "point"))
    order = rec.Order(order_id="o9", member_id="m1", ordered_at=AT, status="paid", paid_amount=Decimal(3),
                      order_amount=Decimal(3), shipping_fee=Decimal(0))
    return replace(shop, orders=(*shop.orders, order), order_items=items, order_payments=payments)


SET_FIELD_TESTS = {
    # Tests of a set field's distinct elements, each a subquery through the elements' join: an or
    # of a thousand exceeded DuckDB's expression depth (and took minutes on PostgreSQL).
    "count_distinct_or": " or ".join(f"order().count_distinct(product) >= {k}" for k in range(2, 1_002)),
    "count_distinct_or_mixed": " or ".join(
        f"order(status = {('paid', 'pending')[k % 2]}).count_distinct(product) >= {k % 4 + 2}"
        f" or order().count_distinct(payment_method) >= {k % 3 + 2} or order(product = {k % 5 + 16})"
        f" or cart().count_distinct(product) > {k % 3 + 1}"
        for k in range(199)),
    # True for a customer without orders (or whose orders have no items): the complement.
    "count_distinct_or_empty_holds": " or ".join(
        f"order(status = paid).count_distinct(product) >= {k % 3 + 2}"
        f" or order().count_distinct(payment_method) < {k % 2}" for k in range(333))
        + " or order().count_distinct(product) < 1",
    # A conjunction of many tests true without rows: one pass, the complement of the members
    # whose rows fail one (each its own subquery, a thousand took a minute on DuckDB).
    "count_distinct_and_empty_holds": " and ".join(
        f"order().count_distinct(product) < {k % 3 + 2} and not (cart().sum(amount) >= {k % 5 + 2})"
        for k in range(150)),
    "count_distinct_and_some_positive": " and ".join(
        f"order(status != canceled).count_distinct(product) >= {k % 2}" for k in range(100)),
    "count_distinct_or_negated": "not (" + " or ".join(
        f"order(status != canceled).count_distinct(product) >= {k % 3 + 1}" for k in range(300)) + ") and order()",
}


@pytest.mark.parametrize("name", sorted(SET_FIELD_TESTS))
def test_a_thousand_set_field_tests_run_on_every_engine(differential: Differential, name: str) -> None:
    text = SET_FIELD_TESTS[name]
    cafehub.check(text)
    differential.check(text, _set_shop(), CTX)


@pytest.mark.parametrize("name", sorted(MANY_TESTS))
def test_a_thousand_collection_tests_run_on_every_engine(differential: Differential, name: str) -> None:
    # Each its own subquery, a thousand made DuckDB's binder exceed its depth of 1,000 (and 600 took
    # over a minute there): past 64 in an or (no ... under and), they are asked as one test.
    text = MANY_TESTS[name]
    cafehub.check(text)
    differential.check(text, _shop(), CTX)


def test_many_tests_of_one_collection_merge_and_few_do_not() -> None:
    many = simplify_negations(cafehub.check(MANY_TESTS["or_of_both"]).ir)
    assert isinstance(many, ir.Or)
    assert sorted(type(i).__name__ + i.collection.value for i in many.items if isinstance(i, ir.Exists)) == [
        "Existscart", "Existsorder"]
    few = cafehub.check(MANY_TESTS["few_stay_apart"]).ir
    assert simplify_negations(few) == few


def test_double_negations_go_and_negations_stay_on_tests() -> None:
    ir = simplify_negations(cafehub.check("not not (not (cart() or not order()) and order(not not status = paid))").ir)
    simplified = cafehub.check("not cart() and order() and order(status = paid)").ir
    assert ir == simplified


def test_an_or_of_many_aggregate_tests_is_one_pass_and_of_few_is_not() -> None:
    # Past 64 positive tests on one collection, an or reads the collection once (the customers'
    # query and one grouped pass; PostgreSQL's shape adds one select); at 64 each keeps its own.
    from sqlglot import exp

    from cafehub.compiler.backends.sql import compile_sql

    def selects(count: int, dialect: str) -> int:
        text = " or ".join(f"order().count >= {k}" for k in range(1, count + 1))
        return len(list(compile_sql(text, dialect=dialect, cache=False).tree.find_all(exp.Select)))

    for dialect in ("sqlite", "duckdb", "mysql", "postgres"):
        assert selects(1_000, dialect) <= 3
        assert selects(64, dialect) > 64


def test_tests_differing_in_one_set_value_are_one_subquery() -> None:
    # ``no order(status = paid and product = k)`` 500 times is ``no order(status = paid and product
    # in [...])``: one subquery on the items, not 500 (a minute on DuckDB).
    from sqlglot import exp

    from cafehub.compiler.backends.sql import compile_sql

    for name in ("and_of_no_set", "and_of_no_set_two_rests", "set_tests_and_of_or"):
        for dialect in ("sqlite", "duckdb", "mysql", "postgres"):
            tree = compile_sql(MANY_TESTS[name], dialect=dialect, cache=False).tree
            assert len(list(tree.find_all(exp.Select))) <= 5, (name, dialect)


# ---------------------------------------------------------------- generated worst shapes
# Each kind of collection test (presence, absence, aggregate tests positive or true without rows,
# tests of a set field's distinct elements, set-field conditions, negations), in every chain shape
# (or, and, their negations, or of ands, and of ors), at the largest size the checker accepts.
# DuckDB plans each subquery of one WHERE on top of the last (depth 1,000 at most, and slow long
# before), so no WHERE over the customers may hold more than 64 of them, on any engine's SQL.

TESTS: dict[str, Callable[[int], str]] = {
    "exists": lambda k: f"order(status = paid and paid_amount >= {k % 5})",
    "no": lambda k: f"no cart(quantity >= {k % 4})",
    "agg": lambda k: f"order(status = paid).count >= {k % 3}",
    "agg_empty": lambda k: f"order().count < {k % 3}",
    "cd": lambda k: f"order().count_distinct(product) >= {k % 3 + 1}",
    "cd_empty": lambda k: f"order().count_distinct(payment_method) < {k % 2 + 1}",
    "not_agg": lambda k: f"not (cart().sum(amount) >= {k % 4})",
    "set_exists": lambda k: f"order(paid_amount >= {k % 5} and product = {k % 4 + 16})",
    "coupon": lambda k: f'coupon(coupon_no = "c{k % 3}")',
}
CHAINS: dict[str, Callable[[Callable[[int], str], Callable[[int], str], int], str]] = {
    "or": lambda a, b, n: " or ".join(a(k) if k % 2 else b(k) for k in range(n)),
    "and": lambda a, b, n: " and ".join(a(k) if k % 2 else b(k) for k in range(n)),
    "not_or": lambda a, b, n: "not (" + " or ".join(a(k) if k % 2 else b(k) for k in range(n)) + ")",
    "not_and": lambda a, b, n: "not (" + " and ".join(a(k) if k % 2 else b(k) for k in range(n)) + ")",
    "or_of_and": lambda a, b, n: " or ".join(f"({a(k)} and {b(k)})" for k in range(n // 2)),
    "and_of_or": lambda a, b, n: " and ".join(f"({a(k)} or {b(k)})" for k in range(n // 2)),
    "or_of_not_and": lambda a, b, n: " or ".join(f"not ({a(k)} and {b(k)})" for k in range(n // 2)),
    # A selective group drives (on PostgreSQL the query is its pass, the other tests in HAVING).
    "driven_and": lambda a, b, n: "order(product = 16 and status = paid) and no order(product = 16 and "
    "paid_amount >= 3) and " + " and ".join(a(k) if k % 2 else b(k) for k in range(n - 5)),
}
PAIRS = [("agg", "cd"), ("cd", "cd_empty"), ("agg_empty", "not_agg"), ("exists", "no"), ("set_exists", "coupon")]


def _largest(chain: str, pair: tuple[str, str]) -> str:
    """The chain of the pair's tests with the most conditions the checker accepts (1,000)."""
    a, b = TESTS[pair[0]], TESTS[pair[1]]
    per_pair = _conditions(a) + _conditions(b)
    n = 2 * (cafehub.Limits().max_atoms // per_pair)
    text = CHAINS[chain](a, b, n)
    cafehub.check(text)
    return text


def _conditions(test: Callable[[int], str]) -> int:
    """How many conditions one ``test`` counts (from the checker's E0103 for a thousand of them)."""
    try:
        cafehub.check(" or ".join(test(k) for k in range(1_000)))
    except cafehub.SegmentError as error:
        assert error.codes == ["E0103"]
        count = int(str(error).split(" conditions")[0].rsplit(" ", 1)[1].replace(",", ""))
        return count // 1_000
    return 1


def _most_subqueries_in_a_customers_where(tree: object) -> int:
    from sqlglot import exp

    def direct(node: exp.Expr) -> int:  # the subqueries of a condition, not those inside them
        return 1 if isinstance(node, exp.Select) else sum(direct(e) for e in node.iter_expressions())

    assert isinstance(tree, exp.Select)
    worst = 0
    for select in tree.find_all(exp.Select):
        source = select.args.get("from_")
        if select is tree or (source is not None and isinstance(source.this, exp.Table)
                              and source.this.name == "customers"):
            for clause in ("where", "having"):
                condition = select.args.get(clause)
                worst = max(worst, direct(condition.this) if condition is not None else 0)
    return worst


# Every chain of every pair on two dialects takes minutes (a thousand conditions compile in
# about a second here): CAFEHUB_LONG=1 runs them all, the default run one case per chain.
LONG = os.environ.get("CAFEHUB_LONG") == "1"
GENERATED = [(chain, pair, dialect) for chain in sorted(CHAINS) for pair in PAIRS
             for dialect in ("duckdb", "mysql", "postgres")]
if not LONG:
    GENERATED = [("and", ("cd", "cd_empty"), "duckdb"), ("or_of_and", ("agg", "cd"), "duckdb"),
                 ("and_of_or", ("agg_empty", "not_agg"), "mysql"), ("or_of_not_and", ("exists", "no"), "mysql"),
                 ("not_and", ("set_exists", "coupon"), "duckdb"), ("not_or", ("agg_empty", "not_agg"), "mysql"),
                 ("or", ("set_exists", "coupon"), "duckdb"), ("driven_and", ("cd", "cd_empty"), "postgres")]


@pytest.mark.parametrize(("chain", "pair", "dialect"), GENERATED,
                         ids=[f"{c}-{'-'.join(p)}-{d}" for c, p, d in GENERATED])
def test_no_accepted_chain_puts_many_subqueries_in_one_where(
        chain: str, pair: tuple[str, str], dialect: str) -> None:
    from cafehub.compiler.backends.sql import compile_sql

    tree = compile_sql(_largest(chain, pair), dialect=dialect, cache=False).tree
    assert _most_subqueries_in_a_customers_where(tree) <= 64


CHUNKED = {
    "or_of_and": " or ".join(
        f"(order(status = paid).count >= {k % 3} and not cart(quantity >= {k % 4}))" for k in range(50)),
    "and_of_or": " and ".join(
        f"(order().count_distinct(product) < {k % 3 + 2} or no cart(quantity >= {k % 4}))" for k in range(100)),
    "driven_and": "order(product = 16 and status = paid) and no order(product = 16 and paid_amount >= 5) and "
    + " and ".join(f"order().count_distinct(payment_method) < {k % 2 + 2}" for k in range(70)),
    "not_and_of_not": "not (" + " and ".join(
        f"not (order().avg(paid_amount) > {k % 4} and cart(quantity >= {k % 4}))" for k in range(70)) + ")",
}


@pytest.mark.parametrize("name", sorted(CHUNKED))
def test_chains_of_many_subqueries_asked_in_parts_agree(differential: Differential, name: str) -> None:
    # Past 64 subqueries, a chain is asked in parts (``c.member_id IN (SELECT c.member_id FROM
    # customers c WHERE <part>)``); null items (avg over no rows) read as false in a part, as
    # they are at segment level.
    differential.check(CHUNKED[name], _set_shop(), CTX)
