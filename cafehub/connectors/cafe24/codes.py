"""Cafe24's code tables: order item statuses, payment methods, coupon issue types.

Source: the Admin API reference ("Retrieve a list of orders", ``order_status``;
"Retrieve a list of coupons", ``issue_type`` / ``issue_sub_type``). Kept as
data so the sandbox, the sync mapping and the chat commands read one table.
"""

from __future__ import annotations

#: Every item status code with Cafe24's English description.
ITEM_STATUSES: dict[str, str] = {
    "N00": "before deposit",
    "N01": "exchange accepted - exchange item",
    "N02": "order being received",
    "N03": "exchange accepted - awaiting card payment",
    "N10": "preparing product",
    "N20": "preparing shipment",
    "N21": "waiting for shipment",
    "N22": "shipment on hold",
    "N30": "shipping",
    "N40": "delivered",
    "N50": "purchase confirmed",
    "C00": "cancellation requested",
    "C10": "cancellation accepted",
    "C11": "cancellation refused",
    "C34": "canceling - before refund",
    "C35": "canceling - refunded",
    "C36": "canceling - refund on hold",
    "C40": "canceled",
    "C41": "canceled - before refund",
    "C42": "canceled - refund requested",
    "C43": "canceled - refund on hold",
    "C47": "canceled before deposit - buyer",
    "C48": "canceled before deposit - automatic",
    "C49": "canceled before deposit - admin",
    "R00": "return requested",
    "R10": "return accepted",
    "R11": "return refused",
    "R12": "return on hold",
    "R13": "return accepted - collected (automatic)",
    "R20": "return collected",
    "R30": "returning - before collection",
    "R31": "returning - collected",
    "R34": "returning - before refund",
    "R36": "returning - refund on hold",
    "R40": "returned - refunded",
    "R41": "returned - before refund",
    "R42": "returned - refund requested",
    "R43": "returned - refund on hold",
    "E00": "exchange requested",
    "E10": "exchange accepted",
    "E11": "exchange refused",
    "E12": "exchange on hold",
    "E13": "exchange accepted - collected (automatic)",
    "E20": "exchange preparing",
    "E30": "exchanging - before collection",
    "E31": "exchanging - collected",
    "E32": "exchanging - before deposit",
    "E33": "exchanging - deposited",
    "E34": "exchanging - before refund",
    "E35": "exchanging - refunded",
    "E36": "exchanging - refund on hold",
    "E40": "exchanged",
}

BEFORE_PAYMENT = frozenset({"N00", "N02", "N03"})
CANCELED = frozenset({"C40", "C41", "C42", "C43", "C47", "C48", "C49"})
#: A cancellation that is asked for or under way: the item is not canceled yet.
CANCELING = frozenset({"C00", "C10", "C11", "C34", "C35", "C36"})
RETURNED_REFUNDED = frozenset({"R40"})
RETURNED = frozenset({"R41", "R42", "R43"})
RETURNING = frozenset({"R00", "R10", "R11", "R12", "R13", "R20", "R30", "R31", "R34", "R36"})
#: Items that have left the warehouse (a tracking number may exist).
SHIPPED = frozenset({"N30", "N40", "N50"})


def is_status(code: str) -> bool:
    return code in ITEM_STATUSES


#: Payment method codes of an order's ``payment_method`` list (identical to the language's names).
PAYMENT_METHODS = (
    "cash",
    "card",
    "cell",
    "tcash",
    "icash",
    "prepaid",
    "credit",
    "point",
    "pointfy",
    "cvs",
    "cod",
    "coupon",
    "market_discount",
    "giftcard",
    "pointcard",
    "etc",
)

#: Coupon ``issue_type``: M targeted, A conditional automatic, D customer download, R recurring.
COUPON_ISSUE_TYPES = {"M": "targeted", "A": "conditional", "D": "download", "R": "recurring"}
#: Coupon ``issue_sub_type`` codes.
COUPON_ISSUE_SUB_TYPES = {
    "M": "chosen members",
    "C": "visitors online now",
    "T": "all members",
    "J": "sign-up",
    "D": "delivery complete",
    "A": "anniversary (birthday)",
    "I": "module installed",
    "P": "product review",
    "O": "order complete",
    "Q": "purchase quantity reached",
    "F": "first purchase",
    "N": "no purchase for a period",
    "U": "member grade raised",
}
