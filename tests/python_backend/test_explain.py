"""Explain: the verdict equals the predicate's, the evidence is what the predicate looked at."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given

import cafehub
from cafehub.compiler.backends.python import CartRow, CouponRow, CustomerData, OrderRow, compile_predicate
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.explain import Explanation, Node, explain, render_value
from cafehub.execution.python import customers_from_shop
from cafehub.testing import Scenario, scenarios
from cafehub.testing.budget import budget

NOW = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
CTX = EvalContext(now=NOW, zone=ZoneInfo("Asia/Seoul"))


def nodes(node: Node) -> list[Node]:
    return [node, *(n for child in node.children for n in nodes(child))]


@budget(150)
@given(scenarios())
def test_explain_agrees_with_the_predicate_for_every_customer(case: Scenario) -> None:
    checked = cafehub.check(case.segment)
    matches = compile_predicate(checked).bind(case.ctx)
    for customer in customers_from_shop(case.data):
        explanation = explain(checked, customer, case.ctx)
        assert explanation.matches == matches(customer)
        # Every node's verdict follows from its children's (and/or/not), down to the atoms.
        for node in nodes(explanation.root):
            values = [c.value for c in node.children]
            if node.kind == "and":
                assert node.value == all(values)
            elif node.kind == "or":
                assert node.value == any(values)
            elif node.kind == "not":
                assert node.value == (not values[0])
            elif node.kind in ("exists", "no"):
                assert node.evidence is not None
                assert node.value == (bool(node.evidence.matched) == (node.kind == "exists"))
        json.dumps(explanation.to_dict())  # serialisable as is


def customer() -> CustomerData:
    day = timedelta(days=1)
    at = NOW.replace(tzinfo=None)
    return CustomerData(
        member_id="m1",
        coupons=(CouponRow(id=7, coupon_no="C1", name=None, issue_type=None, issued_at=at - day,
                           expires_at=at + day),),
        cart=(CartRow(id=3, product=17, quantity=2, price=Decimal("1000.00"), option_price=Decimal("500.00"),
                      added_at=at - day),),
        orders=(
            OrderRow("o1", at - 70 * day, "paid", Decimal("10.00"), Decimal("10.00"), product=(42,)),
            OrderRow("o2", at - 65 * day, "paid", Decimal("20.00"), Decimal("20.00")),
            OrderRow("o3", at - 2 * day, "pending", Decimal("30.00"), Decimal("30.00")),
            OrderRow("o0", at - 900 * day, "paid", Decimal("1.00"), Decimal("1.00")),
        ),
    )


def test_evidence_names_rows_values_and_windows_in_the_shop_zone() -> None:
    segment = cafehub.check(
        "order(status = paid).count >= 3 or no order(ordered_at within last 60d) "
        'or coupon(name != "x") or cart(product = 17).sum(amount) = 3000'
    )
    result = explain(segment, customer(), CTX)
    assert result.matches  # through the cart alone
    paid, recent, coupon, cart = result.root.children
    assert paid.evidence is not None
    assert (paid.value, paid.evidence.value, paid.evidence.matched) == (False, "2", ("o1", "o2"))
    assert paid.evidence.rows_in_scope == ("o1", "o2", "o3")  # o0 is before the history start
    assert recent.kind == "no"
    assert recent.evidence is not None
    assert recent.evidence.matched == ("o3",)
    assert recent.evidence.condition is not None
    (window,) = recent.evidence.condition.windows
    assert window.lower == datetime(2024, 12, 31, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    assert window.upper == datetime(2025, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    assert window.lower_inclusive
    assert window.upper_inclusive
    assert coupon.evidence is not None
    assert coupon.evidence.condition is not None
    assert coupon.evidence.condition.unknown_rows == ("C1 (#7)",)  # the coupon's definition is missing
    assert (recent.value, coupon.value) == (False, False)
    assert cart.evidence is not None
    assert (cart.value, cart.evidence.aggregate, cart.evidence.value) == (True, "sum(amount)", "3000.00")
    as_json = json.loads(json.dumps(result.to_dict()))
    assert as_json["matches"] is True
    assert as_json["root"]["children"][1]["evidence"]["condition"]["windows"][0]["lower"] == (
        "2024-12-31T09:00:00+09:00")


def test_a_matching_customer_is_explained_too() -> None:
    segment = cafehub.check("order(status = paid).count >= 2 and cart(product = 17)")
    result: Explanation = explain(segment, customer(), CTX)
    assert result.matches
    assert [c.value for c in result.root.children] == [True, True]


def test_aggregate_values_are_rendered_exactly() -> None:
    assert render_value(None, CTX) is None
    assert render_value(3, CTX) == "3"
    from fractions import Fraction

    assert render_value(Fraction(1, 8), CTX) == "0.125"
    assert render_value(Fraction(1, 3), CTX) == "1/3 (about 0.333333)"
    assert render_value(datetime(2025, 1, 1, 15, 0), CTX) == "2025-01-02T00:00:00+09:00"
