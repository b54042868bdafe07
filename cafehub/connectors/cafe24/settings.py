"""The mall's own settings the chat commands obey, read from the Admin API.

- ``GET /orders/setting`` (scope ``mall.read_store``): buyer cancel / return /
  exchange requests (``claim_request``), the statuses whose request buttons
  show (``claim_request_button_exposure``: ``cancel_N10``, ``return_N40`` ...),
  the display period (``claim_request_button_date_type``: ``order_date`` or
  ``shipend_date``; ``claim_request_button_period`` days), stock recovery on
  cancel and return (``stock_recover``: ``T`` one setting for all,
  ``stock_recover_base``; ``F`` per case, ``stock_recover_individual``; each
  ``T`` recover, ``F`` do not, ``M`` ask), refunds processed with the
  acceptance (``refund_processing_setting``: ``S`` together, ``D`` apart) and
  the address-change button statuses (``receiver_address_modify_button_exposure``).
- ``GET /coupons/setting``: coupon restoration (``recover_coupon_setting``:
  ``cancel_before_pay``, ``cancel_after_pay`` ``T``/``F``/``M``; ``part``
  ``F``/``M``).
- ``GET /regionalsurcharges`` (scope ``mall.read_shipping``): regional
  shipping surcharges (``region_setting_type`` ``A`` simple, ``N`` by name,
  ``Z`` by postal code; the ranges; the Jeju and remote-area amounts).

Source: Cafe24 Admin API reference, "Orders setting", "Coupons setting",
"Regionalsurcharges" (docs/COMMANDS.md names the pages).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from cafehub.connectors.http import member, validate

from .client import Cafe24Client
from .models import Flag, IntText, Model, Money


def _list_or_empty(value: object) -> object:
    return [] if value in (None, "", "null") else value


def _none_if_empty(value: object) -> object:
    return None if value in ("", "null") else value


Codes = Annotated[list[str], BeforeValidator(_list_or_empty)]
OptFlag3 = Annotated[Literal["T", "F", "M"] | None, BeforeValidator(_none_if_empty)]


class StockRecoverIndividual(Model):
    cancel_before: OptFlag3 = None
    cancel_after: OptFlag3 = None
    cancel_return: OptFlag3 = None


class OrderSetting(Model):
    """``GET /orders/setting`` (the fields cafehub reads)."""

    claim_request: Flag = "F"
    claim_request_button_exposure: Codes = Field(default_factory=list)
    claim_request_button_date_type: Literal["order_date", "shipend_date"] | None = None
    claim_request_button_period: Annotated[IntText | None, BeforeValidator(_none_if_empty)] = None
    stock_recover: Flag | None = None
    stock_recover_base: OptFlag3 = None
    stock_recover_individual: StockRecoverIndividual | None = None
    refund_processing_setting: Annotated[Literal["S", "D"] | None, BeforeValidator(_none_if_empty)] = None
    claim_request_auto_accept: Flag | None = None
    receiver_address_modify_button_exposure: Codes = Field(default_factory=list)


class RecoverCouponSetting(Model):
    restore_viewpoint: str | None = None
    cancel_before_pay: OptFlag3 = None
    cancel_after_pay: OptFlag3 = None
    part: OptFlag3 = None


class CouponSetting(Model):
    """``GET /coupons/setting`` (the fields cafehub reads)."""

    use_coupon: Flag | None = None
    recover_coupon_setting: RecoverCouponSetting | None = None


class RegionalSurcharge(Model):
    regional_surcharge_no: IntText | None = None
    region_name: str | None = None
    start_zipcode: str | None = None
    end_zipcode: str | None = None
    regional_surcharge_amount: Money


def _money_or_none(value: object) -> object:
    return None if value in (None, "", "null") else value


class RegionalSurchargeSetting(Model):
    """``GET /regionalsurcharges``."""

    use_regional_surcharge: Flag = "F"
    region_setting_type: Literal["A", "N", "Z"] | None = None
    regional_surcharge_list: Annotated[list[RegionalSurcharge], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list)
    jeju_surcharge_amount: Annotated[Money | None, BeforeValidator(_money_or_none)] = None
    remote_area_surcharge_amount: Annotated[Money | None, BeforeValidator(_money_or_none)] = None


def _read(client: Cafe24Client, path: str, key: str, model: Any) -> Any:
    body = client.get(path)
    endpoint = f"GET /api/v2/admin{path}"
    return validate(model, member(body, key, endpoint), endpoint=endpoint, root=key)


def order_setting(client: Cafe24Client) -> OrderSetting:
    result: OrderSetting = _read(client, "/orders/setting", "order", OrderSetting)
    return result


def coupon_setting(client: Cafe24Client) -> CouponSetting:
    result: CouponSetting = _read(client, "/coupons/setting", "coupon", CouponSetting)
    return result


def regional_surcharges(client: Cafe24Client) -> RegionalSurchargeSetting:
    result: RegionalSurchargeSetting = _read(client, "/regionalsurcharges", "regionalsurcharge",
                                             RegionalSurchargeSetting)
    return result
