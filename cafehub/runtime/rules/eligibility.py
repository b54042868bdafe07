"""Which orders and items a buyer may cancel, return or exchange: the mall's request-button rules.

The guide's FAQ spells them out ("注文キャンセル可能な商品がありません"):
buyer requests must be used; an item's status must be one whose request
button the mall shows; under the ``order_date`` basis the order must be no
older than the display period (ordered 7 days ago is still shown with a
7-day period, 8 days ago is not); the ``shipend_date`` basis has no limit.
Lists hold at most 5 orders, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from cafehub.runtime.settings import ClaimKind, MallSettings
from cafehub.runtime.snapshots import OrderSnapshot, Snapshot

#: Orders a list shows at most (the guide: "5件").
LIST_LIMIT = 5


class ClaimRefusal(StrEnum):
    """Why an order offers no item for a request (message keys ``refusal.<value>``)."""

    REQUESTS_OFF = "requests_off"
    NO_BUTTON = "no_button"
    PERIOD_OVER = "period_over"


class ClaimEligibility(Snapshot):
    """The items of one order open to one kind of request, or why there are none."""

    order_id: str
    kind: ClaimKind
    item_codes: tuple[str, ...] = ()
    refusal: ClaimRefusal | None = None

    @property
    def eligible(self) -> bool:
        return bool(self.item_codes)


def order_day(order: OrderSnapshot, zone: ZoneInfo) -> date:
    """The calendar day of the order in the shop's zone."""
    return order.ordered_at.astimezone(zone).date()


def within_display_period(order: OrderSnapshot, mall: MallSettings, today: date, zone: ZoneInfo) -> bool:
    """The request button is still shown for this order (always under the ``shipend_date`` basis)."""
    if mall.period_basis == "shipend_date":
        return True
    return (today - order_day(order, zone)).days <= mall.period_days


def claim_eligibility(
    order: OrderSnapshot, kind: ClaimKind, mall: MallSettings, today: date, zone: ZoneInfo
) -> ClaimEligibility:
    """The items of ``order`` the buyer may file a ``kind`` request for today."""
    if not mall.claim_requests:
        return ClaimEligibility(order_id=order.order_id, kind=kind, refusal=ClaimRefusal.REQUESTS_OFF)
    codes = tuple(i.order_item_code for i in order.items if mall.button(kind, i.status))
    if not codes:
        return ClaimEligibility(order_id=order.order_id, kind=kind, refusal=ClaimRefusal.NO_BUTTON)
    if not within_display_period(order, mall, today, zone):
        return ClaimEligibility(order_id=order.order_id, kind=kind, refusal=ClaimRefusal.PERIOD_OVER)
    return ClaimEligibility(order_id=order.order_id, kind=kind, item_codes=codes)


def newest_first(orders: Iterable[OrderSnapshot]) -> list[OrderSnapshot]:
    return sorted(orders, key=lambda o: (o.ordered_at, o.order_id), reverse=True)


def claimable_orders(
    orders: Iterable[OrderSnapshot],
    kinds: Sequence[ClaimKind],
    mall: MallSettings,
    today: date,
    zone: ZoneInfo,
    *,
    limit: int = LIST_LIMIT,
) -> list[OrderSnapshot]:
    """Up to ``limit`` orders, newest first, with an item open to any of ``kinds``."""
    found = []
    for order in newest_first(orders):
        if any(claim_eligibility(order, kind, mall, today, zone).eligible for kind in kinds):
            found.append(order)
            if len(found) == limit:
                break
    return found
