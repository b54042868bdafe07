from __future__ import annotations

import pytest

from cafehub.runtime.identity.phones import (
    InvalidContact,
    mask_email,
    mask_phone,
    national,
    normalize_email,
    normalize_phone,
    parse_contact,
    same_phone,
)


@pytest.mark.parametrize(("raw", "region", "e164"), [
    ("010-1234-5678", "KR", "+821012345678"),
    ("01012345678", "KR", "+821012345678"),
    ("+82 10 1234 5678", "KR", "+821012345678"),
    ("010 1234 5678", "JP", None),  # a Korean number typed without +82 in a Japanese shop
    ("090-1234-5678", "JP", "+819012345678"),
    ("09012345678", "JP", "+819012345678"),
    ("+81 80-1234-5678", "KR", "+818012345678"),
    ("０１０－１２３４－５６７８", "KR", "+821012345678"),  # full-width digits from a Japanese keyboard
])
def test_numbers_normalise_to_e164(raw: str, region: str, e164: str | None) -> None:
    if e164 is None:
        with pytest.raises(InvalidContact):
            normalize_phone(raw, region)
    else:
        assert normalize_phone(raw, region) == e164


@pytest.mark.parametrize("raw", ["", "hello", "123", "02-123-4567", "+1 555 0100", "010-1234-5678-9999-0000" * 3])
def test_bad_or_landline_numbers_are_refused_without_echoing_them(raw: str) -> None:
    with pytest.raises(InvalidContact) as caught:
        normalize_phone(raw, "KR")
    assert caught.value.field == "phone"
    if raw.strip():
        assert raw not in str(caught.value)


def test_national_form_is_what_cafe24_stores() -> None:
    assert national("+821012345678") == "010-1234-5678"
    assert national("+819012345678") == "090-1234-5678"
    assert same_phone("010.1234.5678", "+821012345678", "KR")
    assert not same_phone("010-1234-5679", "+821012345678", "KR")
    assert not same_phone(None, "+821012345678", "KR")


def test_masks_keep_only_the_country_and_last_digits() -> None:
    assert mask_phone("+821012345678") == "+82******5678"
    assert "1234" not in mask_phone("+821012345678")
    assert mask_email("minji.kim@example.com") == "m***@example.com"


def test_contacts_are_phone_or_email() -> None:
    assert parse_contact(" Min@Example.COM ", "KR").address == "Min@example.com"
    assert parse_contact("010-1234-5678", "KR").channel == "sms"
    with pytest.raises(InvalidContact):
        normalize_email("not-an-address@")
