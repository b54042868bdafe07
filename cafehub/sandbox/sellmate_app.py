"""A Sellmate-like HTTP server: stock, restock dates, packing merges and invoice numbers.

Its paths and field names are the defaults of
:class:`cafehub.connectors.sellmate.SellmateConfig`; the key goes in
``X-Api-Key``. Stock and restock dates come from the sandbox's variants,
packing merges from ``sandbox_packing``, invoices from the items' tracking
numbers, so Sellmate and Cafe24 tell one consistent story.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .control import Sandbox
from .mall_settings import dispatches_json


def build_sellmate_app(sb: Sandbox) -> Starlette:
    def guard(request: Request) -> Response | None:
        if request.headers.get("x-api-key") != sb.config.sellmate_key:
            sb.record("GET", request.url.path, 401)
            return JSONResponse({"error": {"code": 401, "message": "invalid API key"}}, 401)
        fault = sb.faults.take("GET", request.url.path)
        if fault is not None and fault.status is not None:
            sb.record("GET", request.url.path, fault.status)
            return Response(fault.body or "", status_code=fault.status, media_type=fault.content_type)
        sb.record("GET", request.url.path, 200)
        return None

    def codes(request: Request) -> list[str]:
        return [c for c in request.query_params.get("item_codes", "").split(",") if c]

    def stocks(request: Request) -> Response:
        denied = guard(request)
        if denied:
            return denied
        with sb.shop.lock:
            rows = [sb.shop.variants[c] for c in codes(request) if c in sb.shop.variants]
            data = [{"item_code": v.variant_code, "stock": v.stock,
                     "expected_date": v.restock_date.isoformat() if v.restock_date else None} for v in rows]
        return JSONResponse({"data": data})

    def restocks(request: Request) -> Response:
        denied = guard(request)
        if denied:
            return denied
        with sb.shop.lock:
            rows = [sb.shop.variants[c] for c in codes(request) if c in sb.shop.variants]
            data = [{"item_code": v.variant_code,
                     "expected_date": v.restock_date.isoformat() if v.restock_date else None} for v in rows]
        return JSONResponse({"data": data})

    def packing(request: Request) -> Response:
        denied = guard(request)
        if denied:
            return denied
        order_id = request.path_params["order_id"]
        with sb.shop.lock:
            pack = sb.shop.packing.get(order_id)
            if pack is None:
                return JSONResponse({"data": None})
            members = sorted(o for o, p in sb.shop.packing.items() if p == pack)
        return JSONResponse({"data": {"pack_no": pack, "order_ids": members}})

    def invoices(request: Request) -> Response:
        denied = guard(request)
        if denied:
            return denied
        with sb.shop.lock:
            order = sb.shop.orders.get(request.path_params["order_id"])
            if order is None:
                return JSONResponse({"error": {"code": 404, "message": "order not found"}}, 404)
            numbers = sorted({i.tracking_no for i in order.items if i.tracking_no})
        return JSONResponse({"data": [{"invoice_no": n, "courier": "Sandbox Express"} for n in numbers]})

    def dispatches(request: Request) -> Response:
        denied = guard(request)
        if denied:
            return denied
        ids = [i for i in request.query_params.get("order_ids", "").split(",") if i]
        return JSONResponse({"data": dispatches_json(sb, ids)})

    app = Starlette(
        routes=[
            Route("/api/v1/dispatches", dispatches),
            Route("/api/v1/stocks", stocks),
            Route("/api/v1/restocks", restocks),
            Route("/api/v1/orders/{order_id}/packing", packing),
            Route("/api/v1/orders/{order_id}/invoices", invoices),
        ]
    )
    app.state.sandbox = sb
    return app
