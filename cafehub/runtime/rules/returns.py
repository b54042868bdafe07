"""Returns and exchanges: reasons, photos, who pays return shipping, when a request is filed, new variants.

From the guide: a defective or wrong item (the shop's fault) needs photos
and the shop pays the return shipping; with the hub's ``defect_mode =
pending`` such a request waits for staff to look at the photos (approve →
filed in Cafe24; reject → the old status stays and the reason goes to the
customer), with ``apply`` it is filed at once. Other reasons are filed at
once. The new variant of an exchange is one of the product's other
variants that Cafe24 would sell (in stock, or out of stock where the
variant is not shown as sold out).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from cafehub.runtime.rules.cancel import ItemQuantity, RefundAccount, refunds_into_bank
from cafehub.runtime.settings import Address, ClaimKind, HubSettings, PhotoRules
from cafehub.runtime.snapshots import ItemSnapshot, OrderSnapshot, Snapshot, VariantOption


class ReturnReason(StrEnum):
    """Reasons for a return or an exchange, with Cafe24's ``reason_type``."""

    CHANGE_OF_MIND = "change_of_mind"
    DISSATISFIED = "dissatisfied"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    OTHER = "other"

    @property
    def cafe24_type(self) -> str:
        return {"change_of_mind": "A", "dissatisfied": "E", "defective": "K", "wrong_item": "J",
                "other": "I"}[self.value]


SHOP_FAULT = frozenset({ReturnReason.DEFECTIVE, ReturnReason.WRONG_ITEM})


def shop_at_fault(reason: ReturnReason) -> bool:
    """Defective or wrong item: photos are required and the shop pays return shipping."""
    return reason in SHOP_FAULT


def filing(hub: HubSettings, reason: ReturnReason) -> Literal["apply", "pending"]:
    """``pending``: held for staff to approve; ``apply``: filed in Cafe24 at once."""
    return "pending" if shop_at_fault(reason) and hub.defect_mode == "pending" else "apply"


def return_account_needed(order: OrderSnapshot, kind: ClaimKind) -> bool:
    """A return of an order paid in cash or by transfer is refunded by staff into a bank account."""
    return kind is ClaimKind.RETURN and order.paid and refunds_into_bank(order)


class PhotoProblem(StrEnum):
    """Why uploaded photos are refused (message keys ``photo.<value>``)."""

    TOO_FEW = "too_few"
    TOO_MANY = "too_many"
    TOO_LARGE = "too_large"
    NOT_AN_IMAGE = "not_an_image"


#: Image types the chat accepts, recognised by their first bytes (a file name or header can lie).
IMAGE_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/gif", b"GIF8", 0),
    ("image/webp", b"WEBP", 8),
    ("image/heic", b"ftypheic", 4),
    ("image/heic", b"ftypheix", 4),
    ("image/heif", b"ftypmif1", 4),
)


def image_type(data: bytes) -> str | None:
    """The image type of ``data`` by its signature, ``None`` when it is not an accepted image."""
    for kind, magic, offset in IMAGE_SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (kind != "image/webp" or data[:4] == b"RIFF"):
            return kind
    return None


def photo_problem(sizes_and_types: Sequence[tuple[int, str | None]], rules: PhotoRules) -> PhotoProblem | None:
    """Check photos given as ``(size in bytes, detected type)``; ``None`` when they are acceptable."""
    if len(sizes_and_types) < rules.min_count:
        return PhotoProblem.TOO_FEW
    if len(sizes_and_types) > rules.max_count:
        return PhotoProblem.TOO_MANY
    if any(kind is None for _, kind in sizes_and_types):
        return PhotoProblem.NOT_AN_IMAGE
    if any(size > rules.max_bytes for size, _ in sizes_and_types):
        return PhotoProblem.TOO_LARGE
    return None


class VariantChoice(Snapshot):
    """A variant offered for an exchange."""

    variant_code: str
    option_text: str
    in_stock: bool
    #: Cafe24 sells it now (in stock, or out of stock but not shown as sold out).
    available: bool


def exchange_choices(item: ItemSnapshot, variants: Sequence[VariantOption]) -> list[VariantChoice]:
    """The product's variants an item may be exchanged for (itself excluded), in Cafe24's order."""
    out = []
    for v in variants:
        if v.variant_code == item.variant_code:
            continue
        in_stock = v.quantity is None or v.quantity >= item.quantity
        available = v.selling and (in_stock or not v.sold_out_when_empty)
        out.append(VariantChoice(variant_code=v.variant_code, option_text=v.option_text, in_stock=in_stock,
                                 available=available))
    return out


class ExchangeItem(Snapshot):
    """The replacement for one returned item."""

    product_no: int
    variant_code: str
    quantity: int


class ClaimWrite(Snapshot):
    """The Cafe24 write that files a return (``POST /returnrequests``) or an exchange (``/exchangerequests``)."""

    kind: Literal[ClaimKind.RETURN, ClaimKind.EXCHANGE]
    order_id: str
    items: tuple[ItemQuantity, ...]
    reason_type: str
    reason: str
    exchange_items: tuple[ExchangeItem, ...] = ()
    refund_account: RefundAccount | None = None


class ClaimDecision(Snapshot):
    """Everything decided about a return or exchange before it runs."""

    filing: Literal["apply", "pending"]
    shop_pays_shipping: bool
    needs_photos: bool
    return_address: Address | None
    write: ClaimWrite


def decide_claim(
    kind: Literal[ClaimKind.RETURN, ClaimKind.EXCHANGE],
    order_id: str,
    chosen: Sequence[ItemQuantity],
    reason: ReturnReason,
    hub: HubSettings,
    *,
    reason_text: str = "",
    exchange_items: Sequence[ExchangeItem] = (),
    account: RefundAccount | None = None,
) -> ClaimDecision:
    """How a return or exchange of ``chosen`` items is filed."""
    fault = shop_at_fault(reason)
    note = " [return shipping paid by the shop]" if fault else ""
    write = ClaimWrite(
        kind=kind,
        order_id=order_id,
        items=tuple(sorted(chosen, key=lambda c: c.order_item_code)),
        reason_type=reason.cafe24_type,
        reason=(reason_text or reason.value.replace("_", " "))[: 2000 - len(note)] + note,
        exchange_items=tuple(exchange_items) if kind is ClaimKind.EXCHANGE else (),
        refund_account=account if kind is ClaimKind.RETURN else None,
    )
    return ClaimDecision(filing=filing(hub, reason), shop_pays_shipping=fault, needs_photos=fault,
                         return_address=hub.return_address, write=write)
