"""What the chat calls an order item's state, from Cafe24's per-item status code.

Cafe24 keeps one status per order item (``N00`` ... ``N50``, ``C..``,
``R..``, ``E..``; :data:`cafehub.connectors.cafe24.codes.ITEM_STATUSES`). The
product guide shows eight states (before payment, preparing to ship,
shipping, delivered, returning, returned, exchanging, exchanged); the chat
adds canceling and canceled, and, because the guide says a request refused
in Cafe24 "shows as refused", the three refusals (``C11``, ``R11``,
``E11``). An order whose items are in different states shows each item's
state (:func:`order_display`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class DisplayStatus(StrEnum):
    """The states a customer sees (message keys ``status.<value>``)."""

    BEFORE_PAYMENT = "before_payment"
    PREPARING = "preparing"
    SHIPPING = "shipping"
    DELIVERED = "delivered"
    CANCELING = "canceling"
    CANCELED = "canceled"
    CANCEL_REFUSED = "cancel_refused"
    RETURNING = "returning"
    RETURNED = "returned"
    RETURN_REFUSED = "return_refused"
    EXCHANGING = "exchanging"
    EXCHANGED = "exchanged"
    EXCHANGE_REFUSED = "exchange_refused"
    UNKNOWN = "unknown"


_EXACT: dict[str, DisplayStatus] = {
    "N00": DisplayStatus.BEFORE_PAYMENT,
    "N02": DisplayStatus.BEFORE_PAYMENT,
    # N01 / N03: the replacement item of an accepted exchange.
    "N01": DisplayStatus.EXCHANGING,
    "N03": DisplayStatus.EXCHANGING,
    "N10": DisplayStatus.PREPARING,
    "N20": DisplayStatus.PREPARING,
    "N21": DisplayStatus.PREPARING,
    "N22": DisplayStatus.PREPARING,
    "N30": DisplayStatus.SHIPPING,
    "N40": DisplayStatus.DELIVERED,
    "N50": DisplayStatus.DELIVERED,
    "C11": DisplayStatus.CANCEL_REFUSED,
    "R11": DisplayStatus.RETURN_REFUSED,
    "E11": DisplayStatus.EXCHANGE_REFUSED,
    "E40": DisplayStatus.EXCHANGED,
}

#: Statuses in which an item waits in the warehouse ("preparing to ship").
PREPARING_CODES = frozenset(code for code, shown in _EXACT.items() if shown is DisplayStatus.PREPARING)
BEFORE_PAYMENT_CODES = frozenset({"N00", "N02", "N03"})


def display_status(code: str) -> DisplayStatus:
    """The state shown for one Cafe24 item status code (``UNKNOWN`` for a code Cafe24 does not document)."""
    if code in _EXACT:
        return _EXACT[code]
    if len(code) != 3 or not code[1:].isdigit():
        return DisplayStatus.UNKNOWN
    kind, number = code[0], int(code[1:])
    if kind == "C":
        return DisplayStatus.CANCELING if number < 40 else DisplayStatus.CANCELED
    if kind == "R":
        return DisplayStatus.RETURNING if number < 40 else DisplayStatus.RETURNED
    if kind == "E":
        return DisplayStatus.EXCHANGING if number < 40 else DisplayStatus.EXCHANGED
    return DisplayStatus.UNKNOWN


def order_display(codes: Iterable[str]) -> DisplayStatus | None:
    """The one state of an order whose items all show the same state, else ``None`` (show each item's)."""
    shown = {display_status(code) for code in codes}
    return shown.pop() if len(shown) == 1 else None
