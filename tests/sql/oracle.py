"""An independent, deliberately naive evaluation of a segment's IR over records.

One loop per customer, one list per collection, Python values throughout:
no SQL, no shapes, no scaling. It exists to be obviously right, so that when
every engine agrees with each other *and* with this, the agreement means
something. Row conditions use three-valued logic (``None`` is unknown), the
segment level is two-valued, ``avg`` is an exact fraction, and time bounds
come from ``evaluation.resolve`` (the one definition of time semantics).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from cafehub.compiler import ir
from cafehub.compiler.catalog import AggregateFunc, Collection
from cafehub.compiler.evaluation import EvalContext, resolve, to_naive_utc
from cafehub.grammar.syntax import CmpOp
from cafehub.store import records as r

Row = dict[str, Any]
OPS: dict[CmpOp, Callable[[Any, Any], bool]] = {
    CmpOp.EQ: operator.eq, CmpOp.NE: operator.ne, CmpOp.LT: operator.lt,
    CmpOp.LE: operator.le, CmpOp.GT: operator.gt, CmpOp.GE: operator.ge,
}


def _number(value: Any) -> Any:
    return Fraction(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else value


class Oracle:
    def __init__(self, shop: r.ShopData) -> None:
        self.shop = shop
        definitions = {c.coupon_no: c for c in shop.coupons}
        self.coupons: dict[str, list[tuple[r.CustomerCoupon, r.Coupon | None]]] = defaultdict(list)
        for cc in shop.customer_coupons:
            self.coupons[cc.member_id].append((cc, definitions.get(cc.coupon_no)))
        self.cart: dict[str, list[r.CartItem]] = defaultdict(list)
        for item in shop.cart_items:
            self.cart[item.member_id].append(item)
        self.orders: dict[str, list[r.Order]] = defaultdict(list)
        for order in shop.orders:
            if order.member_id is not None:
                self.orders[order.member_id].append(order)
        self.products: dict[str, list[int]] = defaultdict(list)
        for oi in shop.order_items:
            self.products[oi.order_id].append(oi.product_no)
        self.methods: dict[str, list[str]] = defaultdict(list)
        for op in shop.order_payments:
            self.methods[op.order_id].append(op.payment_method)

    def ids(self, node: ir.Node, ctx: EvalContext) -> list[str]:
        return sorted(c.member_id for c in self.shop.customers if self.segment(node, c.member_id, ctx))

    # ------------------------------------------------------------ rows of one customer

    def rows(self, member: str, collection: Collection, ctx: EvalContext) -> list[Row]:
        now = to_naive_utc(ctx.now_utc)
        if collection is Collection.COUPON:
            return [
                {"coupon_no": cc.coupon_no, "name": d.name if d else None, "issue_type": d.issue_type if d else None,
                 "issued_at": cc.issued_at, "expires_at": cc.expires_at}
                for cc, d in self.coupons[member]
                if cc.used_at is None and cc.issued_at <= now and cc.expires_at >= now
            ]
        if collection is Collection.CART:
            cutoff = to_naive_utc(ctx.cart_cutoff)
            return [
                {"product": i.product_no, "quantity": i.quantity, "price": i.price, "option_price": i.option_price,
                 "amount": (i.price + i.option_price) * i.quantity, "added_at": i.added_at}
                for i in self.cart[member]
                if cutoff <= i.added_at <= now
            ]
        start = to_naive_utc(ctx.history_cutoff)
        return [
            {"order_id": o.order_id, "ordered_at": o.ordered_at, "status": o.status, "paid_amount": o.paid_amount,
             "order_amount": o.order_amount, "product": self.products[o.order_id],
             "payment_method": self.methods[o.order_id]}
            for o in self.orders[member]
            if start <= o.ordered_at <= now
        ]

    # ------------------------------------------------------------ segment level: two-valued

    def segment(self, node: ir.Node, member: str, ctx: EvalContext) -> bool:
        if isinstance(node, ir.And):
            return all(self.segment(i, member, ctx) for i in node.items)
        if isinstance(node, ir.Or):
            return any(self.segment(i, member, ctx) for i in node.items)
        if isinstance(node, ir.Not):
            return not self.segment(node.operand, member, ctx)
        if isinstance(node, ir.Exists):
            return any(self.matches(node.where, row, ctx) for row in self.rows(member, node.collection, ctx))
        assert isinstance(node, (ir.Compare, ir.InValues, ir.TimeRange))
        assert isinstance(node.operand, ir.Aggregate)
        value = self.aggregate(node.operand, member, ctx)
        if value is None:
            return False
        return self.test(node, value, ctx) is True

    def aggregate(self, agg: ir.Aggregate, member: str, ctx: EvalContext) -> Any:
        rows = [row for row in self.rows(member, agg.collection, ctx) if self.matches(agg.where, row, ctx)]
        if agg.func is AggregateFunc.COUNT:
            return len(rows)
        assert agg.field is not None
        name = agg.field.name
        if agg.field.type.is_set:
            values = [v for row in rows for v in row[name] if v is not None]
        else:
            values = [row[name] for row in rows if row[name] is not None]
        if agg.func is AggregateFunc.COUNT_DISTINCT:
            return len(set(values))
        if agg.func is AggregateFunc.SUM:
            return sum((Fraction(v) for v in values), Fraction(0))
        if not values:
            return None
        if agg.func is AggregateFunc.AVG:
            return sum(Fraction(v) for v in values) / len(values)
        return min(values) if agg.func is AggregateFunc.MIN else max(values)

    def matches(self, where: ir.Node | None, row: Row, ctx: EvalContext) -> bool:
        return where is None or self.cond(where, row, ctx) is True

    # ------------------------------------------------------------ row level: three-valued

    def cond(self, node: ir.Node, row: Row, ctx: EvalContext) -> bool | None:
        if isinstance(node, ir.And):
            values = [self.cond(i, row, ctx) for i in node.items]
            return False if False in values else None if None in values else True
        if isinstance(node, ir.Or):
            values = [self.cond(i, row, ctx) for i in node.items]
            return True if True in values else None if None in values else False
        if isinstance(node, ir.Not):
            value = self.cond(node.operand, row, ctx)
            return None if value is None else not value
        if isinstance(node, ir.AnyOf):
            wanted = {_number(v) for v in node.values}
            found = any(_number(e) in wanted for e in row[node.field.name] if e is not None)
            return not found if node.negated else found
        if isinstance(node, ir.Contains):
            text = row[node.field.name]
            if text is None:
                return None
            return (node.needle not in text) if node.negated else (node.needle in text)
        assert isinstance(node, (ir.Compare, ir.InValues, ir.TimeRange))
        operand = node.operand
        assert not isinstance(operand, ir.Aggregate)
        value = row[operand.name]
        return None if value is None else self.test(node, value, ctx)

    def test(self, node: ir.Compare | ir.InValues | ir.TimeRange, value: Any, ctx: EvalContext) -> bool:
        if isinstance(node, ir.Compare):
            return OPS[node.op](_number(value), _number(node.value))
        if isinstance(node, ir.InValues):
            found = _number(value) in {_number(v) for v in node.values}
            return not found if node.negated else found
        assert isinstance(value, datetime)
        inside = True
        if node.lower is not None:
            low = to_naive_utc(resolve(node.lower.point, ctx))
            inside = inside and (value >= low if node.lower.inclusive else value > low)
        if node.upper is not None:
            high = to_naive_utc(resolve(node.upper.point, ctx))
            inside = inside and (value <= high if node.upper.inclusive else value < high)
        return not inside if node.negated else inside
