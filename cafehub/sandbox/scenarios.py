"""Claims under way in the sandbox shop, so every display status and rule of the chat is reachable.

The store knows only five order statuses; derivation (:mod:`.derive`) turns
them into item statuses from ``N00`` to ``N50`` plus finished cancellations
and returns. A live mall also has requests in progress: this pass turns a
deterministic share of orders (a hash of the order id picks them) into
cancellations requested or being processed (``C00``, ``C34``), returns and
exchanges under way (``R00``-``R34``, ``E00``-``E36``), finished exchanges
(``E40``) and refused returns and exchanges (``R11``, ``E11``). Orders with
several items get the claim on their first item only, so mixed-status
orders exist too. Every status chosen keeps its item "active" in the sync's
mapping, so a synced store still equals its source.

========================  =====================  =========
from                      becomes                 share
========================  =====================  =========
``N10``, ``N20``          ``C00`` or ``C34``      8 %
``N40``, ``N50``          ``R00``-``R34``         10 %
``N40``, ``N50``          ``E00``-``E36``         5 %
``N40``, ``N50``          ``E40``                 4 %
``N40``, ``N50``          ``R11`` / ``E11``       1 % each
========================  =====================  =========
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .state import Order

RETURNING = ("R00", "R10", "R20", "R30", "R34")
EXCHANGING = ("E00", "E10", "E20", "E30", "E36")


def _pick(order: Order) -> int:
    from .derive import h

    return h("scenario", order.order_id) % 100


def claim_status(order: Order) -> str | None:
    """The claim status this order's (first) item gets, or ``None`` to leave it as derived."""
    if not order.items:
        return None
    status = order.items[0].status
    pick = _pick(order)
    if status in ("N10", "N20") and order.pay_date is not None and pick < 8:
        return "C00" if pick % 2 else "C34"
    if status not in ("N40", "N50"):
        return None
    if pick < 10:
        return RETURNING[pick % len(RETURNING)]
    if pick < 15:
        return EXCHANGING[pick % len(EXCHANGING)]
    if pick < 19:
        return "E40"
    if pick == 19:
        return "R11"
    if pick == 20:
        return "E11"
    return None


def add_claims(orders: dict[str, Order], now: datetime) -> None:
    """Put claims under way on a deterministic share of ``orders`` (``now`` naive UTC)."""
    for order in orders.values():
        status = claim_status(order)
        if status is None:
            continue
        item = order.items[0]
        item.status = status
        item.claim_code = f"{status[0]}-{order.order_id}"
        stamp = min(now, order.ordered_at + timedelta(days=3))
        if status[0] == "C":
            item.cancel_date = stamp
        elif status[0] == "R":
            item.return_request_date = stamp
        else:
            item.exchange_request_date = stamp
