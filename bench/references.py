"""The reference segments of the product guide, each with hand-written SQL in several shapes.

Each reference has the segment text the compiler gets and two or three
hand-written queries with exactly the same semantics (held coupons, cart
retention, the order-history boundary, guests excluded), written the way an
engineer who knows the engine would: a correlated ``EXISTS`` form driven from
``customers``, and set/grouped forms driven from the fact table through its
indexes (single-pass conditional aggregation where it applies). The benchmark
times every form on every engine and keeps the fastest as "the best
hand-written query", then compares the compiled SQL with it; every form must
return exactly the compiled query's ids.

Parameters are bound through SQLAlchemy with their types, so SQLite gets its
text timestamps and the servers get real timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def statement(self, shape: str) -> TextClause:
        sql = self.handwritten[shape]
        names = [n for n in _PARAM_TYPES if f":{n}" in sql]
        return text(sql).bindparams(*(bindparam(n, type_=_PARAM_TYPES[n]) for n in names))


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

REFERENCES: tuple[Reference, ...] = (
    Reference(
        name="coupon_expiring_1d",
        segment="coupon(expires_at within next 1d)",
        handwritten={
            "exists": f"""
                SELECT c.member_id FROM customers c
                WHERE EXISTS (SELECT 1 FROM customer_coupons cc
                              WHERE cc.member_id = c.member_id AND {_HELD} AND cc.expires_at <= :in_1d)""",
            "index_driven": f"""
                SELECT DISTINCT cc.member_id FROM customer_coupons cc
                JOIN customers c ON c.member_id = cc.member_id
                WHERE {_HELD} AND cc.expires_at <= :in_1d""",
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
                  AND NOT EXISTS (SELECT 1 FROM orders o
                                  WHERE o.member_id = c.member_id AND {_ORDERS} AND o.ordered_at >= :ago_3d)""",
            "index_driven": f"""
                SELECT DISTINCT ci.member_id FROM cart_items ci
                JOIN customers c ON c.member_id = ci.member_id
                WHERE {_CART} AND ci.product_no = :cart_product
                  AND NOT EXISTS (SELECT 1 FROM orders o
                                  WHERE o.member_id = ci.member_id AND {_ORDERS} AND o.ordered_at >= :ago_3d)""",
        },
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
            "grouped": f"""
                SELECT o.member_id FROM orders o
                JOIN customers c ON c.member_id = o.member_id
                WHERE {_ORDERS}
                GROUP BY o.member_id
                HAVING SUM(CASE WHEN o.status = 'paid' THEN 1 ELSE 0 END) >= 3
                   AND MAX(o.ordered_at) < :ago_60d""",
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
                  AND NOT EXISTS (SELECT 1 FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
                                  WHERE o.member_id = c.member_id AND {_ORDERS}
                                    AND oi.product_no = :product_a AND o.ordered_at >= :ago_90d)""",
            "grouped": f"""
                SELECT o.member_id FROM order_items oi
                JOIN orders o ON o.order_id = oi.order_id
                JOIN customers c ON c.member_id = o.member_id
                WHERE oi.product_no = :product_a AND {_ORDERS}
                GROUP BY o.member_id
                HAVING MAX(o.ordered_at) < :ago_90d""",
        },
    ),
    Reference(
        name="cart_total_100k",
        segment=f"cart().sum(amount) >= {CART_THRESHOLD}",
        handwritten={
            "correlated": f"""
                SELECT c.member_id FROM customers c
                WHERE (SELECT SUM((ci.price + ci.option_price) * ci.quantity) FROM cart_items ci
                       WHERE ci.member_id = c.member_id AND {_CART}) >= :threshold""",
            "grouped": f"""
                SELECT ci.member_id FROM cart_items ci
                JOIN customers c ON c.member_id = ci.member_id
                WHERE {_CART}
                GROUP BY ci.member_id
                HAVING SUM((ci.price + ci.option_price) * ci.quantity) >= :threshold""",
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
                  AND NOT EXISTS (SELECT 1 FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
                                  WHERE o.member_id = c.member_id AND {_ORDERS} AND oi.product_no = :product_b)""",
            "grouped": f"""
                SELECT o.member_id FROM order_items oi
                JOIN orders o ON o.order_id = oi.order_id
                JOIN customers c ON c.member_id = o.member_id
                WHERE oi.product_no IN (:product_a, :product_b) AND {_ORDERS}
                GROUP BY o.member_id
                HAVING SUM(CASE WHEN oi.product_no = :product_a AND o.ordered_at >= :ago_30d THEN 1 ELSE 0 END) > 0
                   AND SUM(CASE WHEN oi.product_no = :product_b THEN 1 ELSE 0 END) = 0""",
        },
    ),
)
