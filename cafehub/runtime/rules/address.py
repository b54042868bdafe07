"""Change of delivery address: the guide's refusals, Cafe24's field limits, phone numbers.

Whole orders only. Refused, each with its own message, when:

1. an item's status lacks the mall's address-change button (``N00``,
   ``N10``, ``N20``, ``N22`` as the mall sets them);
2. the order ships to several addresses (only part of it would change);
3. any shipment already has a tracking (invoice) number, split shipments
   included, in Cafe24 or in the warehouse;
4. the warehouse packs it together with another Cafe24 order;
5. the new address changes the shipping fee (:mod:`.surcharges`).

Field limits are Cafe24's (name and phones up to 20 characters, postal code
2 to 14, address lines up to 255) and are checked before any call; phone
numbers are normalised with ``phonenumbers``.
"""

from __future__ import annotations

from enum import StrEnum

import phonenumbers

from cafehub.runtime.rules.surcharges import RemoteAreaTable, fee_changes, postal_digits
from cafehub.runtime.settings import MallSettings, RegionalSurcharges
from cafehub.runtime.snapshots import OrderSnapshot, Snapshot, WmsFacts


class AddressRefusal(StrEnum):
    """Why an address cannot be changed (message keys ``address.refused.<value>``)."""

    NO_BUTTON = "no_button"
    SEVERAL_ADDRESSES = "several_addresses"
    HAS_INVOICE = "has_invoice"
    PACKED_WITH_OTHER = "packed_with_other"
    FEE_CHANGES = "fee_changes"


def _active(order: OrderSnapshot) -> list[str]:
    """Statuses of items not canceled (a canceled item does not ship)."""
    return [i.status for i in order.items if not (i.status.startswith("C") and i.status >= "C40")]


def address_refusal(order: OrderSnapshot, mall: MallSettings, wms: WmsFacts | None) -> AddressRefusal | None:
    """Why ``order``'s delivery address cannot be changed at all, or ``None`` when it may be."""
    statuses = _active(order)
    if not statuses or any(s not in mall.address_change_statuses for s in statuses):
        return AddressRefusal.NO_BUTTON
    if order.multiple_addresses or len(order.receivers) > 1:
        return AddressRefusal.SEVERAL_ADDRESSES
    if (any(i.tracking_no for i in order.items) or any(s.tracking_no for s in order.shipments)
            or (wms is not None and wms.invoices)):
        return AddressRefusal.HAS_INVOICE
    if wms is not None and wms.packed_with:
        return AddressRefusal.PACKED_WITH_OTHER
    return None


def new_address_refusal(
    order: OrderSnapshot, new_zipcode: str, country: str, surcharges: RegionalSurcharges, table: RemoteAreaTable
) -> AddressRefusal | None:
    """The one refusal that depends on the new address: a changed shipping fee."""
    old = order.receivers[0].zipcode if order.receivers else ""
    if fee_changes(old, new_zipcode, country, surcharges, table):
        return AddressRefusal.FEE_CHANGES
    return None


#: Cafe24's receiver field limits (characters, inclusive).
FIELD_LIMITS: dict[str, tuple[int, int]] = {
    "name": (1, 20),
    "phone": (0, 20),
    "cellphone": (0, 20),
    "zipcode": (2, 14),
    "address1": (1, 255),
    "address2": (0, 255),
}


class FieldProblem(StrEnum):
    """What is wrong with one field of a new address (message keys ``field.<value>``)."""

    REQUIRED = "required"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    BAD_PHONE = "bad_phone"
    BAD_ZIPCODE = "bad_zipcode"


class NewAddress(Snapshot):
    """A checked, normalised delivery address (what ``PUT /orders/{id}/receivers`` receives)."""

    name: str
    zipcode: str
    address1: str
    address2: str = ""
    cellphone: str = ""
    phone: str = ""


def normalize_phone(text: str, country: str) -> str | None:
    """A phone number in the country's national format (``010-1234-5678``, ``090-1234-5678``), else None.

    Numbers given in international form (``+81 90 ...``) are accepted when
    they belong to ``country``: Cafe24 stores domestic numbers.
    """
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != country:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def check_address(fields: dict[str, str], country: str) -> tuple[NewAddress | None, dict[str, FieldProblem]]:
    """Validate and normalise a new address; returns it, or the problem of each bad field."""
    values = {k: (fields.get(k) or "").strip() for k in FIELD_LIMITS}
    problems: dict[str, FieldProblem] = {}
    for name in ("phone", "cellphone"):
        if values[name]:
            normalized = normalize_phone(values[name], country)
            if normalized is None:
                problems[name] = FieldProblem.BAD_PHONE
            else:
                values[name] = normalized
    for name, (low, high) in FIELD_LIMITS.items():
        if name in problems:
            continue
        size = len(values[name])
        if size == 0 and low > 0:
            problems[name] = FieldProblem.REQUIRED
        elif size < low:
            problems[name] = FieldProblem.TOO_SHORT
        elif size > high:
            problems[name] = FieldProblem.TOO_LONG
    if "zipcode" not in problems:
        digits = postal_digits(values["zipcode"], country)
        if digits is None:
            problems["zipcode"] = FieldProblem.BAD_ZIPCODE
        else:  # Cafe24 keeps Korean codes as 5 digits and Japanese ones as NNN-NNNN
            values["zipcode"] = f"{digits[:3]}-{digits[3:]}" if country == "JP" else digits
    if problems:
        return None, problems
    return NewAddress(**values), {}
