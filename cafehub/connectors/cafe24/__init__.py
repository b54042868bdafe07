"""The Cafe24 Admin API: client, models, code tables and writes."""

from __future__ import annotations

from cafehub.connectors.cafe24 import codes, models
from cafehub.connectors.cafe24.client import Cafe24Client
from cafehub.connectors.cafe24.writes import (
    ExchangeItem,
    ItemQuantity,
    RefundAccount,
    cancel_order,
    request_cancellation,
    request_exchange,
    request_return,
    update_receivers,
)

__all__ = [
    "Cafe24Client",
    "ExchangeItem",
    "ItemQuantity",
    "RefundAccount",
    "cancel_order",
    "codes",
    "models",
    "request_cancellation",
    "request_exchange",
    "request_return",
    "update_receivers",
]
