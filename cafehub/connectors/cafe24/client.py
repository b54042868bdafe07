"""The Cafe24 Admin API client: typed reads, paged lists, and settled writes.

Paths, parameters and maxima follow Cafe24's Admin API reference; the
choices we made where it is silent are in docs/CONNECTORS.md. Reads return
pydantic models (:mod:`.models`). Writes are wrapped in Cafe24's envelope
``{"shop_no": 1, "request": {...}}`` (``"requests": [...]`` for bulk
endpoints) and live in :mod:`.writes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cafehub.connectors.config import Cafe24Config
from cafehub.connectors.errors import PagingLimitError
from cafehub.connectors.http import ApiCaller, CallStats, member, validate
from cafehub.connectors.oauth import OAuthClient, TokenManager
from cafehub.connectors.paging import Page, date_windows, offset_pages, split_until_countable
from cafehub.connectors.ratelimit import LeakyBucket
from cafehub.connectors.tokens import TokenStore

from . import models as m


@dataclass(frozen=True, slots=True)
class Limits:
    """An endpoint's largest ``limit`` and ``offset``."""

    limit: int
    max_offset: int

    @property
    def reachable(self) -> int:
        return self.max_offset + self.limit


ORDERS = Limits(1000, 15_000)
CUSTOMERS = Limits(1000, 8_000)
COUPONS = Limits(500, 8_000)
COUPON_ISSUES = Limits(500, 8_000)
CUSTOMER_COUPONS = Limits(100, 10_000)
CARTS = Limits(100, 10_000)
PRODUCTS = Limits(100, 5_000)
REFUNDS = Limits(500, 15_000)
ORDER_COUPONS = Limits(500, 8_000)
#: Most ``a,b,c`` list parameters take at most 100 values.
MAX_LIST_VALUES = 100
#: Order date windows are at most this many months long.
ORDER_WINDOW_MONTHS = 3
DEFAULT_EMBED = ("items", "receivers", "buyer")


def _day(value: date) -> str:
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class JoinCursor:
    """Where member paging stands: the join day to read from, and the members of that day already read."""

    day: date | None = None
    seen: frozenset[str] = frozenset()


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


class Cafe24Client:
    """One mall's Admin API. Create with a config and a token store; close when done."""

    def __init__(self, config: Cafe24Config, store: TokenStore, *, bucket: LeakyBucket | None = None) -> None:
        self.config = config
        self.zone = ZoneInfo(config.zone)
        self.oauth = OAuthClient(config)
        self.tokens = TokenManager(self.oauth, store)
        self.caller = ApiCaller(config, self.tokens, bucket)

    @property
    def stats(self) -> CallStats:
        """Calls, 429s, retries and refreshes so far (for reports)."""
        return self.caller.stats

    def close(self) -> None:
        self.caller.close()
        self.oauth.close()

    def __enter__(self) -> Cafe24Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, Any] | None = None, *, template: str | None = None) -> dict[str, Any]:
        return self.caller.call("GET", path, params=params, template=template)

    def _list(self, path: str, key: str, model: Any, params: dict[str, Any], *, template: str | None = None) -> Any:
        body = self.get(path, params, template=template)
        endpoint = f"GET /api/v2/admin{template or path}"
        return validate(list[model], member(body, key, endpoint), endpoint=endpoint, root=key, zone=self.config.zone)

    def _one(self, path: str, key: str, model: Any, params: dict[str, Any] | None = None, *,
             template: str | None = None) -> Any:
        body = self.get(path, params, template=template)
        endpoint = f"GET /api/v2/admin{template or path}"
        return validate(model, member(body, key, endpoint), endpoint=endpoint, root=key, zone=self.config.zone)

    # -- orders -----------------------------------------------------------

    def count_orders(self, start: date, end: date, *, date_type: str = "order_date") -> int:
        params = {"start_date": _day(start), "end_date": _day(end), "date_type": date_type}
        return self._one("/orders/count", "count", int, params)  # type: ignore[no-any-return]

    def list_orders(
        self,
        start: date | None,
        end: date | None,
        *,
        date_type: str = "order_date",
        limit: int = ORDERS.limit,
        offset: int = 0,
        embed: Iterable[str] = DEFAULT_EMBED,
        order_ids: Sequence[str] | None = None,
        member_id: str | None = None,
    ) -> list[m.Order]:
        """One page of ``GET /orders`` (dates are calendar days in the mall's zone)."""
        params: dict[str, Any] = {
            "start_date": _day(start) if start else None,
            "end_date": _day(end) if end else None,
            "date_type": date_type if start else None,
            "limit": min(limit, ORDERS.limit),
            "offset": offset or None,
            "embed": ",".join(embed) or None,
            "order_id": ",".join(order_ids) if order_ids else None,
            "member_id": member_id,
        }
        return self._list("/orders", "orders", m.Order, params)  # type: ignore[no-any-return]

    def order_windows(self, start: date, end: date, *, date_type: str = "order_date") -> list[tuple[date, date, int]]:
        """``(first, last, count)`` windows covering ``start..end`` that each page within the offset cap."""
        out: list[tuple[date, date, int]] = []
        for first, last in date_windows(start, end, ORDER_WINDOW_MONTHS):
            out += split_until_countable(
                first,
                last,
                lambda a, b: self.count_orders(a, b, date_type=date_type),
                ORDERS.reachable,
                endpoint="GET /api/v2/admin/orders",
            )
        return out

    def iter_orders(
        self, start: date, end: date, *, date_type: str = "order_date", embed: Iterable[str] = DEFAULT_EMBED
    ) -> Iterator[Page[m.Order]]:
        """Every order in ``start..end``, page by page, window by window."""
        wanted = tuple(embed)
        for first, last, count in self.order_windows(start, end, date_type=date_type):
            if count == 0:
                continue

            def fetch(limit: int, offset: int, a: date = first, b: date = last) -> list[m.Order]:
                return self.list_orders(a, b, date_type=date_type, limit=limit, offset=offset, embed=wanted)

            yield from offset_pages(
                fetch,
                limit=ORDERS.limit,
                max_offset=ORDERS.max_offset,
                endpoint="GET /api/v2/admin/orders",
            )

    def orders_by_id(self, order_ids: Sequence[str], *, embed: Iterable[str] = DEFAULT_EMBED) -> list[m.Order]:
        out: list[m.Order] = []
        wanted = tuple(embed)
        for chunk in _chunks(list(dict.fromkeys(order_ids)), MAX_LIST_VALUES):
            out += self.list_orders(None, None, order_ids=chunk, embed=wanted, limit=len(chunk))
        return out

    def order(self, order_id: str, *, embed: Iterable[str] = DEFAULT_EMBED) -> m.Order:
        return self._one(  # type: ignore[no-any-return]
            f"/orders/{order_id}", "order", m.Order, {"embed": ",".join(embed) or None}, template="/orders/{order_id}"
        )

    def order_items(self, order_id: str) -> list[m.OrderItem]:
        return self._list(  # type: ignore[no-any-return]
            f"/orders/{order_id}/items", "items", m.OrderItem, {}, template="/orders/{order_id}/items"
        )

    def receivers(self, order_id: str) -> list[m.Receiver]:
        return self._list(  # type: ignore[no-any-return]
            f"/orders/{order_id}/receivers", "receivers", m.Receiver, {}, template="/orders/{order_id}/receivers"
        )

    def shipments(self, order_id: str) -> list[m.Shipment]:
        return self._list(  # type: ignore[no-any-return]
            f"/orders/{order_id}/shipments", "shipments", m.Shipment, {}, template="/orders/{order_id}/shipments"
        )

    def order_coupons(self, order_ids: Sequence[str]) -> list[m.OrderCoupon]:
        """The coupons used on these orders (``GET /orders/coupons``, 100 orders per call)."""
        out: list[m.OrderCoupon] = []
        for chunk in _chunks(list(dict.fromkeys(order_ids)), MAX_LIST_VALUES):

            def fetch(limit: int, offset: int, ids: str = ",".join(chunk)) -> list[m.OrderCoupon]:
                return self._list(  # type: ignore[no-any-return]
                    "/orders/coupons", "coupons", m.OrderCoupon, {"order_id": ids, "limit": limit,
                                                                  "offset": offset or None})

            for page in offset_pages(
                fetch,
                limit=ORDER_COUPONS.limit,
                max_offset=ORDER_COUPONS.max_offset,
                endpoint="GET /api/v2/admin/orders/coupons",
            ):
                out += page.items
        return out

    def refunds(
        self, start: date, end: date, *, date_type: str = "refund_date", limit: int = REFUNDS.limit, offset: int = 0
    ) -> list[m.Refund]:
        params = {"start_date": _day(start), "end_date": _day(end), "date_type": date_type, "limit": limit,
                  "offset": offset or None}
        return self._list("/refunds", "refunds", m.Refund, params)  # type: ignore[no-any-return]

    def iter_refunds(self, start: date, end: date, *, date_type: str = "refund_date") -> Iterator[Page[m.Refund]]:
        for first, last in date_windows(start, end, ORDER_WINDOW_MONTHS):

            def fetch(limit: int, offset: int, a: date = first, b: date = last) -> list[m.Refund]:
                return self.refunds(a, b, date_type=date_type, limit=limit, offset=offset)

            yield from offset_pages(
                fetch,
                limit=REFUNDS.limit,
                max_offset=REFUNDS.max_offset,
                endpoint="GET /api/v2/admin/refunds",
            )

    # -- customers --------------------------------------------------------

    def customers_joined_since(self, day: date | None, *, limit: int = CUSTOMERS.limit) -> list[m.Customer]:
        """Members who joined on or after ``day`` (``search_type=created_date``; a *date*, as documented)."""
        params = {
            "search_type": "created_date",
            "created_start_date": _day(day) if day else None,
            "limit": min(limit, CUSTOMERS.limit),
        }
        return self._list("/customersprivacy", "customersprivacy", m.Customer, params)  # type: ignore[no-any-return]

    def customers_joined_on(self, day: date, *, limit: int = CUSTOMERS.limit, offset: int = 0) -> list[m.Customer]:
        """One page of the members who joined on ``day`` (``date_type=join``, offset paging)."""
        params = {"date_type": "join", "start_date": _day(day), "end_date": _day(day),
                  "limit": min(limit, CUSTOMERS.limit), "offset": offset or None}
        return self._list("/customersprivacy", "customersprivacy", m.Customer, params)  # type: ignore[no-any-return]

    def join_day(self, customer: m.Customer) -> date | None:
        return customer.created_date.astimezone(self.zone).date() if customer.created_date else None

    def iter_customers(self, cursor: JoinCursor = JoinCursor()) -> Iterator[tuple[list[m.Customer], JoinCursor]]:
        """Every member who joined on or after ``cursor.day`` and is not in ``cursor.seen``, page by page.

        Cafe24 pages members by join *date*: ``created_start_date`` is a day and
        offsets are not allowed, so each next page starts at the join day of the
        last member seen, skipping those already read that day. A page of 1,000
        members who all joined on one day cannot move past that day: the day is
        then read whole with ``date_type=join`` and offsets (up to 9,000 members,
        the offset cap), and paging goes on from the next day. Each page comes with
        the cursor to resume after it.
        """
        day, seen = cursor.day, set(cursor.seen)
        while True:
            page = self.customers_joined_since(day)
            if not page:
                return
            first = self.join_day(page[0])
            if len(page) == CUSTOMERS.limit and first is not None and self.join_day(page[-1]) == first:
                members = self._whole_day(first)
                known = seen if first == day else set()
                yield ([c for c in members if c.member_id not in known],
                       JoinCursor(first, frozenset(c.member_id for c in members)))
                day, seen = first + timedelta(days=1), set()
                continue
            fresh = [c for c in page if not (self.join_day(c) == day and c.member_id in seen)]
            last = self.join_day(page[-1])
            if last != day:
                seen = set()
            seen |= {c.member_id for c in page if self.join_day(c) == last}
            day = last
            yield fresh, JoinCursor(day, frozenset(seen))
            if len(page) < CUSTOMERS.limit:
                return
            if last is None:
                raise PagingLimitError(
                    f"more than {CUSTOMERS.limit} members have no join date; they cannot be paged",
                    endpoint="GET /api/v2/admin/customersprivacy",
                )

    def _whole_day(self, day: date) -> list[m.Customer]:
        out: list[m.Customer] = []
        for page in offset_pages(
            lambda limit, offset: self.customers_joined_on(day, limit=limit, offset=offset),
            limit=CUSTOMERS.limit,
            max_offset=CUSTOMERS.max_offset,
            endpoint="GET /api/v2/admin/customersprivacy",
        ):
            out += page.items
        return out

    def customers_by_id(self, member_ids: Sequence[str]) -> list[m.Customer]:
        out: list[m.Customer] = []
        for chunk in _chunks(list(member_ids), MAX_LIST_VALUES):
            out += self._list("/customersprivacy", "customersprivacy", m.Customer,
                              {"member_id": ",".join(chunk), "limit": len(chunk)})
        return out

    def customers_by_contact(self, *, cellphone: str | None = None, email: str | None = None) -> list[m.Customer]:
        """Members whose mobile number (as the mall stores it, e.g. ``010-1234-5678``) or e-mail matches."""
        if (cellphone is None) == (email is None):
            raise ValueError("give exactly one of cellphone and email")
        params = {"cellphone": cellphone, "email": email, "limit": 100}
        return self._list("/customersprivacy", "customersprivacy", m.Customer, params)  # type: ignore[no-any-return]

    def orders_by_buyer(self, start: date, end: date, *, cellphone: str | None = None, email: str | None = None,
                        embed: Iterable[str] = DEFAULT_EMBED) -> list[m.Order]:
        """Orders placed in ``start..end`` (less than 3 months) by the buyer with that mobile number or e-mail."""
        if (cellphone is None) == (email is None):
            raise ValueError("give exactly one of cellphone and email")
        out: list[m.Order] = []
        for page in offset_pages(
            lambda limit, offset: self._list("/orders", "orders", m.Order, {
                "start_date": _day(start), "end_date": _day(end), "date_type": "order_date",
                "buyer_cellphone": cellphone, "buyer_email": email, "embed": ",".join(embed) or None,
                "limit": limit, "offset": offset or None}),
            limit=ORDERS.limit, max_offset=ORDERS.max_offset, endpoint="GET /api/v2/admin/orders",
        ):
            out += page.items
        return out

    # -- coupons ----------------------------------------------------------

    def coupons(self, *, deleted: bool = False, limit: int = COUPONS.limit, offset: int = 0) -> list[m.Coupon]:
        params = {"deleted": "T" if deleted else "F", "limit": limit, "offset": offset or None}
        return self._list("/coupons", "coupons", m.Coupon, params)  # type: ignore[no-any-return]

    def iter_coupons(self, *, deleted: bool = False) -> Iterator[Page[m.Coupon]]:
        return offset_pages(
            lambda limit, offset: self.coupons(deleted=deleted, limit=limit, offset=offset),
            limit=COUPONS.limit,
            max_offset=COUPONS.max_offset,
            endpoint="GET /api/v2/admin/coupons",
        )

    def coupon_issues(
        self,
        coupon_no: str,
        *,
        since_issue_no: int | None = None,
        used: bool | None = None,
        issued_start: date | None = None,
        issued_end: date | None = None,
        member_id: str | None = None,
        limit: int = COUPON_ISSUES.limit,
    ) -> list[m.CouponIssue]:
        """One keyset page of a coupon's issues with ``issue_no`` greater than ``since_issue_no``."""
        params = {
            "since_issue_no": since_issue_no,
            "member_id": member_id,
            "used_coupon": None if used is None else ("T" if used else "F"),
            "issued_start_date": _day(issued_start) if issued_start else None,
            "issued_end_date": _day(issued_end) if issued_end else None,
            "limit": min(limit, COUPON_ISSUES.limit),
        }
        return self._list(  # type: ignore[no-any-return]
            f"/coupons/{coupon_no}/issues", "issues", m.CouponIssue, params, template="/coupons/{coupon_no}/issues"
        )

    def iter_coupon_issues(
        self,
        coupon_no: str,
        *,
        since_issue_no: int = 0,
        used: bool | None = None,
        issued_start: date | None = None,
        issued_end: date | None = None,
        member_id: str | None = None,
    ) -> Iterator[list[m.CouponIssue]]:
        cursor = since_issue_no
        while True:
            page = self.coupon_issues(
                coupon_no, since_issue_no=cursor, used=used, issued_start=issued_start, issued_end=issued_end,
                member_id=member_id,
            )
            if page:
                yield page
            if len(page) < COUPON_ISSUES.limit:
                return
            cursor = max(issue.issue_no for issue in page)

    def customer_coupons(self, member_id: str) -> list[m.CustomerCoupon]:
        out: list[m.CustomerCoupon] = []
        for page in offset_pages(
            lambda limit, offset: self._list(
                f"/customers/{member_id}/coupons", "coupons", m.CustomerCoupon,
                {"limit": limit, "offset": offset or None}, template="/customers/{member_id}/coupons",
            ),
            limit=CUSTOMER_COUPONS.limit,
            max_offset=CUSTOMER_COUPONS.max_offset,
            endpoint="GET /api/v2/admin/customers/{member_id}/coupons",
        ):
            out += page.items
        return out

    # -- carts ------------------------------------------------------------

    def carts(self, member_ids: Sequence[str], *, limit: int = CARTS.limit, offset: int = 0) -> list[m.CartItem]:
        params = {"member_id": ",".join(member_ids), "limit": min(limit, CARTS.limit), "offset": offset or None}
        return self._list("/carts", "carts", m.CartItem, params)  # type: ignore[no-any-return]

    def iter_carts(self, member_ids: Sequence[str]) -> Iterator[list[m.CartItem]]:
        """The cart items of up to 100 members, page by page."""
        if len(member_ids) > MAX_LIST_VALUES:
            raise ValueError(f"at most {MAX_LIST_VALUES} members per cart query")
        for page in offset_pages(
            lambda limit, offset: self.carts(member_ids, limit=limit, offset=offset),
            limit=CARTS.limit,
            max_offset=CARTS.max_offset,
            endpoint="GET /api/v2/admin/carts",
        ):
            yield page.items

    def cart_setting(self) -> m.CartSetting:
        return self._one("/carts/setting", "cart", m.CartSetting)  # type: ignore[no-any-return]

    # -- products ---------------------------------------------------------

    def products(self, *, limit: int = PRODUCTS.limit, offset: int = 0) -> list[m.Product]:
        return self._list(  # type: ignore[no-any-return]
            "/products", "products", m.Product, {"limit": limit, "offset": offset or None}
        )

    def iter_products(self) -> Iterator[Page[m.Product]]:
        return offset_pages(
            lambda limit, offset: self.products(limit=limit, offset=offset),
            limit=PRODUCTS.limit,
            max_offset=PRODUCTS.max_offset,
            endpoint="GET /api/v2/admin/products",
        )

    def variants(self, product_no: int) -> list[m.Variant]:
        return self._list(  # type: ignore[no-any-return]
            f"/products/{product_no}/variants", "variants", m.Variant, {}, template="/products/{product_no}/variants"
        )

    def inventory(self, product_no: int, variant_code: str) -> m.Inventory:
        return self._one(  # type: ignore[no-any-return]
            f"/products/{product_no}/variants/{variant_code}/inventories", "inventory", m.Inventory,
            template="/products/{product_no}/variants/{variant_code}/inventories",
        )
