"""Who a verified contact is: the member accounts and guest orders linked to it.

After a code proves that a customer holds a phone number (or an e-mail
address), they pick which identity to use, as the product guide describes:
a Cafe24 member account with that number or address, or the guest
(non-member) orders placed with it. Cafe24 searches members by
``cellphone``/``email`` on ``/customersprivacy`` and orders by
``buyer_cellphone``/``buyer_email`` (orders need a date window shorter than
three months, so guest orders are looked up over the last
:data:`GUEST_LOOKBACK_DAYS` days). Every candidate is checked again here
(same E.164 number), so a loose match in the mall never unlocks a stranger.

Labels shown to the customer are masked: the member id's first characters,
the count and dates of guest orders, never a name or another contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, Protocol

from cafehub.connectors.cafe24.models import Customer, Order

from .phones import Contact, national, same_phone

GUEST_LOOKBACK_DAYS = 89


class ContactSearch(Protocol):
    """The part of the Cafe24 client the directory needs."""

    def customers_by_contact(self, *, cellphone: str | None = None, email: str | None = None) -> list[Customer]: ...

    def orders_by_buyer(self, start: date, end: date, *, cellphone: str | None = None,
                        email: str | None = None) -> list[Order]: ...


@dataclass(frozen=True, slots=True)
class Identity:
    """Whom the conversation acts for: a member, or a set of guest orders."""

    kind: Literal["member", "guest"]
    member_id: str | None = None
    order_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        if self.kind == "member" and self.member_id:
            return f"{self.member_id[:2]}{'*' * max(1, len(self.member_id) - 2)}"
        return f"{len(self.order_ids)}"


def find_identities(search: ContactSearch, contact: Contact, *, region: str, today: date) -> list[Identity]:
    """Members first (by id), then one guest identity holding every guest order, if any."""
    if contact.channel == "sms":
        stored = national(contact.address)
        members = search.customers_by_contact(cellphone=stored)
        members = [c for c in members if same_phone(c.cellphone, contact.address, region)]
        orders = search.orders_by_buyer(today - timedelta(days=GUEST_LOOKBACK_DAYS), today, cellphone=stored)
        orders = [o for o in orders if o.buyer is not None and same_phone(o.buyer.cellphone, contact.address, region)]
    else:
        members = [c for c in search.customers_by_contact(email=contact.address)
                   if (c.email or "").lower() == contact.address.lower()]
        orders = search.orders_by_buyer(today - timedelta(days=GUEST_LOOKBACK_DAYS), today, email=contact.address)
        orders = [o for o in orders if o.buyer is not None and (o.buyer.email or "").lower() == contact.address.lower()]
    out = [Identity("member", member_id=c.member_id) for c in sorted(members, key=lambda c: c.member_id)]
    guests = tuple(o.order_id for o in sorted(orders, key=lambda o: o.order_date, reverse=True) if o.is_guest)
    if guests:
        out.append(Identity("guest", order_ids=guests))
    return out
