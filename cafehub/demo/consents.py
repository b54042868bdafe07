"""Marketing consents for the demo shop's customers, decided by member id.

About 70% of members agree to marketing by SMS, 55% by e-mail, and for 5%
the shop does not know (``None``), as when a member joined before the shop
asked. Each answer is a hash of the seed and the member id, so it does not
depend on the order or the chunking of the generator, and the generator's
random stream (which every other demo row comes from) is left untouched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from cafehub.store import records as r

#: Per mille: unknown, then agreeing to SMS and to e-mail among the known.
UNKNOWN, SMS, EMAIL = 50, 700, 550


def consent(member_id: str, seed: int) -> r.CustomerConsent:
    """The demo consent of one member."""
    digest = hashlib.blake2b(f"{seed}:{member_id}".encode(), digest_size=8).digest()
    unknown, sms, email = (int.from_bytes(digest[i : i + 2], "big") % 1000 for i in (0, 2, 4))
    if unknown < UNKNOWN:
        return r.CustomerConsent(member_id, None, None)
    return r.CustomerConsent(member_id, sms < SMS, email < EMAIL)


def consents(customers: Iterable[r.Customer], seed: int) -> tuple[r.CustomerConsent, ...]:
    """The demo consents of ``customers``."""
    return tuple(consent(c.member_id, seed) for c in customers)


def with_consents(data: r.ShopData, seed: int) -> r.ShopData:
    """``data`` (a generated chunk or shop) with the consents of its customers."""
    return replace(data, customer_consents=consents(data.customers, seed))


__all__ = ["consent", "consents", "with_consents"]
