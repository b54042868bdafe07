"""Identities a verified contact unlocks, looked up in the Cafe24 sandbox over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cafehub.runtime.identity import Contact, find_identities, normalize_email, normalize_phone
from cafehub.sandbox.testing import serve


def test_members_and_guest_orders_by_phone_and_email(tmp_path: Path) -> None:
    with serve(tmp_path) as handle:
        shop = handle.sandbox.shop
        zone = ZoneInfo(handle.sandbox.config.zone)
        today = datetime.now(zone).date()
        member = next(c for c in sorted(shop.customers.values(), key=lambda c: c.member_id)
                      if c.cellphone and c.email)
        phone = Contact("sms", normalize_phone(member.cellphone or "", "KR"))
        cutoff = datetime.now(zone) - timedelta(days=80)
        guest = next(o for o in sorted(shop.orders.values(), key=lambda o: o.order_id)
                     if o.member_id is None and o.buyer_cellphone
                     and o.ordered_at.replace(tzinfo=ZoneInfo("UTC")) > cutoff)
        guest_phone = Contact("sms", normalize_phone(guest.buyer_cellphone or "", "KR"))
        with handle.client() as client:
            by_phone = find_identities(client, phone, region="KR", today=today)
            by_email = find_identities(client, Contact("email", normalize_email(member.email or "")), region="KR",
                                       today=today)
            guests = find_identities(client, guest_phone, region="KR", today=today)
            nobody = find_identities(client, Contact("sms", "+821099990000"), region="KR", today=today)
    assert ("member", member.member_id) in [(i.kind, i.member_id) for i in by_phone]
    assert ("member", member.member_id) in [(i.kind, i.member_id) for i in by_email]
    guest_ids = [i for i in guests if i.kind == "guest"]
    assert guest_ids
    assert guest.order_id in guest_ids[0].order_ids
    assert nobody == []
    label = by_phone[0].label
    assert label.startswith(member.member_id[:2])
    assert member.member_id not in label
