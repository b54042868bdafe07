"""Phone numbers and e-mail addresses: one canonical form each, and masks for logs.

Customers type numbers every which way (``010-1234-5678``, ``01012345678``,
``+82 10 1234 5678``, ``090-1234-5678`` in Japan). The ``phonenumbers``
library parses them with the shop's country as the default region and gives
E.164 (``+821012345678``), which is what codes are keyed on, so one person
typing two spellings is one subject. Cafe24 stores numbers in the national
format with dashes, which :func:`national` gives back for searches.

Errors name the kind of problem, never the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

#: Shop zone -> default region for numbers typed without a country code.
ZONE_REGIONS = {"Asia/Seoul": "KR", "Asia/Tokyo": "JP"}
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")

Channel = Literal["sms", "email"]


class InvalidContact(ValueError):
    """A phone number or e-mail address that cannot be used (the message never holds the value)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Contact:
    """Where a code goes: ``sms`` to an E.164 number, or ``email`` to a lower-cased address."""

    channel: Channel
    address: str

    @property
    def masked(self) -> str:
        return mask_phone(self.address) if self.channel == "sms" else mask_email(self.address)


def region_for_zone(zone: str) -> str:
    return ZONE_REGIONS.get(zone, "KR")


def normalize_phone(raw: str, region: str = "KR", *, mobile_only: bool = True) -> str:
    """E.164 form of ``raw`` read in ``region`` (``InvalidContact`` when it is not a usable number)."""
    text = raw.strip()
    if not text or len(text) > 32:
        raise InvalidContact("phone", "is empty or too long")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise InvalidContact("phone", "is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("phone", "is not a valid number")
    if mobile_only and phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE,
                                                                   PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise InvalidContact("phone", "is not a mobile number (codes are sent by SMS)")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def national(e164: str) -> str:
    """``010-1234-5678`` / ``090-1234-5678``: the national form with dashes, as Cafe24 stores it."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL).replace(" ", "-")


def same_phone(stored: str | None, e164: str, region: str) -> bool:
    """Whether a number as a shop stored it (any spelling) is ``e164``."""
    if not stored:
        return False
    try:
        return normalize_phone(stored, region, mobile_only=False) == e164
    except InvalidContact:
        return False


def normalize_email(raw: str) -> str:
    text = raw.strip()
    if not text or len(text) > 254 or not _EMAIL.match(text):
        raise InvalidContact("email", "is not an e-mail address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def mask_phone(e164: str) -> str:
    """``+82******5678``: the country code and the last four digits only."""
    try:
        country = phonenumbers.parse(e164, None).country_code
    except NumberParseException:
        return "***"
    digits = e164.lstrip("+")
    prefix = str(country)
    rest = digits[len(prefix):]
    return f"+{prefix}{'*' * max(0, len(rest) - 4)}{rest[-4:]}"


def mask_email(address: str) -> str:
    """``m***@example.com``: the first letter and the domain."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


def parse_contact(raw: str, region: str) -> Contact:
    """A phone number or an e-mail address, whichever ``raw`` is."""
    if "@" in raw:
        return Contact("email", normalize_email(raw))
    return Contact("sms", normalize_phone(raw, region))
