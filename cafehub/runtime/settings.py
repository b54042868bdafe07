"""The settings the rules read: the shop owner's hub settings and the mall's own settings.

:class:`HubSettings` are the owner's choices in the app (WMS, cancel mode,
defect mode, return address, split shipping, which commands are on).
:class:`MallSettings` mirror Cafe24's "order settings > after order",
coupon restoration, regional shipping surcharges and cart retention; the
executor reads them from the Admin API (:func:`mall_settings_from_cafe24`)
and a settings file may override any of them. :func:`load_settings` reads a
TOML file; a mistake in it is a :class:`SettingsError` naming the field and
the kind of problem, never echoing a value.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class CommandName(StrEnum):
    ORDERS = "orders"
    ETA = "eta"
    CANCEL = "cancel"
    RETURN = "return"
    ADDRESS = "address"


class ClaimKind(StrEnum):
    """The three buyer requests Cafe24's request buttons are set for."""

    CANCEL = "cancel"
    RETURN = "return"
    EXCHANGE = "exchange"


class Setting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SplitShipping(Setting):
    """Ship what is ready first when the rest waits long (the guide's 分割配送)."""

    enabled: bool = False
    #: Days after the order day (which is not counted) within which items ship together.
    base_days: int = Field(default=3, ge=0, le=60)
    #: Orders paying less than this ship in one go.
    min_amount: Decimal = Field(default=Decimal(0), ge=0)


class Address(Setting):
    """A postal address (the shop's return address)."""

    name: str = Field(min_length=1, max_length=100)
    zipcode: str = Field(min_length=2, max_length=14)
    address1: str = Field(min_length=1, max_length=255)
    address2: str = Field(default="", max_length=255)
    phone: str = Field(default="", max_length=20)


class PhotoRules(Setting):
    """What the chat accepts as photos of a defective or wrong item."""

    max_count: int = Field(default=5, ge=1, le=20)
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    min_count: int = Field(default=1, ge=1)


class HubSettings(Setting):
    """The shop owner's choices in the app."""

    wms: Literal["none", "sellmate"] = "none"
    cancel_mode: Literal["complete", "request"] = "request"
    defect_mode: Literal["apply", "pending"] = "pending"
    return_address: Address | None = None
    split_shipping: SplitShipping = SplitShipping()
    commands: dict[CommandName, bool] = Field(default_factory=lambda: dict.fromkeys(CommandName, True))
    #: The country of the shop's customers: postal codes, phone numbers, remote areas.
    country: Literal["KR", "JP"] = "KR"
    zone: str = "Asia/Seoul"
    currency: Literal["KRW", "JPY"] = "KRW"
    language: Literal["ja", "ko", "en"] = "ko"
    #: How far back order history looks (in 3-month Cafe24 windows; 6 months = at most 2 calls).
    history_months: int = Field(default=6, ge=3, le=36)
    photos: PhotoRules = PhotoRules()
    #: A TOML file replacing the built-in remote-area postal-code tables (see docs/COMMANDS.md).
    remote_areas_file: Path | None = None

    @field_validator("commands")
    @classmethod
    def _every_command(cls, value: dict[CommandName, bool]) -> dict[CommandName, bool]:
        return {c: value.get(c, True) for c in CommandName}

    def enabled(self, command: CommandName) -> bool:
        return self.commands.get(command, True) and not (command is CommandName.ETA and self.wms == "none")


StockRecovery = Literal["auto", "off", "ask"]
CouponReturn = Literal["auto", "off", "ask"]


class SurchargeRange(Setting):
    """A mall's regional surcharge for postal codes ``start``..``end`` (Cafe24 ``regional_surcharge_list``)."""

    start: str
    end: str
    amount: Decimal = Field(ge=0)


class RegionalSurcharges(Setting):
    """Cafe24's regional shipping surcharges (``GET /regionalsurcharges``)."""

    enabled: bool = False
    #: ``simple``: one amount for Jeju (Okinawa) and one for remote islands, found by the postal-code
    #: tables; ``zipcode``: the mall's own postal-code ranges; ``name``: by place name, compared through
    #: the postal-code tables since names cannot be matched reliably.
    mode: Literal["simple", "zipcode", "name"] = "simple"
    ranges: tuple[SurchargeRange, ...] = ()
    jeju_amount: Decimal = Field(default=Decimal(0), ge=0)
    remote_amount: Decimal = Field(default=Decimal(0), ge=0)


class MallSettings(Setting):
    """The mall's settings mirrored from Cafe24 (shop settings > order settings > after order)."""

    claim_requests: bool = True
    #: ``(kind, status)`` pairs whose request button the buyer sees (Cafe24 ``cancel_N10``, ``return_N40`` ...).
    request_buttons: frozenset[tuple[ClaimKind, str]] = frozenset(
        {(ClaimKind.CANCEL, "N00"), (ClaimKind.CANCEL, "N10"), (ClaimKind.CANCEL, "N20"),
         (ClaimKind.RETURN, "N40"), (ClaimKind.EXCHANGE, "N40")}
    )
    #: ``order_date``: the button shows for ``period_days`` after the order; ``shipend_date``: no limit
    #: (as the guide says of the delivery-complete basis).
    period_basis: Literal["order_date", "shipend_date"] = "shipend_date"
    period_days: int = Field(default=30, ge=1, le=365)
    #: "Automatic refund when a cancellation is accepted" (Cafe24 ``refund_processing_setting`` = S).
    auto_refund_on_cancel: bool = False
    stock_recovery_before_payment: StockRecovery = "auto"
    stock_recovery_after_payment: StockRecovery = "auto"
    coupon_return_before_payment: CouponReturn = "auto"
    coupon_return_after_payment: CouponReturn = "auto"
    #: Coupon restoration on a partial cancel (Cafe24 ``part``: ``off`` or ``ask``).
    coupon_return_partial: Literal["off", "ask"] = "off"
    address_change_statuses: frozenset[str] = frozenset({"N00", "N10", "N20", "N22"})
    cart_retention_days: int | None = Field(default=7, ge=1, le=30)
    surcharges: RegionalSurcharges = RegionalSurcharges()

    @field_validator("request_buttons", mode="before")
    @classmethod
    def _buttons(cls, value: Any) -> Any:
        """Accept Cafe24's own spelling: a list of ``"cancel_N10"`` strings."""
        if isinstance(value, list | tuple | set | frozenset) and all(isinstance(v, str) for v in value):
            return frozenset(parse_button(v) for v in value)
        return value

    def button(self, kind: ClaimKind, status: str) -> bool:
        return (kind, status) in self.request_buttons


def parse_button(text: str) -> tuple[ClaimKind, str]:
    """``"cancel_N10"`` → ``(ClaimKind.CANCEL, "N10")``."""
    kind, _, status = text.partition("_")
    if kind not in {k.value for k in ClaimKind} or len(status) != 3 or status[0] != "N":
        raise ValueError("each request button is '<cancel|return|exchange>_N<two digits>'")
    return ClaimKind(kind), status


class ShopSettings(Setting):
    """Everything the rules read about one shop."""

    hub: HubSettings = HubSettings()
    mall: MallSettings = MallSettings()


class SettingsError(ValueError):
    """A settings file or value that cannot be used; the message names the field, never the value."""


def describe(error: ValidationError) -> str:
    """One line per problem: ``hub.split_shipping.base_days: must be at least 0``."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in problem["loc"])
        lines.append(f"{where or '(top level)'}: {_kind(problem)}")
    return "; ".join(lines)


def _kind(problem: Any) -> str:
    kind = problem.get("type", "")
    ctx = problem.get("ctx") or {}
    known = {
        "missing": "is required",
        "extra_forbidden": "is not a known setting",
        "literal_error": f"must be one of {ctx.get('expected', '')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "string_too_short": f"must have at least {ctx.get('min_length')} characters",
        "string_too_long": f"must have at most {ctx.get('max_length')} characters",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "decimal_parsing": "must be a number",
        "decimal_type": "must be a number",
        "enum": f"must be one of {ctx.get('expected', '')}",
    }
    if kind in known:
        return known[kind]
    message = str(problem.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")


def load_settings(path: Path | str) -> ShopSettings:
    """Read a TOML settings file with ``[hub]`` and an optional ``[mall]`` table."""
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{file}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{file}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{file}: not valid TOML ({exc})") from None
    return settings_from_mapping(raw, origin=str(file))


def settings_from_mapping(raw: dict[str, Any], *, origin: str = "settings") -> ShopSettings:
    """Validate a mapping (``{"hub": {...}, "mall": {...}}``); unknown top-level tables are ignored."""
    wanted = {k: v for k, v in raw.items() if k in ("hub", "mall")}
    try:
        return ShopSettings.model_validate(wanted)
    except ValidationError as error:
        raise SettingsError(f"{origin}: {describe(error)}") from None


def merge_mall(from_cafe24: MallSettings, overrides: dict[str, Any]) -> MallSettings:
    """Cafe24's settings with a settings file's ``[mall]`` values on top."""
    try:
        return MallSettings.model_validate({**from_cafe24.model_dump(), **overrides})
    except ValidationError as error:
        raise SettingsError(f"mall: {describe(error)}") from None
