"""The Sellmate warehouse (WMS) adapter: stock, restock dates, dispatch dates, packing merges, invoices.

Sellmate publishes no API specification, so nothing here is hard-coded: the
base URL, the auth header, every path and every field name come from a
:class:`SellmateConfig`. The defaults describe the loopback sandbox
(:mod:`cafehub.sandbox.sellmate`); a shop whose Sellmate domain answers
differently overrides paths and field names without code changes. Field
names may be dotted paths into nested objects (``"stock.available"``).

All calls are reads: they are retried with backoff on 5xx and timeouts and
honour ``Retry-After`` on 429, like the Cafe24 client.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from cafehub.connectors.config import check_base_url
from cafehub.connectors.errors import MalformedResponse, TransportError, api_error, transport_problem
from cafehub.connectors.http import json_body
from cafehub.connectors.retry import DEFAULT_RETRY, RetryPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class SellmatePaths:
    """Paths under the base URL; ``{order_id}`` is filled in, item codes go in the query."""

    stock: str = "/api/v1/stocks"
    restock: str = "/api/v1/restocks"
    packing: str = "/api/v1/orders/{order_id}/packing"
    invoices: str = "/api/v1/orders/{order_id}/invoices"
    dispatch: str = "/api/v1/dispatches"
    #: Query parameter that carries comma-separated item (variant) codes.
    item_codes_param: str = "item_codes"
    #: Query parameter that carries comma-separated Cafe24 order ids.
    order_ids_param: str = "order_ids"


@dataclass(frozen=True, slots=True, kw_only=True)
class SellmateFields:
    """Field names in Sellmate's answers (dotted paths allowed)."""

    data: str = "data"
    item_code: str = "item_code"
    stock: str = "stock"
    restock_date: str = "expected_date"
    pack_orders: str = "order_ids"
    invoice_no: str = "invoice_no"
    courier: str = "courier"
    order_id: str = "order_id"
    dispatch_date: str = "dispatch_date"


@dataclass(frozen=True, slots=True, kw_only=True)
class SellmateConfig:
    """How to reach one shop's Sellmate."""

    base_url: str
    api_key: str = field(repr=False)
    auth_header: str = "X-Api-Key"
    #: Prefix before the key in the header value (``"Bearer "`` for bearer-style keys).
    auth_prefix: str = ""
    paths: SellmatePaths = SellmatePaths()
    fields: SellmateFields = SellmateFields()
    transport: httpx.BaseTransport | None = None
    timeout: float = 15.0
    retry: RetryPolicy = DEFAULT_RETRY
    sleep: Callable[[float], None] = time.sleep
    #: At most this many item codes per stock / restock query.
    batch: int = 100

    def __post_init__(self) -> None:
        check_base_url(self.base_url, "Sellmate base URL")


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_no: str
    courier: str | None


def _pick(obj: Any, path: str, endpoint: str, where: str) -> Any:
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise MalformedResponse("missing from the response", endpoint=endpoint, field=f"{where}.{path}")
        value = value[part]
    return value


class SellmateClient:
    """Reads from a shop's Sellmate."""

    def __init__(self, config: SellmateConfig) -> None:
        self.config = config
        self.calls = 0
        self._http = httpx.Client(transport=config.transport, timeout=config.timeout,
                                  base_url=config.base_url.rstrip("/"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SellmateClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, template: str, params: dict[str, str] | None = None) -> Any:
        endpoint = f"GET (Sellmate) {template}"
        headers = {self.config.auth_header: f"{self.config.auth_prefix}{self.config.api_key}"}
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.get(path, params=params, headers=headers)
            except httpx.HTTPError as exc:
                go, delay = self.config.retry.on_exception(attempt, exc, write=False)
                if go:
                    self.config.sleep(delay)
                    continue
                raise TransportError(transport_problem(exc), endpoint=endpoint) from None
            self.calls += 1
            if response.status_code >= 400:
                go, delay = self.config.retry.on_response(attempt, response, write=False)
                if go:
                    self.config.sleep(delay)
                    continue
                raise api_error(response, endpoint)
            body = json_body(response, endpoint)
            return _pick(body, self.config.fields.data, endpoint, "$")

    def _per_item(self, path: str, codes: Sequence[str], value_field: str) -> dict[str, Any]:
        cfg = self.config
        endpoint = f"GET (Sellmate) {path}"
        out: dict[str, Any] = {}
        unique = list(dict.fromkeys(codes))
        for start in range(0, len(unique), cfg.batch):
            chunk = unique[start : start + cfg.batch]
            rows = self._get(path, path, {cfg.paths.item_codes_param: ",".join(chunk)})
            if not isinstance(rows, list):
                raise MalformedResponse("expected a list", endpoint=endpoint, field=cfg.fields.data)
            for index, row in enumerate(rows):
                where = f"{cfg.fields.data}[{index}]"
                code = _pick(row, cfg.fields.item_code, endpoint, where)
                out[str(code)] = (_pick(row, value_field, endpoint, where), where)
        return out

    def stock(self, item_codes: Sequence[str]) -> dict[str, int]:
        """Units on hand per item code (codes Sellmate does not know are left out)."""
        endpoint = f"GET (Sellmate) {self.config.paths.stock}"
        out: dict[str, int] = {}
        rows = self._per_item(self.config.paths.stock, item_codes, self.config.fields.stock)
        for code, (value, where) in rows.items():
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
                raise MalformedResponse(f"expected a whole number, got {type(value).__name__}", endpoint=endpoint,
                                        field=f"{where}.{self.config.fields.stock}")
            out[code] = int(value)
        return out

    def restock_dates(self, item_codes: Sequence[str]) -> dict[str, date | None]:
        """Expected arrival per item code; ``None`` where no restock is registered."""
        endpoint = f"GET (Sellmate) {self.config.paths.restock}"
        fields = self.config.fields
        out: dict[str, date | None] = {}
        for code, (value, where) in self._per_item(self.config.paths.restock, item_codes, fields.restock_date).items():
            if value in (None, ""):
                out[code] = None
                continue
            try:
                out[code] = date.fromisoformat(str(value)[:10])
            except ValueError:
                raise MalformedResponse(f"expected a date, got {type(value).__name__}", endpoint=endpoint,
                                        field=f"{where}.{fields.restock_date}") from None
        return out

    def packed_with(self, order_id: str) -> list[str]:
        """The other Cafe24 orders Sellmate packs together with ``order_id`` (empty when none)."""
        template = self.config.paths.packing
        data = self._get(template.format(order_id=order_id), template)
        if data is None:
            return []
        ids = _pick(data, self.config.fields.pack_orders, f"GET (Sellmate) {template}", self.config.fields.data)
        if not isinstance(ids, list):
            raise MalformedResponse("expected a list of order ids", endpoint=f"GET (Sellmate) {template}",
                                    field=f"{self.config.fields.data}.{self.config.fields.pack_orders}")
        return [str(i) for i in ids if str(i) != order_id]

    def invoices(self, order_id: str) -> list[Invoice]:
        """Invoice (tracking) numbers Sellmate has issued for ``order_id``."""
        template = self.config.paths.invoices
        endpoint = f"GET (Sellmate) {template}"
        rows = self._get(template.format(order_id=order_id), template)
        if not isinstance(rows, list):
            raise MalformedResponse("expected a list", endpoint=endpoint, field=self.config.fields.data)
        out = []
        for index, row in enumerate(rows):
            where = f"{self.config.fields.data}[{index}]"
            number = _pick(row, self.config.fields.invoice_no, endpoint, where)
            courier = row.get(self.config.fields.courier) if isinstance(row, dict) else None
            out.append(Invoice(str(number), None if courier is None else str(courier)))
        return out

    def dispatch_dates(self, order_ids: Sequence[str]) -> dict[str, date | None]:
        """The day the warehouse will hand each order's in-stock items to the carrier (``None``: not planned)."""
        cfg = self.config
        endpoint = f"GET (Sellmate) {cfg.paths.dispatch}"
        out: dict[str, date | None] = {}
        unique = list(dict.fromkeys(order_ids))
        for start in range(0, len(unique), cfg.batch):
            chunk = unique[start : start + cfg.batch]
            rows = self._get(cfg.paths.dispatch, cfg.paths.dispatch, {cfg.paths.order_ids_param: ",".join(chunk)})
            if not isinstance(rows, list):
                raise MalformedResponse("expected a list", endpoint=endpoint, field=cfg.fields.data)
            for index, row in enumerate(rows):
                where = f"{cfg.fields.data}[{index}]"
                order_id = str(_pick(row, cfg.fields.order_id, endpoint, where))
                value = _pick(row, cfg.fields.dispatch_date, endpoint, where)
                if value in (None, ""):
                    out[order_id] = None
                    continue
                try:
                    out[order_id] = date.fromisoformat(str(value)[:10])
                except ValueError:
                    raise MalformedResponse("expected a date", endpoint=endpoint,
                                            field=f"{where}.{cfg.fields.dispatch_date}") from None
        return out
