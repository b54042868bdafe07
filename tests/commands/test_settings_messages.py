"""Settings files (errors name the field, never the value), Cafe24's settings mapped to MallSettings, the
message catalogue (every key in three languages, every key the code uses) and Babel formatting."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cafehub.connectors.cafe24.settings import CouponSetting, OrderSetting, RegionalSurchargeSetting
from cafehub.runtime.mall import mall_settings_from_cafe24
from cafehub.runtime.messages.catalogue import Catalogue, CatalogueError, Formatter, default_catalogue
from cafehub.runtime.messages.model import ItemLine, Message, OrderBlock, TextBlock
from cafehub.runtime.rules.address import AddressRefusal, FieldProblem
from cafehub.runtime.rules.cancel import CancelReason, RefundRoute
from cafehub.runtime.rules.eligibility import ClaimRefusal
from cafehub.runtime.rules.returns import PhotoProblem, ReturnReason
from cafehub.runtime.settings import ClaimKind, CommandName, SettingsError, load_settings
from cafehub.runtime.statuses import DisplayStatus

RUNTIME = Path(__file__).resolve().parents[2] / "cafehub" / "runtime"


# -- settings files ---------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shop.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_settings_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, """
[hub]
wms = "sellmate"
cancel_mode = "complete"
defect_mode = "apply"
commands = { address = false }
return_address = { name = "Shop", zipcode = "04524", address1 = "Seoul 1" }
split_shipping = { enabled = true, base_days = 3, min_amount = 30000 }

[mall]
period_basis = "order_date"
period_days = 7
request_buttons = ["cancel_N10", "return_N40"]
"""))
    hub, mall = settings.hub, settings.mall
    assert (hub.wms, hub.cancel_mode, hub.defect_mode) == ("sellmate", "complete", "apply")
    assert hub.split_shipping.min_amount == Decimal(30000)
    assert not hub.enabled(CommandName.ADDRESS)
    assert hub.enabled(CommandName.ETA)
    assert mall.request_buttons == {(ClaimKind.CANCEL, "N10"), (ClaimKind.RETURN, "N40")}


def test_eta_is_off_without_a_warehouse(tmp_path: Path) -> None:
    assert not load_settings(write(tmp_path, "[hub]\nwms = 'none'\n")).hub.enabled(CommandName.ETA)


@pytest.mark.parametrize(("text", "message", "secret"), [
    ("[hub]\ncancel_mode = 'sometimes'\n", "hub.cancel_mode: must be one of 'complete' or 'request'", "sometimes"),
    ("[hub.split_shipping]\nbase_days = -4\n", "hub.split_shipping.base_days: must be at least 0", "-4"),
    ("[hub]\nwms = 'sellmate'\nwmz = 'x-secret'\n", "hub.wmz: is not a known setting", "x-secret"),
    ("[hub]\nreturn_address = { name = 'Shop', zipcode = '1', address1 = 'A' }\n",
     "hub.return_address.zipcode: must have at least 2 characters", "'1'"),
    ("[mall]\nrequest_buttons = ['refund_N10']\n", "mall.request_buttons:", "refund_N10"),
    ("[mall]\nperiod_days = 'soon'\n", "mall.period_days: must be a whole number", "soon"),
    ("[hub\n", "not valid TOML", None),
])
def test_a_bad_settings_file_names_the_field_and_not_the_value(tmp_path: Path, text: str, message: str,
                                                               secret: str | None) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text))
    where = str(tmp_path / "shop.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith(where)
    if secret is not None:  # looked for after the file's path, which may hold anything (pytest-41 holds -4)
        assert secret not in str(caught.value).removeprefix(where)


def test_a_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot be read"):
        load_settings(tmp_path / "nope.toml")


# -- Cafe24's settings → MallSettings ----------------------------------------------------------

# Cafe24's documented example answers ("Retrieve order settings", "Retrieve coupon settings",
# "Retrieve shipping zone rates settings").
ORDER_EXAMPLE = {
    "shop_no": 1, "claim_request": "T", "claim_request_type": "S",
    "claim_request_button_exposure": ["cancel_N20", "return_N40"],
    "claim_request_button_date_type": "order_date", "claim_request_button_period": 30,
    "stock_recover": "T", "stock_recover_base": "T",
    "stock_recover_individual": {"cancel_before": None, "cancel_after": None, "cancel_return": None},
    "refund_processing_setting": "S", "claim_request_auto_accept": "T", "refund_benefit_setting": "U",
    "use_product_prepare_status": "T", "use_purchase_confirmation_button": "F",
    "purchase_confirmation_button_set_date": None, "use_additional_fields": "F",
    "customer_pays_return_shipping": "F", "refund_bank_account_required": "F",
}
COUPON_EXAMPLE = {
    "shop_no": 1, "use_coupon": "T", "available_issue_type": "A",
    "recover_coupon_setting": {"restore_viewpoint": "A", "cancel_before_pay": "M", "cancel_after_pay": "T",
                               "return": "F", "exchange": "F", "part": "F"},
    "max_coupon_count": {"product_per_product": 0, "order_per_order": 1},
}
REGIONAL_EXAMPLE = {
    "shop_no": 1, "use_regional_surcharge": "T", "region_setting_type": "Z",
    "regional_surcharge_list": [
        {"regional_surcharge_no": 1, "region_name": "Gyeonggi-do", "surcharge_region_name": None,
         "country_code": None, "start_zipcode": "11750", "end_zipcode": "11750",
         "regional_surcharge_amount": "2200.00"}],
    "jeju_surcharge_amount": None, "remote_area_surcharge_amount": None,
}


def test_cafe24s_documented_settings_map_to_mall_settings() -> None:
    mall = mall_settings_from_cafe24(OrderSetting.model_validate(ORDER_EXAMPLE),
                                     CouponSetting.model_validate(COUPON_EXAMPLE),
                                     RegionalSurchargeSetting.model_validate(REGIONAL_EXAMPLE), 7)
    assert mall.claim_requests
    assert mall.request_buttons == {(ClaimKind.CANCEL, "N20"), (ClaimKind.RETURN, "N40")}
    assert (mall.period_basis, mall.period_days) == ("order_date", 30)
    assert mall.auto_refund_on_cancel
    assert (mall.stock_recovery_before_payment, mall.stock_recovery_after_payment) == ("auto", "auto")
    assert (mall.coupon_return_before_payment, mall.coupon_return_after_payment) == ("ask", "auto")
    assert mall.coupon_return_partial == "off"
    assert mall.cart_retention_days == 7
    assert mall.surcharges.enabled
    assert mall.surcharges.mode == "zipcode"
    assert [(r.start, r.end, r.amount) for r in mall.surcharges.ranges] == [("11750", "11750", Decimal(2200))]


def test_individual_stock_recovery_and_unknown_buttons() -> None:
    order = OrderSetting.model_validate(ORDER_EXAMPLE | {
        "stock_recover": "F", "stock_recover_individual": {"cancel_before": "F", "cancel_after": "M"},
        "claim_request_button_exposure": ["cancel_N10", "refund_N99", "exchange_N40"],
        "refund_processing_setting": "D", "receiver_address_modify_button_exposure": ["N00", "N20"]})
    mall = mall_settings_from_cafe24(order, CouponSetting.model_validate({}),
                                     RegionalSurchargeSetting.model_validate({}), None)
    assert (mall.stock_recovery_before_payment, mall.stock_recovery_after_payment) == ("off", "ask")
    assert mall.request_buttons == {(ClaimKind.CANCEL, "N10"), (ClaimKind.EXCHANGE, "N40")}
    assert not mall.auto_refund_on_cancel
    assert mall.address_change_statuses == {"N00", "N20"}
    assert not mall.surcharges.enabled


# -- the catalogue -----------------------------------------------------------------------------

CATALOGUE = default_catalogue()


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    literal = re.compile(r'"((?:common|orders|eta|cancel|return|address|refund|account|refusal|field|photo|'
                         r'status)\.[a-z_.]+)"')
    used = {m for path in RUNTIME.rglob("*.py") for m in literal.findall(path.read_text(encoding="utf-8"))}
    assert used
    assert used - set(CATALOGUE.entries) == set()


def test_every_key_built_from_an_enum_is_in_the_catalogue() -> None:
    keys = ([f"status.{s.value}" for s in DisplayStatus] + [f"refund.{r.value}" for r in RefundRoute]
            + [f"cancel.reason.{r.value}" for r in CancelReason] + [f"return.reason.{r.value}" for r in ReturnReason]
            + [f"refusal.{r.value}" for r in ClaimRefusal] + ["refusal.not_eligible"]
            + [f"photo.{p.value}" for p in PhotoProblem] + [f"address.refused.{r.value}" for r in AddressRefusal]
            + [f"field.problem.{p.value}" for p in FieldProblem]
            + [f"field.{f}" for f in ("name", "zipcode", "address1", "address2", "cellphone", "phone", "bank_code",
                                      "account_no", "holder")]
            + [f"account.problem.{f}" for f in ("bank_code", "account_no", "holder")]
            + [f"return.kind.{k}" for k in ("return", "exchange")]
            + [f"return.done_{k}" for k in ("return", "exchange")])
    assert [k for k in keys if k not in CATALOGUE] == []


def test_the_guides_own_sentences() -> None:
    assert CATALOGUE.text("cancel.done", "ja") == "ご依頼通りに注文キャンセルが完了しました。"
    assert CATALOGUE.text("common.failure", "ja") == "一時的なエラーが発生しました。オペレーターにお繋ぎします。"
    assert CATALOGUE.text("cancel.none", "ja") == "注文キャンセル可能な商品がありません。"
    assert CATALOGUE.text("cancel.done", "en") == "Your order has been cancelled as requested."
    assert CATALOGUE.text("common.failure", "en") == "A temporary error occurred. Connecting you to an operator."


@pytest.mark.parametrize(("files", "problem"), [
    ({"a.toml": '["k"]\nja = "x"\nko = "y"\n'}, "exactly ja, ko and en"),
    ({"a.toml": '["k"]\nja = "x"\nko = "y"\nen = "z"\n', "b.toml": '["k"]\nja = "x"\nko = "y"\nen = "z"\n'},
     "already defined in a.toml"),
    ({"a.toml": '["k"]\nja = "{n}件"\nko = "{n}건"\nen = "{count} items"\n'}, "placeholders differ"),
    ({"a.toml": '["k"\n'}, "not valid TOML"),
    ({"a.toml": '["k"]\nja = 1\nko = "y"\nen = "z"\n'}, "must be a string"),
])
def test_the_catalogue_refuses_incomplete_entries(files: dict[str, str], problem: str) -> None:
    with pytest.raises(CatalogueError, match=problem):
        Catalogue.from_texts(files)


@pytest.mark.parametrize(("language", "day", "short", "krw", "jpy"), [
    ("ja", "2025年3月6日(木)", "3月6日(木)", "₩30,000", "￥3,000"),
    ("ko", "2025년 3월 6일 (목)", "3월 6일 (목)", "₩30,000", "JP¥3,000"),
    ("en", "Thu, Mar 6, 2025", "Thu, Mar 6", "₩30,000", "¥3,000"),
])
def test_babel_formats_dates_weekdays_and_money(language: str, day: str, short: str, krw: str, jpy: str) -> None:
    fmt = Formatter(language)  # type: ignore[arg-type]
    assert fmt.day(date(2025, 3, 6)) == day
    assert fmt.short_day(date(2025, 3, 6)) == short
    assert fmt.money(Decimal(30000), "KRW") == krw
    assert fmt.money(Decimal(3000), "JPY") == jpy


def test_a_message_has_a_plain_text_form() -> None:
    message = Message(key="orders.title", language="en", blocks=[
        TextBlock(key="orders.title", text="Here are your latest orders."),
        OrderBlock(order_id="O1", ordered_on="Thu, Mar 6, 2025", status_label=None, items=[
            ItemLine(order_item_code="O1-01", name="Tee", option="Red", quantity=2, status="preparing",
                     status_label="Preparing to ship", amount="₩20,000", note="Out of stock"),
            ItemLine(order_item_code="O1-02", name="Cap", quantity=1, status="shipping", status_label="Shipping")],
            total="Paid ₩30,000")])
    assert message.plain_text().splitlines() == [
        "Here are your latest orders.", "#O1  Thu, Mar 6, 2025", "  - Tee (Red) x2  [Preparing to ship]  ₩20,000",
        "      Out of stock", "  - Cap x1  [Shipping]", "  Paid ₩30,000"]
