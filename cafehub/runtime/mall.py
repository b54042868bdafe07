"""Cafe24's setting codes → :class:`~cafehub.runtime.settings.MallSettings` (pure; tested with Cafe24's examples).

- ``claim_request`` ``T`` → buyer requests used; the button list keeps
  Cafe24's spelling (``cancel_N20``); an unknown entry is ignored.
- ``claim_request_button_date_type`` / ``_period`` → display basis and days.
- ``refund_processing_setting`` ``S`` (refund processed together with the
  acceptance) → "automatic refund when a cancellation is accepted".
- stock recovery: ``stock_recover`` ``T`` applies ``stock_recover_base`` to
  both phases; ``F`` takes ``cancel_before`` / ``cancel_after`` from
  ``stock_recover_individual``. ``T`` → auto, ``F`` → off, ``M`` → ask.
- coupon restoration: ``cancel_before_pay`` / ``cancel_after_pay``
  (``T``/``F``/``M``), ``part`` for partial cancels (``F``/``M``).
- ``receiver_address_modify_button_exposure`` → address-change statuses.
- carts: the retention days when a storage period is set.
- regional surcharges: ``A`` → ``simple``, ``N`` → ``name``, ``Z`` → ``zipcode``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from cafehub.connectors.cafe24.settings import CouponSetting, OrderSetting, RegionalSurchargeSetting
from cafehub.runtime.settings import MallSettings, RegionalSurcharges, SurchargeRange, parse_button

_RECOVERY: dict[str | None, Literal["auto", "off", "ask"]] = {"T": "auto", "F": "off", "M": "ask"}
_MODES: dict[str | None, Literal["simple", "zipcode", "name"]] = {"A": "simple", "N": "name", "Z": "zipcode"}


def _buttons(entries: list[str]) -> list[str]:
    good = []
    for entry in entries:
        try:
            parse_button(entry)
        except ValueError:
            continue
        good.append(entry)
    return good


def mall_settings_from_cafe24(
    order: OrderSetting,
    coupon: CouponSetting,
    regional: RegionalSurchargeSetting,
    cart_retention_days: int | None,
) -> MallSettings:
    if order.stock_recover == "F" and order.stock_recover_individual is not None:
        before = _RECOVERY.get(order.stock_recover_individual.cancel_before, "auto")
        after = _RECOVERY.get(order.stock_recover_individual.cancel_after, "auto")
    else:
        before = after = _RECOVERY.get(order.stock_recover_base, "auto")
    recover = coupon.recover_coupon_setting
    surcharges = RegionalSurcharges(
        enabled=regional.use_regional_surcharge == "T",
        mode=_MODES.get(regional.region_setting_type, "simple"),
        ranges=tuple(SurchargeRange(start=r.start_zipcode or "", end=r.end_zipcode or r.start_zipcode or "",
                                    amount=r.regional_surcharge_amount)
                     for r in regional.regional_surcharge_list if r.start_zipcode),
        jeju_amount=regional.jeju_surcharge_amount or Decimal(0),
        remote_amount=regional.remote_area_surcharge_amount or Decimal(0),
    )
    return MallSettings.model_validate({
        "claim_requests": order.claim_request == "T",
        "request_buttons": _buttons(order.claim_request_button_exposure),
        "period_basis": order.claim_request_button_date_type or "shipend_date",
        "period_days": order.claim_request_button_period or 30,
        "auto_refund_on_cancel": order.refund_processing_setting == "S",
        "stock_recovery_before_payment": before,
        "stock_recovery_after_payment": after,
        "coupon_return_before_payment": _RECOVERY.get(recover.cancel_before_pay if recover else None, "off"),
        "coupon_return_after_payment": _RECOVERY.get(recover.cancel_after_pay if recover else None, "off"),
        "coupon_return_partial": "ask" if recover is not None and recover.part == "M" else "off",
        "address_change_statuses": frozenset(s for s in order.receiver_address_modify_button_exposure
                                             if len(s) == 3 and s[0] == "N"),
        "cart_retention_days": cart_retention_days,
        "surcharges": surcharges,
    })
