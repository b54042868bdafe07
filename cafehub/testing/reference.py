"""A slow, obviously correct evaluator of checked segments: the oracle for differential tests.

It interprets the IR node by node over the store's *tables* (a
:class:`~cafehub.store.records.ShopData`), with none of the machinery of the
real backends: no code generation, no SQL, no per-customer data types. Joins
are nested loops, numbers are :class:`~fractions.Fraction`, instants are aware
UTC datetimes, and unknown is ``None`` with the textbook three-valued tables.
Its only shared code with the backends is the catalog, the IR and
:func:`~cafehub.compiler.evaluation.resolve` (time semantics are defined
there, once).

Use it to test your own filters too::

    >>> import cafehub
    >>> from datetime import datetime, UTC
    >>> from cafehub.compiler.evaluation import EvalContext
    >>> from cafehub.store.records import Customer, ShopData
    >>> reference_ids(cafehub.check("no order()"), ShopData(customers=(Customer("m1"),)),
    ...               EvalContext(now=datetime(2025, 1, 1, tzinfo=UTC)))
    ['m1']
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from cafehub.compiler import ir
from cafehub.compiler.catalog import AggregateFunc, Collection, FieldDef
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext, resolve
from cafehub.grammar.syntax import CmpOp
from cafehub.store.records import ShopData

Row = dict[str, Any]
Truth = bool | None

_OPS: dict[CmpOp, Callable[[Any, Any], bool]] = {
    CmpOp.EQ: operator.eq,
    CmpOp.NE: operator.ne,
    CmpOp.LT: operator.lt,
    CmpOp.LE: operator.le,
    CmpOp.GT: operator.gt,
    CmpOp.GE: operator.ge,
}


def _num(value: Any) -> Any:
    """Numbers as exact fractions; everything else unchanged."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Fraction(value)
    return value


def _instant(value: datetime | None) -> datetime | None:
    """A stored (naive UTC) timestamp as an aware instant."""
    return None if value is None else value.replace(tzinfo=UTC)


def collection_rows(data: ShopData, member_id: str, collection: Collection, ctx: EvalContext) -> list[Row]:
    """The rows of ``collection`` that member ``member_id`` has at ``ctx.now`` (STORE.md)."""
    now = ctx.now_utc
    rows: list[Row] = []
    if collection is Collection.COUPON:
        for cc in data.customer_coupons:
            if cc.member_id != member_id:
                continue
            issued, expires = _instant(cc.issued_at), _instant(cc.expires_at)
            assert issued is not None
            assert expires is not None
            if not (cc.used_at is None and issued <= now and expires >= now):
                continue
            definition = [c for c in data.coupons if c.coupon_no == cc.coupon_no]
            rows.append({
                "coupon_no": cc.coupon_no,
                "name": definition[0].name if definition else None,
                "issue_type": definition[0].issue_type if definition else None,
                "issued_at": issued,
                "expires_at": expires,
            })
        return rows
    if collection is Collection.CART:
        cutoff = ctx.cart_cutoff
        for item in data.cart_items:
            added = _instant(item.added_at)
            assert added is not None
            if item.member_id == member_id and cutoff <= added <= now:
                rows.append({
                    "product": item.product_no,
                    "quantity": item.quantity,
                    "price": _num(item.price),
                    "option_price": _num(item.option_price),
                    "amount": (_num(item.price) + _num(item.option_price)) * item.quantity,
                    "added_at": added,
                })
        return rows
    start = ctx.history_cutoff
    for order in data.orders:
        ordered = _instant(order.ordered_at)
        assert ordered is not None
        if order.member_id is None or order.member_id != member_id or not start <= ordered <= now:
            continue
        rows.append({
            "order_id": order.order_id,
            "ordered_at": ordered,
            "status": order.status,
            "paid_amount": _num(order.paid_amount),
            "order_amount": _num(order.order_amount),
            "product": [i.product_no for i in data.order_items if i.order_id == order.order_id],
            "payment_method": [p.payment_method for p in data.order_payments if p.order_id == order.order_id],
        })
    return rows


def _and(values: list[Truth]) -> Truth:
    if False in values:
        return False
    return None if None in values else True


def _or(values: list[Truth]) -> Truth:
    if True in values:
        return True
    return None if None in values else False


def _not(value: Truth) -> Truth:
    return None if value is None else not value


def _in_range(node: ir.TimeRange, value: datetime, ctx: EvalContext) -> bool:
    if node.lower is not None:
        low = resolve(node.lower.point, ctx)
        if value < low or (value == low and not node.lower.inclusive):
            return False
    if node.upper is not None:
        high = resolve(node.upper.point, ctx)
        if value > high or (value == high and not node.upper.inclusive):
            return False
    return True


def _test(node: ir.Node, value: Any, ctx: EvalContext) -> Truth:
    """A test applied to one (possibly null) value: a field of a row, or an aggregate."""
    if value is None:
        return None
    if isinstance(node, ir.Compare):
        return _OPS[node.op](_num(value), _num(node.value))
    if isinstance(node, ir.InValues):
        found = any(_num(value) == _num(v) for v in node.values)
        return not found if node.negated else found
    if isinstance(node, ir.TimeRange):
        inside = _in_range(node, value, ctx)
        return not inside if node.negated else inside
    if isinstance(node, ir.Contains):
        found = node.needle in value
        return not found if node.negated else found
    raise AssertionError(f"unexpected test {type(node).__name__}")


def _row(node: ir.Node, row: Row, ctx: EvalContext) -> Truth:
    """Three-valued truth of a condition node for one row."""
    if isinstance(node, ir.And):
        return _and([_row(item, row, ctx) for item in node.items])
    if isinstance(node, ir.Or):
        return _or([_row(item, row, ctx) for item in node.items])
    if isinstance(node, ir.Not):
        return _not(_row(node.operand, row, ctx))
    if isinstance(node, ir.AnyOf):
        elements = [e for e in row[node.field.name] if e is not None]
        some = any(_num(e) == _num(v) for e in elements for v in node.values)
        return not some if node.negated else some
    if isinstance(node, (ir.Compare, ir.InValues, ir.TimeRange)):
        assert isinstance(node.operand, FieldDef)
        return _test(node, row[node.operand.name], ctx)
    if isinstance(node, ir.Contains):
        return _test(node, row[node.field.name], ctx)
    raise AssertionError(f"unexpected condition node {type(node).__name__}")


def _matching(data: ShopData, member_id: str, collection: Collection, where: ir.Node | None,
              ctx: EvalContext) -> list[Row]:
    rows = collection_rows(data, member_id, collection, ctx)
    return [row for row in rows if where is None or _row(where, row, ctx) is True]


def aggregate_value(agg: ir.Aggregate, data: ShopData, member_id: str, ctx: EvalContext) -> Any:
    """The aggregate for one member: a number, an instant, or ``None`` (avg/min/max of nothing)."""
    rows = _matching(data, member_id, agg.collection, agg.where, ctx)
    if agg.func is AggregateFunc.COUNT:
        return len(rows)
    assert agg.field is not None
    name = agg.field.name
    if agg.field.type.is_set:
        values = [_num(e) for row in rows for e in row[name] if e is not None]
    else:
        values = [_num(row[name]) for row in rows if row[name] is not None]
    if agg.func is AggregateFunc.COUNT_DISTINCT:
        return len(set(values))
    if agg.func is AggregateFunc.SUM:
        return sum(values, Fraction(0))
    if not values:
        return None
    if agg.func is AggregateFunc.AVG:
        return sum(values, Fraction(0)) / len(values)
    return min(values) if agg.func is AggregateFunc.MIN else max(values)


def evaluate(node: ir.Node, data: ShopData, member_id: str, ctx: EvalContext) -> bool:
    """Two-valued truth of a segment node for one member."""
    if isinstance(node, ir.And):
        return all(evaluate(item, data, member_id, ctx) for item in node.items)
    if isinstance(node, ir.Or):
        return any(evaluate(item, data, member_id, ctx) for item in node.items)
    if isinstance(node, ir.Not):
        return not evaluate(node.operand, data, member_id, ctx)
    if isinstance(node, ir.Exists):
        return bool(_matching(data, member_id, node.collection, node.where, ctx))
    operand = getattr(node, "operand", None)
    assert isinstance(operand, ir.Aggregate), f"segment-level {type(node).__name__} without an aggregate"
    # A null aggregate makes the test false, whatever the operator (two-valued segment level).
    return _test(node, aggregate_value(operand, data, member_id, ctx), ctx) is True


def reference_ids(segment: CheckedSegment | ir.Node, data: ShopData, ctx: EvalContext) -> list[str]:
    """Member ids of the customers matching ``segment``, sorted by code point."""
    node = segment.ir if isinstance(segment, CheckedSegment) else segment
    return sorted(c.member_id for c in data.customers if evaluate(node, data, c.member_id, ctx))


__all__ = ["aggregate_value", "collection_rows", "evaluate", "reference_ids"]
