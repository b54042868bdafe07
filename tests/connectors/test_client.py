"""The Cafe24 client over real loopback HTTP: shapes, maxima, retries and bad responses."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cafehub.connectors.cafe24.client import ORDERS
from cafehub.connectors.errors import BadRequestError, MalformedResponse, NotFoundError, ServerError, TransportError
from cafehub.connectors.paging import offset_pages, split_until_countable
from cafehub.sandbox.testing import serve, shop

FIRST, LAST = date(2024, 1, 1), date(2024, 3, 31)


def test_orders_come_with_items_receivers_and_buyer_and_match_the_shop(tmp_path: Path) -> None:
    data = shop()
    with serve(tmp_path) as sb:
        client = sb.client()
        orders = [o for page in client.iter_orders(date(2024, 1, 1), date.today() + timedelta(days=1))
                  for o in page.items]
        assert sorted(o.order_id for o in orders) == sorted(o.order_id for o in data.orders)
        one = orders[0]
        assert one.items
        assert one.receivers
        assert one.buyer is not None
        source_items = {i.order_item_code for i in data.order_items if i.order_id == one.order_id}
        assert {i.order_item_code for i in one.items} == source_items
        assert "2025-12-01" in sb.sandbox.api_versions  # X-Cafe24-Api-Version is sent
        guests = {o.order_id for o in data.orders if o.member_id is None}
        assert guests
        assert all(o.is_guest for o in orders if o.order_id in guests)


def test_the_three_month_rule_and_paging_maxima_are_enforced_by_the_server(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        with pytest.raises(BadRequestError, match=r"GET /api/v2/admin/orders: HTTP 422 .*3 months"):
            client.get("/orders", {"start_date": "2024-01-01", "end_date": "2024-04-01"})
        with pytest.raises(BadRequestError, match="limit must be between 1 and 1000"):
            client.get("/orders", {"start_date": "2024-01-01", "end_date": "2024-01-31", "limit": 1001})
        with pytest.raises(BadRequestError, match="offset must be between 0 and 15000"):
            client.get("/orders", {"start_date": "2024-01-01", "end_date": "2024-01-31", "offset": 15001})
        with pytest.raises(NotFoundError, match=r"GET /api/v2/admin/orders/\{order_id\}: HTTP 404"):
            client.order("20990101-0000001")
        # the client never asks for more than the maximum
        assert len(client.list_orders(FIRST, LAST, limit=5000)) <= ORDERS.limit


def test_narrow_windows_and_pages_read_the_same_orders_as_one_query(tmp_path: Path) -> None:
    """Windows split by the count endpoint, read in small pages, lose and repeat nothing."""
    with serve(tmp_path) as sb:
        client = sb.client()
        end = date.today() + timedelta(days=1)
        windows = [w for a, _ in [(FIRST, 0)] for w in client.order_windows(a, end)]
        expected = sorted(o.order_id for a, b, _ in windows for o in client.list_orders(a, b, embed=()))
        small = split_until_countable(FIRST, LAST, lambda a, b: client.count_orders(a, b), 5)
        assert len(small) > 1
        assert all(rows <= 5 for *_, rows in small)
        got = []
        for a, b, _ in windows:
            for x, y, _ in split_until_countable(a, b, lambda p, q: client.count_orders(p, q), 5):
                for page in offset_pages(lambda limit, offset, x=x, y=y: client.list_orders(
                        x, y, limit=limit, offset=offset, embed=()), limit=2, max_offset=10):
                    got += [o.order_id for o in page.items]
        assert sorted(got) == expected


def test_a_429_storm_is_waited_out(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        sb.sandbox.faults.fail("/orders", 429, times=6, retry_after=0.01)
        assert client.count_orders(FIRST, LAST) >= 0
        assert client.stats.rate_limited == 6


def test_a_429_storm_does_not_use_up_the_retries_a_timeout_is_owed(tmp_path: Path) -> None:
    # More 429s than a read has retries for errors, then a timeout: the storm has its own
    # budget (a bucket always drains), so the timeout is still retried.
    with serve(tmp_path) as sb:
        client = sb.client(timeout=0.3)
        max_attempts = client.config.retry.max_attempts
        sb.sandbox.faults.fail("/orders/count", 429, times=max_attempts + 4, retry_after=0.01)
        sb.sandbox.faults.delay("/orders/count", 1.0, times=1)
        assert client.count_orders(FIRST, LAST) >= 0
        assert client.stats.rate_limited == max_attempts + 4
        assert client.stats.retries == max_attempts + 5


def test_server_errors_and_timeouts_are_retried_for_reads(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client(timeout=0.3)
        sb.sandbox.faults.fail("/orders/count", 500, times=2)
        sb.sandbox.faults.delay("/orders/count", 1.0, times=1)
        expected = len([o for o in shop().orders if o.ordered_at.date() <= LAST])
        assert abs(client.count_orders(FIRST, LAST) - expected) <= 2  # day boundaries are in KST
        assert client.stats.retries == 3
        sb.sandbox.faults.fail("/orders/count", 503, times=10, html=True)
        with pytest.raises(ServerError, match=r"HTTP 503 .*HTML error page"):
            client.count_orders(FIRST, LAST)
        sb.sandbox.faults.clear()
        sb.sandbox.faults.delay("/orders/count", 1.0, times=10)
        with pytest.raises(TransportError, match="GET /api/v2/admin/orders/count: ReadTimeout"):
            client.count_orders(FIRST, LAST)


def drop(path: list[Any]) -> Any:
    def mutate(body: dict[str, Any]) -> dict[str, Any]:
        target: Any = body
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
        return body

    return mutate


def test_malformed_answers_name_the_endpoint_and_the_field(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        faults = sb.sandbox.faults
        faults.mutate("/orders$", drop(["orders", 0, "order_date"]))
        with pytest.raises(MalformedResponse, match=r"GET /api/v2/admin/orders: .*field orders\[0\]\.order_date"):
            client.list_orders(FIRST, LAST)

        def bad_quantity(body: dict[str, Any]) -> dict[str, Any]:
            body["orders"][0]["items"][0]["quantity"] = "two"
            return body

        faults.mutate("/orders$", bad_quantity)
        with pytest.raises(MalformedResponse, match=r"field orders\[0\]\.items\[0\]\.quantity.*valid integer") as bad:
            client.list_orders(FIRST, LAST)
        assert "two" not in str(bad.value)  # the kind of problem, never the value (it may be personal data)
        faults.mutate("/orders$", lambda body: {"order": []})
        with pytest.raises(MalformedResponse, match=r"field orders\): missing from the response"):
            client.list_orders(FIRST, LAST)
        faults.fail("/customersprivacy", 200, html=True)
        with pytest.raises(MalformedResponse, match="customersprivacy: malformed response: expected JSON, got an HTML"):
            client.customers_joined_since(None)


def test_customers_coupons_issues_carts_and_products(tmp_path: Path) -> None:
    data = shop()
    with serve(tmp_path) as sb:
        client = sb.client()
        members = [c for page, _ in client.iter_customers() for c in page]
        assert sorted(c.member_id for c in members) == sorted(c.member_id for c in data.customers)
        live = [c for page in client.iter_coupons() for c in page.items]
        assert {c.coupon_no for c in live} == {c.coupon_no for c in data.coupons}
        deleted = [c for page in client.iter_coupons(deleted=True) for c in page.items]
        assert [c.deleted for c in deleted] == ["T"]
        issues = [i for c in live + deleted for page in client.iter_coupon_issues(c.coupon_no) for i in page]
        assert sorted(i.issue_no for i in issues) == sorted(i.id for i in data.customer_coupons)
        holder = data.customer_coupons[0].member_id
        held = client.customer_coupons(holder)
        assert all(c.issue_no in {i.id for i in data.customer_coupons if i.member_id == holder} for c in held)
        ids = sorted({c.member_id for c in data.cart_items})[:100]
        cart = [x for page in client.iter_carts(ids) for x in page]
        assert sorted(x.basket_product_no for x in cart) == sorted(c.id for c in data.cart_items if c.member_id in ids)
        setting = client.cart_setting()
        assert (setting.storage_period, setting.period, setting.retention_days) == ("T", 7, 7)
        products = [p for page in client.iter_products() for p in page.items]
        variants = client.variants(products[0].product_no)
        assert variants
        assert all(v.options and v.option_text.startswith("Color: ") for v in variants)
        assert client.inventory(products[0].product_no, variants[0].variant_code).quantity >= 0
