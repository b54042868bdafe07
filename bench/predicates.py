"""In-memory predicates: compiled predicates against hand-written Python over the same objects.

The demo shop is loaded once into :class:`CustomerData` objects. For each
reference segment, a hand-written function (the loop an engineer would write
for that one segment, with the same scoping rules: held coupons, cart
retention, history boundary) and the compiled, bound predicate are run over
every customer; both must select the same customers. Reported: customers per
second for each and the ratio compiled / hand-written time. Target (issue 5):
at most 1.5.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bench import data
from bench.references import CART_PRODUCT, CART_THRESHOLD, PRODUCT_A, PRODUCT_B, REFERENCES
from cafehub import api
from cafehub.compiler.backends.python import compile_predicate
from cafehub.compiler.backends.python.data import CustomerData
from cafehub.compiler.evaluation import EvalContext, to_naive_utc
from cafehub.execution.python import iter_customers

TARGET_RATIO = 1.5

Handwritten = Callable[[CustomerData], bool]


def handwritten(ctx: EvalContext) -> dict[str, Handwritten]:
    """The best plain loops for each reference, with bounds computed once, like a careful engineer would."""
    now = to_naive_utc(ctx.now_utc)
    hist = to_naive_utc(ctx.history_cutoff)
    cart_cutoff = to_naive_utc(ctx.cart_cutoff)
    in_1d = now + timedelta(days=1)
    ago_3d, ago_30d = now - timedelta(days=3), now - timedelta(days=30)
    ago_60d, ago_90d = now - timedelta(days=60), now - timedelta(days=90)
    threshold = Decimal(CART_THRESHOLD)

    def coupon_expiring_1d(c: CustomerData) -> bool:
        return any(now <= k.expires_at <= in_1d and k.used_at is None and k.issued_at <= now for k in c.coupons)

    def cart_product_no_order_3d(c: CustomerData) -> bool:
        if not any(i.product == CART_PRODUCT and cart_cutoff <= i.added_at <= now for i in c.cart):
            return False
        return not any(hist <= o.ordered_at <= now and o.ordered_at >= ago_3d for o in c.orders)

    def three_paid_none_60d(c: CustomerData) -> bool:
        paid = 0
        for o in c.orders:
            at = o.ordered_at
            if hist <= at <= now:
                if at >= ago_60d:
                    return False
                if o.status == "paid":
                    paid += 1
        return paid >= 3

    def bought_a_90d_ago_not_since(c: CustomerData) -> bool:
        before = False
        for o in c.orders:
            at = o.ordered_at
            if hist <= at <= now and PRODUCT_A in o.product:
                if at >= ago_90d:
                    return False
                before = True
        return before

    def cart_total_100k(c: CustomerData) -> bool:
        total = Decimal(0)
        for i in c.cart:
            if cart_cutoff <= i.added_at <= now:
                total += i.amount
        return total >= threshold

    def bought_a_30d_never_b(c: CustomerData) -> bool:
        recent_a = False
        for o in c.orders:
            at = o.ordered_at
            if hist <= at <= now:
                if PRODUCT_B in o.product:
                    return False
                if not recent_a and at >= ago_30d and PRODUCT_A in o.product:
                    recent_a = True
        return recent_a

    return {f.__name__: f for f in (coupon_expiring_1d, cart_product_no_order_3d, three_paid_none_60d,
                                     bought_a_90d_ago_not_since, cart_total_100k, bought_a_30d_never_b)}


def _time_select(
    fn: Callable[[CustomerData], bool], customers: list[CustomerData], runs: int
) -> tuple[float, set[str]]:
    samples = []
    selected: set[str] = set()
    for i in range(runs + 1):
        start = time.perf_counter()
        chosen = [c.member_id for c in customers if fn(c)]
        elapsed = time.perf_counter() - start
        if i == 0:
            selected = set(chosen)
        else:
            samples.append(elapsed)
    return statistics.median(samples), selected


def run(customers: int = 100_000, runs: int | None = None, **_: Any) -> dict[str, Any]:
    ctx = EvalContext(now=data.NOW, zone=ZoneInfo("Asia/Seoul"))
    runs = runs if runs is not None else 5
    engine = data.store("sqlite", customers)
    loaded = [c for batch in iter_customers(engine) for c in batch]
    engine.dispose()
    hand = handwritten(ctx)
    rows = []
    for ref in REFERENCES:
        bound = compile_predicate(api.check(ref.segment)).bind(ctx)
        compiled_s, compiled_ids = _time_select(bound, loaded, runs)
        hand_s, hand_ids = _time_select(hand[ref.name], loaded, runs)
        if compiled_ids != hand_ids:
            raise AssertionError(f"{ref.name}: compiled selects {len(compiled_ids)}, hand-written {len(hand_ids)}")
        rows.append({
            "reference": ref.name,
            "matches": len(compiled_ids),
            "compiled_per_s": len(loaded) / compiled_s,
            "handwritten_per_s": len(loaded) / hand_s,
            "ratio": compiled_s / hand_s,
        })
    return {"customers": len(loaded), "runs": runs, "target_ratio": TARGET_RATIO, "rows": rows,
            "met": all(r["ratio"] <= TARGET_RATIO for r in rows)}


def report(result: dict[str, Any]) -> str:
    lines = [f"{result['customers']:,} customers in memory, median of {result['runs']} runs",
             f"{'reference':<28}{'ids':>7}{'compiled /s':>14}{'hand-written /s':>17}{'ratio':>8}"]
    for r in result["rows"]:
        flag = "" if r["ratio"] <= TARGET_RATIO else "  > target"
        lines.append(f"{r['reference']:<28}{r['matches']:>7}{r['compiled_per_s']:>14,.0f}"
                     f"{r['handwritten_per_s']:>17,.0f}{r['ratio']:>8.2f}{flag}")
    lines.append(f"target: compiled <= {TARGET_RATIO}x hand-written time on every row: "
                 f"{'met' if result['met'] else 'MISSED'}")
    return "\n".join(lines)



