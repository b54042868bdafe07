"""The Sellmate adapter: against the sandbox, and with another shop's paths and field names."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from cafehub.connectors.errors import ApiError, MalformedResponse
from cafehub.connectors.sellmate import SellmateClient, SellmateConfig, SellmateFields, SellmatePaths
from cafehub.sandbox.testing import FAST_RETRY, serve


def test_stock_restock_packing_and_invoices_from_the_sandbox(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        shop = sb.sandbox.shop
        codes = sorted(shop.variants)[:30]
        with SellmateClient(sb.sellmate_config()) as sellmate:
            assert sellmate.stock([*codes, "UNKNOWN0000A"]) == {c: shop.variants[c].stock for c in codes}
            assert sellmate.restock_dates(codes) == {c: shop.variants[c].restock_date for c in codes}
            packed = next(iter(shop.packing))
            partners = sellmate.packed_with(packed)
            assert partners
            assert packed not in partners
            assert all(shop.packing[p] == shop.packing[packed] for p in partners)
            lonely = next(o for o in shop.orders if o not in shop.packing)
            assert sellmate.packed_with(lonely) == []
            tracked = next(o for o in shop.orders.values() if any(i.tracking_no for i in o.items))
            numbers = {i.tracking_no for i in tracked.items if i.tracking_no}
            assert {inv.invoice_no for inv in sellmate.invoices(tracked.order_id)} == numbers
        with SellmateClient(sb.sellmate_config(api_key="wrong")) as bad, pytest.raises(ApiError, match="HTTP 401"):
            bad.stock(codes)


def test_paths_auth_and_field_names_are_configuration() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/wms/inventory":
            codes = request.url.params["skus"].split(",")
            return httpx.Response(200, json={"result": {"rows": [
                {"sku": c, "qty": {"available": "7"}, "eta": "2025-03-01T00:00:00"} for c in codes]}})
        if request.url.path == "/wms/bundles/O1":
            return httpx.Response(200, json={"result": {"rows": {"orders": ["O1", "O2"]}}})
        return httpx.Response(404, json={"error": {"code": "404", "message": "no"}})

    config = SellmateConfig(
        base_url="https://wms.example.test",
        api_key="k",
        auth_header="Authorization",
        auth_prefix="Bearer ",
        paths=SellmatePaths(stock="/wms/inventory", restock="/wms/inventory", packing="/wms/bundles/{order_id}",
                            item_codes_param="skus"),
        fields=SellmateFields(data="result.rows", item_code="sku", stock="qty.available", restock_date="eta",
                              pack_orders="orders"),
        transport=httpx.MockTransport(handler),
        retry=FAST_RETRY,
    )
    with SellmateClient(config) as sellmate:
        assert sellmate.stock(["A", "B"]) == {"A": 7, "B": 7}
        assert sellmate.restock_dates(["A"]) == {"A": date(2025, 3, 1)}
        assert sellmate.packed_with("O1") == ["O2"]
    assert seen[0].headers["authorization"] == "Bearer k"


def test_a_missing_field_names_the_configured_path() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps({"data": [{"item_code": "A"}]}),
                              headers={"content-type": "application/json"})

    config = SellmateConfig(base_url="https://wms.example.test", api_key="k", transport=httpx.MockTransport(handler),
                            retry=FAST_RETRY)
    with SellmateClient(config) as sellmate, pytest.raises(MalformedResponse, match=r"field data\[0\]\.stock"):
        sellmate.stock(["A"])
