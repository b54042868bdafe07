"""Return/exchange and address-change rules, remote-area tables and display statuses."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from cafehub.runtime.rules.address import (
    AddressRefusal,
    FieldProblem,
    address_refusal,
    check_address,
    new_address_refusal,
    normalize_phone,
)
from cafehub.runtime.rules.cancel import ItemQuantity
from cafehub.runtime.rules.returns import (
    PhotoProblem,
    ReturnReason,
    decide_claim,
    exchange_choices,
    filing,
    image_type,
    photo_problem,
    return_account_needed,
)
from cafehub.runtime.rules.surcharges import RemoteAreaTable, fee_changes, load_table, parse_table, surcharge
from cafehub.runtime.settings import (
    Address,
    ClaimKind,
    HubSettings,
    MallSettings,
    PhotoRules,
    RegionalSurcharges,
    SettingsError,
    SurchargeRange,
)
from cafehub.runtime.snapshots import ReceiverSnapshot, ShipmentSnapshot, VariantOption, WmsFacts
from cafehub.runtime.statuses import DisplayStatus, display_status, order_display

from .builders import item, order

# -- statuses ----------------------------------------------------------------------------


@pytest.mark.parametrize(("codes", "shown"), [
    (("N00", "N02"), DisplayStatus.BEFORE_PAYMENT),
    (("N10", "N20", "N21", "N22"), DisplayStatus.PREPARING),
    (("N30",), DisplayStatus.SHIPPING),
    (("N40", "N50"), DisplayStatus.DELIVERED),
    (("R00", "R10", "R12", "R13", "R20", "R30", "R31", "R34", "R36"), DisplayStatus.RETURNING),
    (("R40", "R41", "R42", "R43"), DisplayStatus.RETURNED),
    (("E00", "E10", "E12", "E20", "E30", "E36", "N01", "N03"), DisplayStatus.EXCHANGING),
    (("E40",), DisplayStatus.EXCHANGED),
    (("C00", "C10", "C34", "C35", "C36"), DisplayStatus.CANCELING),
    (("C40", "C41", "C47", "C48", "C49"), DisplayStatus.CANCELED),
    (("C11",), DisplayStatus.CANCEL_REFUSED),
    (("R11",), DisplayStatus.RETURN_REFUSED),
    (("E11",), DisplayStatus.EXCHANGE_REFUSED),
    (("X99", "N9", ""), DisplayStatus.UNKNOWN),
])
def test_display_status(codes: tuple[str, ...], shown: DisplayStatus) -> None:
    assert {display_status(c) for c in codes} == {shown}


def test_an_order_with_mixed_items_shows_each_items_state() -> None:
    assert order_display(["N10", "N22"]) is DisplayStatus.PREPARING
    assert order_display(["N10", "N30"]) is None


# -- returns and exchanges ------------------------------------------------------------------


@pytest.mark.parametrize(("reason", "mode", "expected"), [
    (ReturnReason.DEFECTIVE, "pending", "pending"),
    (ReturnReason.WRONG_ITEM, "pending", "pending"),
    (ReturnReason.DEFECTIVE, "apply", "apply"),
    (ReturnReason.CHANGE_OF_MIND, "pending", "apply"),
    (ReturnReason.DISSATISFIED, "pending", "apply"),
    (ReturnReason.OTHER, "pending", "apply"),
])
def test_filing(reason: ReturnReason, mode: str, expected: str) -> None:
    assert filing(HubSettings(defect_mode=mode), reason) == expected


@pytest.mark.parametrize(("reason", "cafe24_type", "fault"), [
    (ReturnReason.CHANGE_OF_MIND, "A", False), (ReturnReason.DISSATISFIED, "E", False),
    (ReturnReason.DEFECTIVE, "K", True), (ReturnReason.WRONG_ITEM, "J", True), (ReturnReason.OTHER, "I", False),
])
def test_claim_decision(reason: ReturnReason, cafe24_type: str, fault: bool) -> None:
    hub = HubSettings(defect_mode="apply", return_address=Address(name="Shop", zipcode="04524", address1="Seoul 1"))
    decided = decide_claim(ClaimKind.RETURN, "O1", [ItemQuantity(order_item_code="O1-01", quantity=1)], reason, hub)
    assert decided.write.reason_type == cafe24_type
    assert decided.needs_photos is fault
    assert decided.shop_pays_shipping is fault
    assert ("paid by the shop" in decided.write.reason) is fault
    assert decided.return_address == hub.return_address


def test_a_return_of_a_bank_paid_order_asks_for_an_account_and_an_exchange_does_not() -> None:
    paid_by_transfer = order(item("A-01", "N40"), methods=("tcash",))
    assert return_account_needed(paid_by_transfer, ClaimKind.RETURN)
    assert not return_account_needed(paid_by_transfer, ClaimKind.EXCHANGE)
    assert not return_account_needed(order(item("A-01", "N40"), methods=("card",)), ClaimKind.RETURN)


def png(size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8)


@pytest.mark.parametrize(("data", "kind"), [
    (b"\xff\xd8\xff\xe0" + b"\0" * 20, "image/jpeg"),
    (png(30), "image/png"),
    (b"GIF89a" + b"\0" * 10, "image/gif"),
    (b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 10, "image/webp"),
    (b"\0\0\0\x18ftypheic" + b"\0" * 10, "image/heic"),
    (b"%PDF-1.7" + b"\0" * 10, None),
    (b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 10, None),
    (b"", None),
])
def test_image_types_by_signature(data: bytes, kind: str | None) -> None:
    assert image_type(data) == kind


@pytest.mark.parametrize(("photos", "problem"), [
    ([], PhotoProblem.TOO_FEW),
    ([(100, "image/png")] * 6, PhotoProblem.TOO_MANY),
    ([(100, "image/png"), (100, None)], PhotoProblem.NOT_AN_IMAGE),
    ([(2048, "image/png")], PhotoProblem.TOO_LARGE),
    ([(1024, "image/jpeg")] * 5, None),
])
def test_photo_checks(photos: list[tuple[int, str | None]], problem: PhotoProblem | None) -> None:
    assert photo_problem(photos, PhotoRules(max_count=5, max_bytes=1024)) == problem


def test_exchange_choices_follow_what_cafe24_sells() -> None:
    current = item("A-01", "N40", quantity=2, variant="P0000007000A")
    variants = [
        VariantOption(variant_code="P0000007000A", option_text="Red", quantity=9),
        VariantOption(variant_code="P0000007000B", option_text="Blue", quantity=2),
        VariantOption(variant_code="P0000007000C", option_text="Green", quantity=1),  # too few, sold out shown
        VariantOption(variant_code="P0000007000D", option_text="Black", quantity=0, sold_out_when_empty=False),
        VariantOption(variant_code="P0000007000E", option_text="White", quantity=None),  # stock not tracked
        VariantOption(variant_code="P0000007000F", option_text="Pink", quantity=5, selling=False),
    ]
    got = {c.variant_code[-1]: (c.in_stock, c.available) for c in exchange_choices(current, variants)}
    assert got == {"B": (True, True), "C": (False, False), "D": (False, True), "E": (True, True),
                   "F": (True, False)}


# -- address change ---------------------------------------------------------------------------

MALL = MallSettings(address_change_statuses=frozenset({"N00", "N10", "N20", "N22"}))


@pytest.mark.parametrize(("snap", "wms", "refusal"), [
    (order(item("A-01", "N10")), None, None),
    (order(item("A-01", "N10"), item("A-02", "N21")), None, AddressRefusal.NO_BUTTON),
    (order(item("A-01", "N30")), None, AddressRefusal.NO_BUTTON),
    (order(item("A-01", "N10"), item("A-02", "C40")), None, None),  # a canceled item does not ship
    (order(item("A-01", "C40")), None, AddressRefusal.NO_BUTTON),
    (order(item("A-01", "N10"), multiple_addresses=True), None, AddressRefusal.SEVERAL_ADDRESSES),
    (order(item("A-01", "N10"), receivers=(ReceiverSnapshot(zipcode="1"), ReceiverSnapshot(zipcode="2"))), None,
     AddressRefusal.SEVERAL_ADDRESSES),
    (order(item("A-01", "N22", tracking_no="123")), None, AddressRefusal.HAS_INVOICE),
    (order(item("A-01", "N10"), item("A-02", "N20"), shipments=(
        ShipmentSnapshot(shipping_code="D1", item_codes=("A-01",)),
        ShipmentSnapshot(shipping_code="D2", tracking_no="99", item_codes=("A-02",)))), None,
     AddressRefusal.HAS_INVOICE),  # a split shipment with an invoice number
    (order(item("A-01", "N10")), WmsFacts(invoices=("55",)), AddressRefusal.HAS_INVOICE),
    (order(item("A-01", "N10")), WmsFacts(packed_with=("O2",)), AddressRefusal.PACKED_WITH_OTHER),
])
def test_address_refusals(snap: object, wms: WmsFacts | None, refusal: AddressRefusal | None) -> None:
    assert address_refusal(snap, MALL, wms) == refusal  # type: ignore[arg-type]


TABLE = load_table()
SIMPLE = RegionalSurcharges(enabled=True, mode="simple", jeju_amount=Decimal(3000), remote_amount=Decimal(5000))


@pytest.mark.parametrize(("zipcode", "country", "area"), [
    ("04524", "KR", None), ("63122", "KR", "jeju"), ("63644", "KR", "jeju"), ("40200", "KR", "remote"),
    ("23100", "KR", "remote"), ("58826", "KR", "remote"), ("48058", "KR", None), ("6312", "KR", None),
    ("100-0001", "JP", None), ("900-0001", "JP", "jeju"), ("907-1801", "JP", "jeju"), ("100-1401", "JP", "remote"),
    ("952-0011", "JP", "remote"), ("894-0000", "JP", "remote"), ("890-0053", "JP", None), ("〒150-0002", "JP", None),
])
def test_remote_area_tables(zipcode: str, country: str, area: str | None) -> None:
    assert TABLE.classify(zipcode, country) == area


def test_surcharges_by_mode() -> None:
    assert surcharge("63122", "KR", SIMPLE, TABLE) == 3000
    assert surcharge("40200", "KR", SIMPLE, TABLE) == 5000
    assert surcharge("04524", "KR", SIMPLE, TABLE) == 0
    assert surcharge("63122", "KR", SIMPLE.model_copy(update={"enabled": False}), TABLE) == 0
    own = RegionalSurcharges(enabled=True, mode="zipcode", ranges=(
        SurchargeRange(start="11750", end="11750", amount=Decimal(2200)),))
    assert surcharge("11750", "KR", own, TABLE) == 2200
    assert surcharge("63122", "KR", own, TABLE) == 0


@pytest.mark.parametrize(("old", "new", "country", "mall", "changes"), [
    ("04524", "48058", "KR", SIMPLE, False),  # Seoul → Busan
    ("04524", "63122", "KR", SIMPLE, True),  # Seoul → Jeju
    ("63122", "63000", "KR", SIMPLE, False),  # within Jeju
    ("63122", "40200", "KR", SIMPLE, True),  # Jeju → Ulleung
    ("04524", "63122", "KR", RegionalSurcharges(), True),  # a move of area counts even if the mall adds nothing
    ("100-0001", "900-0001", "JP", SIMPLE, True),  # Tokyo → Okinawa (the guide's example)
    ("100-0001", "530-0001", "JP", SIMPLE, False),  # Tokyo → Osaka
    ("11750", "11751", "KR", RegionalSurcharges(enabled=True, mode="zipcode", ranges=(
        SurchargeRange(start="11750", end="11750", amount=Decimal(2200)),)), True),
    ("04524", "63122", "KR", RegionalSurcharges(enabled=True, mode="zipcode"), False),  # the mall's own ranges rule
])
def test_fee_changes(old: str, new: str, country: str, mall: RegionalSurcharges, changes: bool) -> None:
    assert fee_changes(old, new, country, mall, TABLE) is changes


def test_new_address_refusal_reads_the_current_receiver() -> None:
    snap = order(item("A-01"), receivers=(ReceiverSnapshot(zipcode="04524", address1="Seoul"),))
    assert new_address_refusal(snap, "63122", "KR", SIMPLE, TABLE) is AddressRefusal.FEE_CHANGES
    assert new_address_refusal(snap, "48058", "KR", SIMPLE, TABLE) is None


def test_a_shop_can_replace_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "areas.toml"
    path.write_text('[KR]\njeju = []\nremote = [["12345", "12399"]]\n', encoding="utf-8")
    own = load_table(path)
    assert own.classify("63122", "KR") is None
    assert own.classify("12350", "KR") == "remote"


@pytest.mark.parametrize(("text", "where"), [
    ('[XX]\njeju = []\n', "XX"),
    ('[KR]\nisland = []\n', "KR.island"),
    ('[KR]\njeju = [["1234", "12345"]]\n', "KR.jeju[0]"),
    ('[KR]\njeju = [["12346", "12345"]]\n', "KR.jeju[0]"),
])
def test_bad_tables_name_the_place(text: str, where: str) -> None:
    import tomllib

    with pytest.raises(SettingsError, match="areas\\.toml: " + re.escape(where)):
        parse_table(tomllib.loads(text), "areas.toml")
    assert isinstance(TABLE, RemoteAreaTable)


@pytest.mark.parametrize(("text", "country", "expected"), [
    ("01012345678", "KR", "010-1234-5678"),
    ("010-1234-5678", "KR", "010-1234-5678"),
    ("+82 10 1234 5678", "KR", "010-1234-5678"),
    ("09012345678", "JP", "090-1234-5678"),
    ("+81-90-1234-5678", "JP", "090-1234-5678"),
    ("12345", "KR", None),
    ("+81 90 1234 5678", "KR", None),  # a Japanese number for a Korean address
    ("not a phone", "JP", None),
])
def test_phone_numbers_are_normalised(text: str, country: str, expected: str | None) -> None:
    assert normalize_phone(text, country) == expected


def test_check_address_applies_cafe24s_limits() -> None:
    good, problems = check_address({"name": "김민지", "zipcode": "04 524", "address1": "Sejong-daero 110",
                                    "cellphone": "01012345678"}, "KR")
    assert problems == {}
    assert good is not None
    assert (good.zipcode, good.cellphone) == ("04524", "010-1234-5678")
    jp, _ = check_address({"name": "佐藤", "zipcode": "9000001", "address1": "那覇市"}, "JP")
    assert jp is not None
    assert jp.zipcode == "900-0001"
    bad, problems = check_address({"name": "x" * 21, "zipcode": "1", "address1": "", "address2": "y" * 256,
                                   "phone": "123"}, "KR")
    assert bad is None
    assert problems == {"name": FieldProblem.TOO_LONG, "zipcode": FieldProblem.TOO_SHORT,
                        "address1": FieldProblem.REQUIRED, "address2": FieldProblem.TOO_LONG,
                        "phone": FieldProblem.BAD_PHONE}
    _, problems = check_address({"name": "a", "zipcode": "123456", "address1": "b"}, "KR")
    assert problems == {"zipcode": FieldProblem.BAD_ZIPCODE}
