"""The reference segments of the product guide, each with hand-written SQL in several shapes.

Each reference has the segment text the compiler gets and at least four
hand-written queries with exactly the same semantics (held coupons, cart
retention, the order-history boundary, guests excluded), written the way an
engineer who knows the engines would try them: correlated ``EXISTS`` / ``NOT
EXISTS`` from ``customers`` (the recent-window test first, as a pre-filter),
``IN`` / ``NOT IN`` and ``EXCEPT`` set forms, ``DISTINCT`` over the child
table's index range, grouped passes (single-pass conditional aggregation), and
grouped passes filtered by a correlated ``NOT EXISTS`` on the recent window
through the ``(member_id, ordered_at)`` index.

Shapes named ``*_child`` read no ``customers`` at all: they rely on the
store's guarantee that every member reference names a customer (the loader
enforces it, and the benchmark's generators keep it). The benchmark times
every form on every engine and keeps the fastest as "the best hand-written
query", then compares the compiled SQL with it; every form must return
exactly the compiled query's ids, on every distribution (whose planted
boundary rows catch an off-by-one bound).

Parameters are bound through SQLAlchemy with their types, so SQLite gets its
text timestamps and the servers get real timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, TextClause, bindparam, text

from cafehub.compiler.evaluation import EvalContext, to_naive_utc

PRODUCT_A = 42
PRODUCT_B = 43
CART_PRODUCT = 17
CART_THRESHOLD = 100_000


@dataclass(frozen=True)
class Reference:
    name: str
    segment: str
    handwritten: dict[str, str]
    skip: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Shapes not run on some engines (shape -> engine names); the reason is where the tuple is defined."""

    def statement(self, shape: str) -> TextClause:
        sql = self.handwritten[shape]
        names = [n for n in _PARAM_TYPES if f":{n}" in sql]
        return text(sql).bindparams(*(bindparam(n, type_=_PARAM_TYPES[n]) for n in names))

    def shapes(self, engine: str) -> list[str]:
        """The hand-written shapes timed on ``engine``."""
        return [s for s in self.handwritten if engine not in self.skip.get(s, ())]


_TS = DateTime()
_PARAM_TYPES: dict[str, Any] = {
    "now": _TS,
    "hist": _TS,
    "cart_cutoff": _TS,
    "in_1d": _TS,
    "ago_3d": _TS,
    "ago_30d": _TS,
    "ago_60d": _TS,
    "ago_90d": _TS,
    "product_a": Integer(),
    "product_b": Integer(),
    "cart_product": Integer(),
    "threshold": Integer(),
}


def parameters(ctx: EvalContext) -> dict[str, Any]:
    """Every parameter any reference uses, for evaluation context ``ctx`` (naive UTC, like the store)."""
    now = ctx.now_utc

    def utc(value: datetime) -> datetime:
        return to_naive_utc(value)

    return {
        "now": utc(now),
        "hist": utc(ctx.history_cutoff),
        "cart_cutoff": utc(ctx.cart_cutoff),
        "in_1d": utc(now + timedelta(days=1)),
        "ago_3d": utc(now - timedelta(days=3)),
        "ago_30d": utc(now - timedelta(days=30)),
        "ago_60d": utc(now - timedelta(days=60)),
        "ago_90d": utc(now - timedelta(days=90)),
        "product_a": PRODUCT_A,
        "product_b": PRODUCT_B,
        "cart_product": CART_PRODUCT,
        "threshold": CART_THRESHOLD,
    }


# Row scopes shared by every hand-written query (the language's collection definitions).
_HELD = "cc.used_at IS NULL AND cc.issued_at <= :now AND cc.expires_at >= :now"
_CART = "ci.added_at >= :cart_cutoff AND ci.added_at <= :now"
_ORDERS = "o.ordered_at >= :hist AND o.ordered_at <= :now"

#: Order rows of members (a guest order has no member), for queries that read no ``customers``.
_MEMBER_ORDERS = f"{_ORDERS} AND o.member_id IS NOT NULL"
#: "no order in the last 60 days" per member ``{key}``, through the (member_id, ordered_at) index.
_NONE_60D = ("NOT EXISTS (SELECT 1 FROM orders r WHERE r.member_id = {key}"
             " AND r.ordered_at >= :ago_60d AND r.ordered_at <= :now)")
#: "no order in the last 3 days" per member ``{key}``.
_NONE_3D = ("NOT EXISTS (SELECT 1 FROM orders r WHERE r.member_id = {key}"
            " AND r.ordered_at >= :ago_3d AND r.ordered_at <= :now)")
#: "no order of product A in the last 90 days" per member ``{key}``.
_NO_A_90D = ("NOT EXISTS (SELECT 1 FROM orders r JOIN order_items ri ON ri.order_id = r.order_id"
             " WHERE r.member_id = {key} AND r.ordered_at >= :ago_90d AND r.ordered_at <= :now"
             " AND ri.product_no = :product_a)")
#: "never ordered product B" per member ``{key}``.
_NO_B = ("NOT EXISTS (SELECT 1 FROM orders r JOIN order_items ri ON ri.order_id = r.order_id"
         " WHERE r.member_id = {key} AND r.ordered_at >= :hist AND r.ordered_at <= :now"
         " AND ri.product_no = :product_b)")
_AMOUNT = "(ci.price + ci.option_price) * ci.quantity"
#: NOT IN over a key set stays a subplan per customer on PostgreSQL (100x slower than the anti-join).
_NOT_IN_SLOW = ("postgres",)

REFERENCES: tuple[Reference, ...] = (
    Reference(
        name="coupon_expiring_1d",
        segment="coupon(expires_at within next 1d)",
        handwritten={
            "exists": f"""
                SELECT c.member_id FROM customers c
                WHERE EXISTS (SELECT 1 FROM customer_coupons cc
                              WHERE cc.member_id = c.member_id AND {_HELD} AND cc.expires_at <= :in_1d)""",
            "in": f"""
                SELECT c.member_id FROM customers c
                WHERE c.member_id IN (SELECT cc.member_id FROM customer_coupons cc
                                      WHERE {_HELD} AND cc.expires_at <= :in_1d)""",
            "index_driven": f"""
                SELECT DISTINCT cc.member_id FROM customer_coupons cc
                JOIN customers c ON c.member_id = cc.member_id
                WHERE {_HELD} AND cc.expires_at <= :in_1d""",
            "distinct_child": f"""
                SELECT DISTINCT cc.member_id FROM customer_coupons cc
                WHERE {_HELD} AND cc.expires_at <= :in_1d""",
            "grouped_child": f"""
                SELECT cc.member_id FROM customer_coupons cc
                WHERE {_HELD} AND cc.expires_at <= :in_1d
                GROUP BY cc.member_id""",
        },
    ),
    Reference(
        name="cart_product_no_order_3d",
        segment=f"cart(product = {CART_PRODUCT}) and no order(ordered_at within last 3d)",
        handwritten={
            "exists": f"""
                SELECT c.member_id FROM customers c
                WHERE EXISTS (SELECT 1 FROM cart_items ci
                              WHERE ci.member_id = c.member_id AND {_CART} AND ci.product_no = :cart_product)
                  AND {_NONE_3D.format(key="c.member_id")}""",
            "in_not_in": f"""
                SELECT c.member_id FROM customers c
                WHERE c.member_id IN (SELECT ci.member_id FROM cart_items ci
                                      WHERE {_CART} AND ci.product_no = :cart_product)
                  AND c.member_id NOT IN (SELECT o.member_id FROM orders o
                                          WHERE {_MEMBER_ORDERS} AND o.ordered_at >= :ago_3d)""",
            "index_driven": f"""
                SELECT DISTINCT ci.member_id FROM cart_items ci
                JOIN customers c ON c.member_id = ci.member_id
                WHERE {_CART} AND ci.product_no = :cart_product
                  AND {_NONE_3D.format(key="ci.member_id")}""",
            "distinct_child": f"""
                SELECT DISTINCT ci.member_id FROM cart_items ci
                WHERE {_CART} AND ci.product_no = :cart_product
                  AND {_NONE_3D.format(key="ci.member_id")}""",
            "except_child": f"""
                SELECT ci.member_id FROM cart_items ci
                WHERE {_CART} AND ci.product_no = :cart_product
                EXCEPT
                SELECT o.member_id FROM orders o WHERE {_ORDERS} AND o.ordered_at >= :ago_3d""",
        },
        skip={"in_not_in": _NOT_IN_SLOW},
    ),
    Reference(
        name="three_paid_none_60d",
        segment="order(status = paid).count >= 3 and no order(ordered_at within last 60d)",
        handwritten={
            "exists": f"""
                SELECT c.member_id FROM customers c
                WHERE (SELECT COUNT(*) FROM orders o
                       WHERE o.member_id = c.member_id AND {_ORDERS} AND o.status = 'paid') >= 3
                  AND NOT EXISTS (SELECT 1 FROM orders o
                                  WHERE o.member_id = c.member_id AND {_ORDERS} AND o.ordered_at >= :ago_60d)""",
            "exists_recent_first": f"""
                SELECT c.member_id FROM customers c
                WHERE {_NONE_60D.format(key="c.member_id")}
                  AND (SELECT COUNT(*) FROM orders o
                       WHERE o.member_id = c.member_id AND {_ORDERS} AND o.status = 'paid') >= 3""",
            "grouped": f"""
                SELECT o.member_id FROM orders o
                JOIN customers c ON c.member_id = o.member_id
                WHERE {_ORDERS}
                GROUP BY o.member_id
                HAVING SUM(CASE WHEN o.status = 'paid' THEN 1 ELSE 0 END) >= 3
                   AND MAX(o.ordered_at) < :ago_60d""",
            "grouped_child": f"""
                SELECT o.member_id FROM orders o
                WHERE {_MEMBER_ORDERS}
                GROUP BY o.member_id
                HAVING SUM(CASE WHEN o.status = 'paid' THEN 1 ELSE 0 END) >= 3
                   AND MAX(o.ordered_at) < :ago_60d""",
            "paid_then_not_exists_child": f"""
                SELECT k.member_id FROM (SELECT o.member_id FROM orders o
                                         WHERE {_MEMBER_ORDERS} AND o.status = 'paid'
                                         GROUP BY o.member_id HAVING COUNT(*) >= 3) k
                WHERE {_NONE_60D.format(key="k.member_id")}""",
            "except_child": f"""
                SELECT o.member_id FROM orders o
                WHERE {_MEMBER_ORDERS} AND o.status = 'paid'
                GROUP BY o.member_id HAVING COUNT(*) >= 3
                EXCEPT
                SELECT o.member_id FROM orders o WHERE {_ORDERS} AND o.ordered_at >= :ago_60d""",
        },
    ),
    Reference(
        name="bought_a_90d_ago_not_since",
        segment=(
            f"order(product = {PRODUCT_A} and ordered_at < 90d ago)"
            f" and no order(product = {PRODUCT_A} and ordered_at within last 90d)"
        ),
        handwritten={
            "exists": f"""
                SELECT c.member_id FROM customers c
                WHERE EXISTS (SELECT 1 FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
                              WHERE o.member_id = c.member_id AND {_ORDERS}
                                AND oi.product_no = :product_a AND o.ordered_at < :ago_90d)
                  AND {_NO_A_90D.format(key="c.member_id")}""",
            "grouped": f"""
                SELECT o.member_id FROM order_items oi
                JOIN orders o ON o.order_id = oi.order_id
                JOIN customers c ON c.member_id = o.member_id
                WHERE oi.product_no = :product_a AND {_ORDERS}
                GROUP BY o.member_id
                HAVING MAX(o.ordered_at) < :ago_90d""",
            "grouped_child": f"""
                SELECT o.member_id FROM order_items oi
                JOIN orders o ON o.order_id = oi.order_id
                WHERE oi.product_no = :product_a AND {_MEMBER_ORDERS}
                GROUP BY o.member_id
                HAVING MAX(o.ordered_at) < :ago_90d""",
            "distinct_not_exists_child": f"""
                SELECT DISTINCT o.member_id FROM order_items oi
                JOIN orders o ON o.order_id = oi.order_id
                WHERE oi.product_no = :product_a AND {_MEMBER_ORDERS} AND o.ordered_at < :ago_90d
                  AND {_NO_A_90D.format(key="o.member_id")}""",
            "except_child": f"""
                SELECT o.member_id FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
                WHERE oi.product_no = :product_a AND {_MEMBER_ORDERS} AND o.ordered_at < :ago_90d
                EXCEPT
                SELECT o.member_id FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
                WHERE oi.product_no = :product_a AND {_ORDERS} AND o.ordered_at >= :ago_90d""",
        },
    ),
    Reference(
        name="cart_total_100k",
        segment=f"cart().sum(amount) >= {CART_THRESHOLD}",
        handwritten={
            "correlated": f"""
                SELECT c.member_id FROM customers c
                WHERE (SELECT SUM({_AMOUNT}) FROM cart_items ci
                       WHERE ci.member_id = c.member_id AND {_CART}) >= :threshold""",
            "in_grouped": f"""
                SELECT c.member_id FROM customers c
                WHERE c.member_id IN (SELECT ci.member_id FROM cart_items ci WHERE {_CART}
                                      GROUP BY ci.member_id HAVING SUM({_AMOUNT}) >= :threshold)""",
            "grouped": f"""
                SELECT ci.member_id FROM cart_items ci
                JOIN customers c ON c.member_id = ci.member_id
                WHERE {_CART}
                GROUP BY ci.member_id
                HAVING SUM({_AMOUNT}) >= :threshold""",
            "grouped_child": f"""
                SELECT ci.member_id FROM cart_items ci
                WHERE {_CART}
                GROUP BY ci.member_id
                HAVING SUM({_AMOUNT}) >= :threshold""",
        },
    ),
    Reference(
        name="bought_a_30d_never_b",
        segment=(
            f"order(product = {PRODUCT_A} and ordered_at within last 30d) and no order(product = {PRODUCT_B})"
        ),
        handwritten={
            "exists": f"""
                SELECT c.member_id FROM customers c
                WHERE EXISTS (SELECT 1 FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
                              WHERE o.member_id = c.member_id AND {_ORDERS}
                                AND oi.product_no = :product_a AND o.ordered_at >= :ago_30d)
                  AND {_NO_B.format(key="c.member_id")}""",
            "grouped": f"""
                SELECT o.member_id FROM order_items oi
                JOIN orders o ON o.order_id = oi.order_id
                JOIN customers c ON c.member_id = o.member_id
                WHERE oi.product_no IN (:product_a, :product_b) AND {_ORDERS}
                GROUP BY o.member_id
                HAVING SUM(CASE WHEN oi.product_no = :product_a AND o.ordered_at >= :ago_30d THEN 1 ELSE 0 END) > 0
                   AND SUM(CASE WHEN oi.product_no = :product_b THEN 1 ELSE 0 END) = 0""",
            "grouped_child": f"""
                SELECT o.member_id FROM order_items oi
                JOIN orders o ON o.order_id = oi.order_id
                WHERE oi.product_no IN (:product_a, :product_b) AND {_MEMBER_ORDERS}
                GROUP BY o.member_id
                HAVING SUM(CASE WHEN oi.product_no = :product_a AND o.ordered_at >= :ago_30d THEN 1 ELSE 0 END) > 0
                   AND SUM(CASE WHEN oi.product_no = :product_b THEN 1 ELSE 0 END) = 0""",
            "distinct_not_exists_child": f"""
                SELECT DISTINCT o.member_id FROM order_items oi
                JOIN orders o ON o.order_id = oi.order_id
                WHERE oi.product_no = :product_a AND {_MEMBER_ORDERS} AND o.ordered_at >= :ago_30d
                  AND {_NO_B.format(key="o.member_id")}""",
            "except_child": f"""
                SELECT o.member_id FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
                WHERE oi.product_no = :product_a AND {_MEMBER_ORDERS} AND o.ordered_at >= :ago_30d
                EXCEPT
                SELECT o.member_id FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
                WHERE oi.product_no = :product_b AND {_ORDERS}""",
        },
    ),
)
