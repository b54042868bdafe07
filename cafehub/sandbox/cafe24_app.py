"""A Cafe24-like HTTP server (Starlette): OAuth, rate limit, paging maxima, errors, reads.

Rules follow the Admin API reference: ``limit``/``offset`` maxima per endpoint
answer 422 when exceeded, order queries need a start and end date less than
three months apart (422 otherwise), every admin answer carries
``X-Api-Call-Limit`` and the usage headers, a full bucket answers 429, an
unknown or expired bearer token 401. Write endpoints are in
:mod:`.cafe24_writes`.
"""

from __future__ import annotations

import asyncio
import json
import time as time_module
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cafehub.connectors.paging import add_months
from cafehub.store import records as r

from . import render
from .control import Sandbox, SandboxError
from .oauth import OAuthRefusal
from .state import Order

Handler = Callable[[Sandbox, "Call"], tuple[int, dict[str, Any]]]


class Call:
    """One admin request: query, path parameters and JSON body."""

    def __init__(self, query: QueryParams, path: dict[str, Any], body: Any) -> None:
        self.query = query
        self.path = path
        self.body = body

    def text(self, name: str) -> str | None:
        value = self.query.get(name)
        return value if value not in (None, "") else None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SandboxError(422, f"{name} must be an integer") from None
        if not low <= value <= high:
            raise SandboxError(422, f"{name} must be between {low} and {high}")
        return value

    def page(self, default: int, max_limit: int, max_offset: int) -> tuple[int, int]:
        return self.integer("limit", default, 1, max_limit), self.integer("offset", 0, 0, max_offset)

    def day(self, name: str) -> date | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            raise SandboxError(422, f"{name} must be a date (YYYY-MM-DD)") from None

    def strict_day(self, name: str) -> date | None:
        """A parameter Cafe24 documents as a date: exactly ``YYYY-MM-DD`` (a time is refused)."""
        raw = self.text(name)
        if raw is None:
            return None
        try:
            if len(raw) != 10:
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            raise SandboxError(422, f"{name} must be a date (YYYY-MM-DD)") from None

    def ids(self, name: str) -> list[str]:
        raw = self.text(name)
        values = [v for v in (raw or "").split(",") if v]
        if len(values) > 100:
            raise SandboxError(422, f"{name} takes at most 100 values")
        return values


def naive_utc(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.astimezone(UTC).replace(tzinfo=None)


def day_range(sb: Sandbox, first: date, last: date) -> tuple[datetime, datetime]:
    """``[start of first, start of the day after last)`` in the mall's zone, as naive UTC."""
    start = datetime.combine(first, time(), sb.zone)
    end = datetime.combine(last + timedelta(days=1), time(), sb.zone)
    return naive_utc(start), naive_utc(end)


def error_response(error: SandboxError, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": error.code, "message": error.message, "more_info": {}}}
    return JSONResponse(body, status_code=error.status, headers=headers)


#: The message of a 429, by the limit that refused the call.
REFUSALS = {
    "bucket": "Too Many Requests",
    "usage": "the API usage limit is exceeded; calls are accepted again after the seconds in "
             "X-Cafe24-Call-Remain / X-Cafe24-Time-Remain (calling before makes the wait longer)",
    "burst": "too many calls in one second from one address to this mall (treated as abnormal)",
}


def _records(payload: dict[str, Any]) -> int:
    """How many records an answer holds (the processing time the usage limit charges grows with it)."""
    first = next(iter(payload.values()), None) if payload else None
    return len(first) if isinstance(first, list) else 1


def admin_route(sb: Sandbox, path: str, method: str, handler: Handler) -> Route:
    """Wrap a handler with rate limiting, auth, faults and Cafe24's error bodies."""

    async def endpoint(request: Request) -> Response:
        url_path = request.url.path
        arrived = time_module.monotonic()
        headers: dict[str, str] = {}
        if sb.config.rate_limit:
            verdict = sb.limits.admit(request.client.host if request.client else "")
            headers = verdict.headers
            if not verdict.accepted:
                sb.record(method, url_path, 429, arrived)
                return error_response(SandboxError(429, REFUSALS[verdict.reason]), headers)
        fault = sb.faults.take(method, url_path)
        if fault is not None and fault.delay and not fault.after:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            sb.record(method, url_path, fault.status, arrived)
            extra = dict(headers)
            if fault.retry_after is not None:
                extra["Retry-After"] = str(fault.retry_after)
            if fault.status == 429:
                extra["X-Api-Call-Limit"] = f"{sb.bucket.capacity}/{sb.bucket.capacity}"
            return Response(fault.body or "", status_code=fault.status, media_type=fault.content_type,
                            headers=extra)
        try:
            auth = request.headers.get("authorization", "")
            refused = sb.oauth.check(auth[7:] if auth.lower().startswith("bearer ") else None)
            if refused is not None:
                raise SandboxError(401, refused)
            version = request.headers.get("x-cafe24-api-version")
            if version:
                sb.api_versions.add(version)
            body: Any = None
            if method in ("POST", "PUT"):
                try:
                    body = json.loads(await request.body() or b"null")
                except ValueError:
                    raise SandboxError(400, "the body is not JSON") from None
            call = Call(request.query_params, dict(request.path_params), body)
            with sb.shop.lock:
                status, payload = handler(sb, call)
        except SandboxError as error:
            sb.record(method, url_path, error.status, arrived)
            return error_response(error, headers)
        if sb.config.rate_limit:
            sb.limits.charge(_records(payload))
        if fault is not None and fault.mutate is not None:
            payload = fault.mutate(payload)
        if fault is not None and fault.delay and fault.after:
            await asyncio.sleep(fault.delay)
        sb.record(method, url_path, status, arrived)
        return JSONResponse(payload, status_code=status, headers=headers)

    return Route(path, endpoint, methods=[method])


# -- OAuth ----------------------------------------------------------------


def oauth_routes(sb: Sandbox) -> list[Route]:
    def authorize(request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != sb.config.client_id:
            return JSONResponse({"error": "invalid_client", "error_description": "unknown client_id"}, 400)
        code = sb.authorize()
        sep = "&" if "?" in q.get("redirect_uri", "") else "?"
        return RedirectResponse(f"{q.get('redirect_uri', '')}{sep}code={code}&state={q.get('state', '')}", 302)

    async def token(request: Request) -> Response:
        import base64

        auth = request.headers.get("authorization", "")
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":") if auth.startswith("Basic ") \
                else ("", "", "")
        except ValueError:
            user, password = "", ""
        if (user, password) != (sb.config.client_id, sb.config.client_secret):
            sb.record("POST", request.url.path, 401)
            return JSONResponse({"error": "invalid_client", "error_description": "bad client credentials"}, 401)
        from urllib.parse import parse_qs

        # Parsed by hand: a urlencoded body needs no multipart library.
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        try:
            if grant == "authorization_code":
                answer = sb.oauth.exchange(str(form.get("code", "")))
            elif grant == "refresh_token":
                answer = sb.oauth.refresh(str(form.get("refresh_token", "")))
            else:
                raise OAuthRefusal(400, f"unsupported grant_type {grant!r}", "unsupported_grant_type")
        except OAuthRefusal as refusal:
            sb.record("POST", request.url.path, refusal.status)
            return JSONResponse({"error": refusal.code, "error_description": refusal.description}, refusal.status)
        sb.record("POST", request.url.path, 200)
        return JSONResponse(answer)

    return [
        Route("/api/v2/oauth/authorize", authorize, methods=["GET"]),
        Route("/api/v2/oauth/token", token, methods=["POST"]),
    ]


# -- orders ---------------------------------------------------------------

#: date_type → the order's instant for that event (None when it has not happened).
DATE_TYPES: dict[str, Callable[[Order], datetime | None]] = {
    "order_date": lambda o: o.ordered_at,
    "pay_date": lambda o: o.pay_date,
    "cancel_date": lambda o: o.cancel_date,
    "cancel_complete_date": lambda o: o.cancel_date,
    "cancel_request_date": lambda o: o.cancel_date,
    "return_request_date": lambda o: min((i.return_request_date for i in o.items if i.return_request_date),
                                         default=None),
    "return_complete_date": lambda o: o.return_complete_date,
    "exchange_request_date": lambda o: min((i.exchange_request_date for i in o.items if i.exchange_request_date),
                                           default=None),
    "shipbegin_date": lambda o: min((i.shipped_date for i in o.items if i.shipped_date), default=None),
    "shipend_date": lambda o: min((i.delivered_date for i in o.items if i.delivered_date), default=None),
}
KNOWN_DATE_TYPES = {*DATE_TYPES, "place_date", "cancel_accept_date", "exchange_accept_date", "exchange_complete_date",
                    "return_accept_date", "purchaseconfirmation_date"}


def _never(order: Order) -> datetime | None:
    return None


def matching_orders(sb: Sandbox, call: Call) -> list[Order]:
    ids = call.ids("order_id")
    first, last = call.day("start_date"), call.day("end_date")
    if not ids and (first is None or last is None):
        raise SandboxError(422, "start_date and end_date are required (or order_id)")
    date_type = call.text("date_type") or "order_date"
    if date_type not in KNOWN_DATE_TYPES:
        raise SandboxError(422, f"date_type {date_type!r} is not a valid value")
    orders = [sb.shop.orders[i] for i in ids if i in sb.shop.orders] if ids else list(sb.shop.orders.values())
    if first is not None and last is not None:
        if last < first:
            raise SandboxError(422, "end_date is before start_date")
        if last >= add_months(first, 3):
            raise SandboxError(422, "the search period cannot be longer than 3 months")
        start, end = day_range(sb, first, last)
        pick = DATE_TYPES.get(date_type, _never)
        orders = [o for o in orders if (moment := pick(o)) is not None and start <= moment < end]
    member = call.text("member_id")
    if member is not None:
        orders = [o for o in orders if o.member_id == member]
    phone, email = call.text("buyer_cellphone"), call.text("buyer_email")
    if phone is not None:
        orders = [o for o in orders if _digits(o.buyer_cellphone) == _digits(phone)]
    if email is not None:
        orders = [o for o in orders if (o.buyer_email or "").lower() == email.lower()]
    return sorted(orders, key=lambda o: (o.ordered_at, o.order_id))


def _digits(phone: str | None) -> str:
    """Cafe24 matches a number however it was typed (dashes or not)."""
    return "".join(ch for ch in phone or "" if ch.isdigit()) or "-"


def embeds(call: Call) -> set[str]:
    wanted = {e for e in (call.text("embed") or "").split(",") if e}
    unknown = wanted - {"items", "receivers", "buyer", "return", "cancellation", "exchange"}
    if unknown:
        raise SandboxError(422, f"embed {sorted(unknown)} is not a valid value")
    return wanted


def list_orders(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    limit, offset = call.page(10, 1000, 15000)
    wanted = embeds(call)
    rows = matching_orders(sb, call)[offset : offset + limit]
    return 200, {"orders": [render.order_json(o, wanted, sb.shop, sb.zone) for o in rows]}


def count_orders(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"count": len(matching_orders(sb, call))}


def the_order(sb: Sandbox, call: Call) -> Order:
    order = sb.shop.orders.get(call.path["order_id"])
    if order is None:
        raise SandboxError(404, f"order {call.path['order_id']} was not found")
    return order


def get_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"order": render.order_json(the_order(sb, call), embeds(call), sb.shop, sb.zone)}


def order_items(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    order = the_order(sb, call)
    return 200, {"items": render.order_json(order, {"items"}, sb.shop, sb.zone)["items"]}


def order_receivers(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"receivers": [render.receiver_json(x) for x in the_order(sb, call).receivers]}


def shipment_status(item: Any) -> str:
    """Cafe24's shipment status of one item: ``shipped`` once delivered, ``shipping`` with a tracking number."""
    if item.delivered_date:
        return "shipped"
    return "shipping" if item.tracking_no else "standby"


def order_shipments(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    order = the_order(sb, call)
    groups: dict[str, list[Any]] = {}
    for item in order.items:
        if item.shipping_code:
            groups.setdefault(item.shipping_code, []).append(item)
    out = []
    for code, items in sorted(groups.items()):
        tracking = next((i.tracking_no for i in items if i.tracking_no), None)
        shipped = next((i.shipped_date for i in items if i.shipped_date), None)
        out.append({"shop_no": 1, "shipping_code": code, "order_id": order.order_id, "tracking_no": tracking,
                    "tracking_no_updated_date": render.when(shipped, sb.zone) if tracking else None,
                    "shipping_company_code": "0001" if tracking else None,
                    "items": [{"order_item_code": i.order_item_code, "status": shipment_status(i)} for i in items]})
    return 200, {"shipments": out}


def order_coupons(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    """``GET /orders/coupons?order_id=a,b``: the coupons used on those orders."""
    ids = call.ids("order_id")
    if not ids:
        raise SandboxError(422, "order_id is required")
    limit, offset = call.page(10, 500, 8000)
    wanted = set(ids)
    used = sorted((oid, no) for no, oid in sb.shop.issue_orders.items() if oid in wanted)
    by_no = {i.id: i for rows in sb.shop.issues.values() for i in rows}
    out = []
    for order_id, issue_no in used[offset : offset + limit]:
        issue = by_no.get(issue_no)
        order = sb.shop.orders.get(order_id)
        if issue is None or order is None:
            continue
        coupon = sb.shop.coupons.get(issue.coupon_no)
        out.append({"shop_no": 1, "order_id": order_id,
                    "order_item_code": order.items[0].order_item_code if order.items else None,
                    "coupon_name": coupon.name if coupon else None, "coupon_code": issue.coupon_no,
                    "coupon_percent": None, "coupon_value": "1000.00", "coupon_value_final": "1000.00"})
    return 200, {"coupons": out}


def list_refunds(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    limit, offset = call.page(10, 500, 15000)
    first, last = call.day("start_date"), call.day("end_date")
    if first is None or last is None:
        raise SandboxError(422, "start_date and end_date are required")
    if last < first or last >= add_months(first, 3):
        raise SandboxError(422, "the search period cannot be longer than 3 months")
    start, end = day_range(sb, first, last)
    rows = [o for o in sorted(sb.shop.orders.values(), key=lambda o: (o.refund_date or o.ordered_at, o.order_id))
            if o.refund_date is not None and start <= o.refund_date < end]
    out = [{"shop_no": 1, "refund_code": f"F-{o.order_id}", "order_id": o.order_id, "member_id": o.member_id or "",
            "order_item_code": [i.order_item_code for i in o.items if i.refund_date], "status": "T",
            "refund_date": render.when(o.refund_date, sb.zone), "accepted_refund_date": render.when(o.refund_date,
                                                                                                     sb.zone),
            "actual_refund_amount": render.money(sum((i.amount for i in o.items if i.refund_date), start=0)),
            "currency": "KRW", "payment_methods": o.payment_methods} for o in rows[offset : offset + limit]]
    return 200, {"refunds": out}


# -- customers, coupons, carts, products ------------------------------------


def _privacy(sb: Sandbox, rows: list[r.Customer]) -> dict[str, Any]:
    consents = sb.shop.consents
    return {"customersprivacy": [render.customer_json(c, sb.zone, consents.get(c.member_id)) for c in rows]}


def list_customers_privacy(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    ids = call.ids("member_id")
    customers = sb.shop.customers

    def by_join() -> list[Any]:
        return sorted(customers.values(), key=lambda c: (c.joined_at or datetime.min, c.member_id))

    if call.text("search_type") == "created_date":
        # members who joined on or after a *date*; no other condition, no offset (keep moving the date)
        extra = set(call.query) - {"search_type", "created_start_date", "limit", "shop_no"}
        if extra:
            raise SandboxError(422, f"{sorted(extra)[0]} cannot be used with search_type=created_date")
        limit = call.integer("limit", 30, 1, 1000)
        first = call.strict_day("created_start_date")
        since = day_range(sb, first, first)[0] if first else datetime.min
        rows = [c for c in by_join() if (c.joined_at or datetime.min) >= since][:limit]
        return 200, _privacy(sb, rows)
    if ids:
        rows = [customers[i] for i in ids if i in customers]
        return 200, _privacy(sb, rows)
    phone, email = call.text("cellphone"), call.text("email")
    if phone is not None or email is not None:
        rows = [c for c in customers.values()
                if (phone is not None and _digits(c.cellphone) == _digits(phone))
                or (email is not None and (c.email or "").lower() == email.lower())]
        return 200, _privacy(sb, sorted(rows, key=lambda c: c.member_id))
    limit, offset = call.page(30, 1000, 8000)
    if call.text("date_type") == "join":  # joined between two dates (both required, both days included)
        first, last = call.strict_day("start_date"), call.strict_day("end_date")
        if first is None or last is None:
            raise SandboxError(422, "start_date and end_date are used together")
        start, end = day_range(sb, first, last)
        rows = [c for c in by_join() if c.joined_at is not None and start <= c.joined_at < end]
        return 200, _privacy(sb, rows[offset : offset + limit])
    rows = sorted(customers.values(), key=lambda c: c.member_id)[offset : offset + limit]
    return 200, _privacy(sb, rows)


def list_customers(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    ids = call.ids("member_id")
    if not ids and not call.text("cellphone"):
        raise SandboxError(422, "member_id or cellphone is required")
    phone = call.text("cellphone")
    rows = [c for c in sb.shop.customers.values() if c.member_id in ids or (phone and c.cellphone == phone)]
    return 200, {"customers": [{"shop_no": 1, "member_id": c.member_id, "created_date": render.when(c.joined_at,
                                                                                                   sb.zone)}
                               for c in rows]}


def list_coupons(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    limit, offset = call.page(100, 500, 8000)
    deleted = (call.text("deleted") or "F").split(",")
    rows: list[tuple[str, Any]] = []
    if "F" in deleted:
        rows += [(no, c) for no, c in sb.shop.coupons.items()]
    if "T" in deleted:
        rows += [(no, None) for no in sb.shop.deleted_coupons]
    wanted = call.text("coupon_no")
    if wanted:
        rows = [x for x in rows if x[0] in wanted.split(",")]
    rows.sort(key=lambda x: x[0])
    out = []
    for no, c in rows[offset : offset + limit]:
        # the store keeps no creation time: the first issue's (or the derivation time) stands in
        created = min((i.issued_at for i in sb.shop.issues.get(no, [])), default=sb.shop.derived_at)
        out.append(render.coupon_json(no, c, created, sb.zone))
    return 200, {"coupons": out}


def list_issues(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    coupon_no = call.path["coupon_no"]
    if coupon_no not in sb.shop.coupons and coupon_no not in sb.shop.deleted_coupons:
        raise SandboxError(404, f"coupon {coupon_no} was not found")
    since = call.text("since_issue_no")
    if since is not None and call.text("offset") is not None:
        raise SandboxError(422, "since_issue_no cannot be used with offset")
    limit, offset = call.page(10, 500, 8000)
    rows = sb.shop.issues.get(coupon_no, [])
    if since is not None:
        floor = call.integer("since_issue_no", 0, 0, 2**63)
        rows = [i for i in rows if i.id > floor]
    used = call.text("used_coupon")
    if used in ("T", "F"):
        rows = [i for i in rows if (i.used_at is not None) == (used == "T")]
    first, last = call.day("issued_start_date"), call.day("issued_end_date")
    if first or last:
        start, end = day_range(sb, first or date(1970, 1, 1), last or date(9998, 12, 31))
        rows = [i for i in rows if start <= i.issued_at < end]
    member = call.text("member_id")
    if member:
        rows = [i for i in rows if i.member_id == member]
    return 200, {"issues": [render.issue_json(i, sb.zone, sb.shop.related_order(i.id))
                            for i in rows[offset : offset + limit]]}


def customer_coupons(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    limit, offset = call.page(10, 100, 10000)
    member, now = call.path["member_id"], naive_utc(sb.config.clock())
    held = [i for rows in sb.shop.issues.values() for i in rows
            if i.member_id == member and i.used_at is None and i.issued_at <= now <= i.expires_at]
    held.sort(key=lambda i: i.id)
    out = []
    for i in held[offset : offset + limit]:
        coupon = sb.shop.coupons.get(i.coupon_no)
        out.append({"shop_no": 1, "coupon_no": i.coupon_no, "issue_no": str(i.id),
                    "coupon_name": coupon.name if coupon else None, "issued_date": render.when(i.issued_at, sb.zone),
                    "available_begin_datetime": render.when(i.issued_at, sb.zone),
                    "available_end_datetime": render.when(i.expires_at, sb.zone), "benefit_type": "A"})
    return 200, {"coupons": out}


def list_carts(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    ids = call.ids("member_id")
    if not ids:
        raise SandboxError(422, "member_id is required")
    limit, offset = call.page(10, 100, 10000)
    rows = sorted((c for m in ids for c in sb.shop.carts.get(m, [])), key=lambda c: c.id)
    variants: dict[int, str] = {}
    for v in sorted(sb.shop.variants.values(), key=lambda v: v.variant_code):
        variants.setdefault(v.product_no, v.variant_code)
    out = [render.cart_json(c, variants.get(c.product_no, ""), sb.zone) for c in rows[offset : offset + limit]]
    return 200, {"carts": out}


def cart_setting(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    days = sb.config.cart_retention_days
    return 200, {"cart": {"shop_no": 1, "wishlist_display": "T", "add_action_type": "M",
                          "cart_item_direct_purchase": "T", "storage_period": "T" if days else "F",
                          "period": str(days) if days else None, "icon_display": "T",
                          "cart_item_option_change": "T", "discount_display": "T"}}


def list_products(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    limit, offset = call.page(10, 100, 5000)
    rows = sorted(sb.shop.products.values(), key=lambda p: p.product_no)[offset : offset + limit]
    return 200, {"products": [render.product_json(p) for p in rows]}


def the_product(sb: Sandbox, call: Call) -> int:
    try:
        no = int(call.path["product_no"])
    except ValueError:
        raise SandboxError(422, "product_no must be an integer") from None
    if no not in sb.shop.products:
        raise SandboxError(404, f"product {no} was not found")
    return no


def get_product(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"product": render.product_json(sb.shop.products[the_product(sb, call)])}


def list_variants(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    no = the_product(sb, call)
    rows = sorted((v for v in sb.shop.variants.values() if v.product_no == no), key=lambda v: v.variant_code)
    return 200, {"variants": [render.variant_json(v) for v in rows]}


def get_inventory(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    no = the_product(sb, call)
    variant = sb.shop.variants.get(call.path["variant_code"])
    if variant is None or variant.product_no != no:
        raise SandboxError(404, f"variant {call.path['variant_code']} was not found")
    return 200, {"inventory": render.inventory_json(variant)}


READS: list[tuple[str, Handler]] = [
    ("/orders", list_orders),
    ("/orders/count", count_orders),
    ("/orders/coupons", order_coupons),
    ("/orders/{order_id}", get_order),
    ("/orders/{order_id}/items", order_items),
    ("/orders/{order_id}/receivers", order_receivers),
    ("/orders/{order_id}/shipments", order_shipments),
    ("/refunds", list_refunds),
    ("/customersprivacy", list_customers_privacy),
    ("/customers", list_customers),
    ("/coupons", list_coupons),
    ("/coupons/{coupon_no}/issues", list_issues),
    ("/customers/{member_id}/coupons", customer_coupons),
    ("/carts", list_carts),
    ("/carts/setting", cart_setting),
    ("/products", list_products),
    ("/products/{product_no}", get_product),
    ("/products/{product_no}/variants", list_variants),
    ("/products/{product_no}/variants/{variant_code}/inventories", get_inventory),
]


def build_app(sb: Sandbox) -> Starlette:
    """The Cafe24-like ASGI app for ``sb``."""
    from .cafe24_writes import WRITES
    from .mall_settings import ROUTES as COMMAND_ROUTES

    routes = oauth_routes(sb)
    # before the reads: "/orders/setting" must not be taken for an order id
    routes += [admin_route(sb, f"/api/v2/admin{path}", method, handler) for path, method, handler in COMMAND_ROUTES]
    routes += [admin_route(sb, f"/api/v2/admin{path}", "GET", handler) for path, handler in READS]
    routes += [admin_route(sb, f"/api/v2/admin{path}", method, handler) for path, method, handler in WRITES]

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(SandboxError(404, f"no such endpoint: {request.url.path}"))

    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.state.sandbox = sb
    return app

